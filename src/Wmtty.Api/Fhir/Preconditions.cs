using System.Globalization;
using Microsoft.Net.Http.Headers;
using Wmtty.Api.Errors;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Fhir;

/// <summary>
/// An If-Match or If-None-Match header: <c>*</c> or a list of entity tags. Versions are the tags'
/// opaque values, compared as strings (weakly, as FHIR's <c>W/"3"</c> ETags are weak).
/// </summary>
internal sealed record TagCondition(bool Any, IReadOnlyList<string> Versions)
{
    /// <summary>True when the condition names this current version (or '*' and a current version exists).</summary>
    public bool Names(int? currentVersion) =>
        currentVersion is { } version && (Any || Versions.Contains(version.ToString(CultureInfo.InvariantCulture)));

    public string Describe() => Any ? "*" : string.Join(", ", Versions.Select(v => $"W/\"{v}\""));
}

/// <summary>The conditional request headers a write honours.</summary>
internal sealed record WriteConditions(TagCondition? IfMatch, TagCondition? IfNoneMatch)
{
    public static WriteConditions From(HttpRequest request) =>
        new(Preconditions.Parse(request, HeaderNames.IfMatch), Preconditions.Parse(request, HeaderNames.IfNoneMatch));

    /// <summary>Refuses with 412 unless the current version (null when there is none, or it is deleted) satisfies both headers.</summary>
    public void Check(string type, string id, int? currentVersion)
    {
        if (IfMatch is { } ifMatch && !ifMatch.Names(currentVersion))
        {
            throw FhirException.PreconditionFailed(currentVersion is null
                ? $"If-Match {ifMatch.Describe()} asked for a version of {type}/{id}, which does not exist."
                : $"If-Match asked for {ifMatch.Describe()} of {type}/{id}, but the current version is W/\"{currentVersion}\". Read it again and reapply your change.");
        }

        if (IfNoneMatch is { } ifNoneMatch && ifNoneMatch.Names(currentVersion))
        {
            throw FhirException.PreconditionFailed($"If-None-Match {ifNoneMatch.Describe()}: {type}/{id} already exists at version W/\"{currentVersion}\"; nothing was changed.");
        }
    }
}

/// <summary>Parsing and checking ETags for reads (304) and writes (412).</summary>
internal static class Preconditions
{
    /// <summary>The header as a condition; null when absent; 400 when it is not '*' or a list of entity tags.</summary>
    public static TagCondition? Parse(HttpRequest request, string header)
    {
        var values = request.Headers[header];
        if (values.Count == 0 || string.IsNullOrWhiteSpace(values.ToString()))
        {
            return null;
        }

        if (!EntityTagHeaderValue.TryParseStrictList(values, out var tags) || tags.Count == 0)
        {
            var text = values.ToString();
            throw FhirException.BadRequest($"{header} '{FhirText.Shorten(text, 40)}' is not '*' or a list of ETags such as W/\"3\".");
        }

        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any))
            ? new TagCondition(true, [])
            : new TagCondition(false, tags.Select(t => t.Tag.Value!.Trim('"')).ToList());
    }

    /// <summary>True when If-None-Match names this version (or is '*'): the client's copy is current.</summary>
    public static bool IfNoneMatchHits(HttpRequest request, int version) =>
        Parse(request, HeaderNames.IfNoneMatch)?.Names(version) == true;

    /// <summary>True when If-Modified-Since is at or after the last change (to the second, as HTTP dates go).</summary>
    public static bool NotModifiedSince(HttpRequest request, DateTimeOffset lastUpdated)
    {
        if (request.Headers.IfNoneMatch.Count > 0)
        {
            return false; // If-None-Match takes precedence (RFC 9110).
        }

        var since = request.GetTypedHeaders().IfModifiedSince;
        return since is { } date && lastUpdated.ToUnixTimeSeconds() <= date.ToUnixTimeSeconds();
    }
}
