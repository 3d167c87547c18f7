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

    private FhirResult(int statusCode, byte[]? json, Base? resource)
    {
        StatusCode = statusCode;
        this.json = json;
        this.resource = resource;
    }

    public int StatusCode { get; }

    public string? ETagVersion { get; private init; }

    public DateTimeOffset? LastModified { get; private init; }

    public string? Location { get; private init; }

    public string? ContentLocation { get; private init; }

    public static FhirResult Raw(int statusCode, byte[] json) => new(statusCode, json, null);

    public static FhirResult Of(int statusCode, Base resource) => new(statusCode, null, resource);

    public static FhirResult Empty(int statusCode) => new(statusCode, null, null);

    public FhirResult WithVersion(int version, DateTimeOffset lastModified) => new(StatusCode, json, resource)
    {
        ETagVersion = version.ToString(CultureInfo.InvariantCulture),
        LastModified = lastModified,
        Location = Location,
        ContentLocation = ContentLocation,
    };

    public FhirResult WithLocation(string? location, string? contentLocation = null) => new(StatusCode, json, resource)
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

        if (json is null && resource is null)
        {
            return;
        }

        var format = FhirFormats.ResponseFormat(httpContext);
        var body = Render(format, FhirFormats.WantsPretty(httpContext));
        response.ContentType = FhirFormats.MediaType(format) + "; charset=utf-8";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, httpContext.RequestAborted);
    }

    private byte[] Render(FhirFormat format, bool pretty)
    {
        if (format == FhirFormat.Xml)
        {
            return FhirSerialization.ToXmlBytes(resource ?? FhirSerialization.ReadStored(json), pretty);
        }

        var bytes = json ?? FhirSerialization.ToJsonBytes(resource!);
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
