using System.Globalization;
using System.Text.Json;
using Microsoft.Net.Http.Headers;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Fhir;

/// <summary>
/// A FHIR response: status, headers and a body that is either stored JSON, sent as it is, or a
/// resource built for this response. XML is produced only when the client asked for it.
/// </summary>
internal sealed class FhirResult : IResult
{
    private readonly byte[]? json;
    private readonly Base? resource;
    private readonly PooledJson? pooled; // stored JSON written into a rented array (a Bundle), given back once sent

    private FhirResult(int statusCode, byte[]? json, Base? resource, PooledJson? pooled = null)
    {
        StatusCode = statusCode;
        this.json = json;
        this.resource = resource;
        this.pooled = pooled;
    }

    public int StatusCode { get; }

    public string? ETagVersion { get; private init; }

    public DateTimeOffset? LastModified { get; private init; }

    public string? Location { get; private init; }

    public string? ContentLocation { get; private init; }

    public static FhirResult Raw(int statusCode, byte[] json) => new(statusCode, json, null);

    /// <summary>JSON in a rented array, such as a Bundle: sent as it is, and the array given back once it has been.</summary>
    public static FhirResult Raw(int statusCode, PooledJson json) => new(statusCode, null, null, json);

    public static FhirResult Of(int statusCode, Base resource) => new(statusCode, null, resource);

    public static FhirResult Empty(int statusCode) => new(statusCode, null, null);

    public FhirResult WithVersion(int version, DateTimeOffset lastModified) => new(StatusCode, json, resource, pooled)
    {
        ETagVersion = version.ToString(CultureInfo.InvariantCulture),
        LastModified = lastModified,
        Location = Location,
        ContentLocation = ContentLocation,
    };

    public FhirResult WithLocation(string? location, string? contentLocation = null) => new(StatusCode, json, resource, pooled)
    {
        ETagVersion = ETagVersion,
        LastModified = LastModified,
        Location = location,
        ContentLocation = contentLocation,
    };

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        if (ETagVersion is not null)
        {
            response.Headers.ETag = $"W/\"{ETagVersion}\"";
        }

        if (LastModified is { } modified)
        {
            response.Headers.LastModified = HeaderUtilities.FormatDate(modified);
        }

        if (Location is not null)
        {
            response.Headers.Location = Location;
        }

        if (ContentLocation is not null)
        {
            response.Headers.ContentLocation = ContentLocation;
        }

        if (json is null && resource is null && pooled is null)
        {
            return;
        }

        try
        {
            var format = FhirFormats.ResponseFormat(httpContext);
            var pretty = FhirFormats.WantsPretty(httpContext);
            var body = pooled is not null && format == FhirFormat.Json && !pretty ? pooled.Written : Render(format, pretty);
            response.ContentType = FhirFormats.MediaType(format) + "; charset=utf-8";
            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body, httpContext.RequestAborted); // copied into the response's own buffers
        }
        finally
        {
            pooled?.Dispose();
        }
    }

    private byte[] Render(FhirFormat format, bool pretty)
    {
        var stored = json ?? pooled?.ToArray();
        if (format == FhirFormat.Xml)
        {
            return FhirSerialization.ToXmlBytes(resource ?? FhirSerialization.ReadStored(stored), pretty);
        }

        var bytes = stored ?? FhirSerialization.ToJsonBytes(resource!);
        return pretty ? Indent(bytes) : bytes;
    }

    private static byte[] Indent(byte[] json)
    {
        // Stored JSON was checked on the way in; a Bundle wraps it a few levels deeper than input may go.
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 512 });
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            document.WriteTo(writer);
        }

        return buffer.ToArray();
    }
}
