using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Wmtty.Api.Fhir;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Search;

/// <summary>
/// Writes searchset and history Bundles straight to JSON, copying each stored resource in as raw
/// bytes: a read never parses the resources it returns.
/// </summary>
internal static class BundleWriter
{
    private static readonly JsonWriterOptions Options = new() { SkipValidation = true };

    /// <param name="included">Resources brought in by _include, as (type, id, JSON).</param>
    public static PooledJson SearchSet(string baseUrl, string type, IReadOnlyList<SearchMatch> matches, int? total, string self, string? next, OperationOutcome? outcome,
        IReadOnlyList<(string Type, string Id, byte[] Json)>? included = null)
    {
        included ??= [];
        var buffer = new PooledJson(4096 + matches.Sum(m => m.Json.Length + 128) + included.Sum(i => i.Json.Length + 128));
        var hasEntries = matches.Count > 0 || included.Count > 0 || outcome is not null;
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            Start(writer, "searchset", total, self, next, hasEntries);
            foreach (var match in matches)
            {
                Entry(writer, baseUrl, type, match.Id, match.Json, "match");
            }

            foreach (var (includedType, id, json) in included)
            {
                Entry(writer, baseUrl, includedType, id, json, "include");
            }

            OutcomeEntry(writer, outcome);
            End(writer, hasEntries);
        }

        return buffer;
    }

    /// <summary>The same, for a patient's current preferences as their projection holds them (<c>$lastn</c>): one page, no total.</summary>
    public static PooledJson SearchSet(string baseUrl, ProjectedPreferences current, string self, OperationOutcome? outcome)
    {
        var size = 4096;
        for (var i = 0; i < current.Count; i++)
        {
            size += current.JsonAt(i).Length + 128;
        }

        var buffer = new PooledJson(size);
        var hasEntries = current.Count > 0 || outcome is not null;
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            Start(writer, "searchset", null, self, null, hasEntries);
            for (var i = 0; i < current.Count; i++)
            {
                Entry(writer, baseUrl, ResourceTypes.Observation, current.IdAt(i), current.JsonAt(i), "match");
            }

            OutcomeEntry(writer, outcome);
            End(writer, hasEntries);
        }

        return buffer;
    }

    private static void OutcomeEntry(Utf8JsonWriter writer, OperationOutcome? outcome)
    {
        if (outcome is null)
        {
            return;
        }

        writer.WriteStartObject();
        writer.WritePropertyName("resource");
        writer.WriteRawValue(FhirSerialization.ToJsonBytes(outcome), skipInputValidation: true);
        writer.WriteStartObject("search");
        writer.WriteString("mode", "outcome");
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>
    /// <c>$everything</c>: every stored version as a searchset entry, each with its own <c>meta.versionId</c>, so entries of
    /// one resource share a fullUrl as a Bundle allows (bdl-7).
    /// </summary>
    public static PooledJson Everything(string baseUrl, IReadOnlyList<StoredVersion> versions, string self)
    {
        var buffer = new PooledJson(4096 + versions.Sum(v => (v.Json?.Length ?? 0) + 128));
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            Start(writer, "searchset", versions.Count, self, null, hasEntries: versions.Count > 0);
            foreach (var version in versions)
            {
                Entry(writer, baseUrl, version.Type, version.Id, version.Json!, "match");
            }

            End(writer, hasEntries: versions.Count > 0);
        }

        return buffer;
    }

    private static void Entry(Utf8JsonWriter writer, string baseUrl, string type, string id, ReadOnlySpan<byte> json, string mode)
    {
        writer.WriteStartObject();
        FullUrl(writer, baseUrl, type, id);
        writer.WritePropertyName("resource");
        writer.WriteRawValue(json, skipInputValidation: true);
        writer.WriteStartObject("search");
        writer.WriteString("mode", mode);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    // baseUrl/type/id, put together in a buffer on the stack (or rented, when long) rather than as a string for each entry.
    private static void FullUrl(Utf8JsonWriter writer, string baseUrl, string type, string id)
    {
        var length = baseUrl.Length + type.Length + id.Length + 2;
        char[]? rented = null;
        var url = length <= 512 ? stackalloc char[length] : (rented = ArrayPool<char>.Shared.Rent(length)).AsSpan(0, length);
        baseUrl.CopyTo(url);
        url[baseUrl.Length] = '/';
        type.CopyTo(url[(baseUrl.Length + 1)..]);
        url[baseUrl.Length + 1 + type.Length] = '/';
        id.CopyTo(url[(baseUrl.Length + type.Length + 2)..]);
        writer.WriteString("fullUrl", url);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    public static PooledJson History(string baseUrl, IReadOnlyList<StoredVersion> versions, string self, string? next)
    {
        var buffer = new PooledJson(4096 + versions.Sum(v => (v.Json?.Length ?? 0) + 256));
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            Start(writer, "history", null, self, next, hasEntries: versions.Count > 0);
            foreach (var version in versions)
            {
                var url = $"{version.Type}/{version.Id}";
                writer.WriteStartObject();
                writer.WriteString("fullUrl", $"{baseUrl}/{url}");
                if (version.Json is not null)
                {
                    writer.WritePropertyName("resource");
                    writer.WriteRawValue(version.Json, skipInputValidation: true);
                }

                writer.WriteStartObject("request");
                writer.WriteString("method", version.Change.Method);
                writer.WriteString("url", version.Change.Method == "POST" ? version.Type : url);
                writer.WriteEndObject();

                writer.WriteStartObject("response");
                writer.WriteString("status", version.Change.Status.ToString(CultureInfo.InvariantCulture));
                writer.WriteString("etag", string.Create(CultureInfo.InvariantCulture, $"W/\"{version.Version}\""));
                writer.WriteString("lastModified", Instant(version.LastUpdated));
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            End(writer, hasEntries: versions.Count > 0);
        }

        return buffer;
    }

    // FHIR JSON forbids empty arrays, so an empty page has no entry property at all.
    private static void Start(Utf8JsonWriter writer, string type, int? total, string self, string? next, bool hasEntries)
    {
        writer.WriteStartObject();
        writer.WriteString("resourceType", "Bundle");
        writer.WriteString("id", Guid.NewGuid().ToString("D"));
        writer.WriteStartObject("meta");
        writer.WriteString("lastUpdated", Instant(DateTimeOffset.UtcNow));
        writer.WriteEndObject();
        writer.WriteString("type", type);
        if (total is { } count)
        {
            writer.WriteNumber("total", count);
        }

        writer.WriteStartArray("link");
        Link(writer, "self", self);
        if (next is not null)
        {
            Link(writer, "next", next);
        }

        writer.WriteEndArray();
        if (hasEntries)
        {
            writer.WriteStartArray("entry");
        }
    }

    private static void End(Utf8JsonWriter writer, bool hasEntries)
    {
        if (hasEntries)
        {
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void Link(Utf8JsonWriter writer, string relation, string url)
    {
        writer.WriteStartObject();
        writer.WriteString("relation", relation);
        writer.WriteString("url", url);
        writer.WriteEndObject();
    }

    private static string Instant(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
