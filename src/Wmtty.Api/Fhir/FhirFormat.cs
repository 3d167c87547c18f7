using Microsoft.Net.Http.Headers;
using Wmtty.Api.Errors;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Fhir;

/// <summary>The wire formats the service speaks: FHIR JSON always, FHIR XML as a courtesy.</summary>
internal enum FhirFormat
{
    Json,
    Xml,
}

/// <summary>Content negotiation for <c>/fhir</c>: <c>_format</c>, <c>Accept</c> and <c>Content-Type</c>.</summary>
internal static class FhirFormats
{
    public const string JsonMediaType = "application/fhir+json";
    public const string XmlMediaType = "application/fhir+xml";
    public const string FormMediaType = "application/x-www-form-urlencoded";

    private const string ItemKey = "wmtty.fhir.format";

    /// <summary>The body types routing lets through to the FHIR endpoints; <see cref="BodyFormat"/> reads each.</summary>
    public static readonly string[] RequestMediaTypes =
        [JsonMediaType, "application/json", "application/json+fhir", "text/json", XmlMediaType, "application/xml", "application/xml+fhir", "text/xml"];

    /// <summary>The response format chosen for this request by <see cref="Negotiate"/>.</summary>
    public static FhirFormat ResponseFormat(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var format) && format is FhirFormat chosen ? chosen : FhirFormat.Json;

    public static bool WantsPretty(HttpContext context) =>
        string.Equals(context.Request.Query["_pretty"], "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Chooses the response format, or throws 406 when the client accepts nothing the service writes.</summary>
    /// <param name="formatParameter">A <c>_format</c> that did not come in the query string, e.g. from a POST _search form.</param>
    public static FhirFormat Negotiate(HttpContext context, string? formatParameter = null)
    {
        var format = Choose(context.Request, formatParameter ?? context.Request.Query["_format"].ToString());
        context.Items[ItemKey] = format;
        return format;
    }

    /// <summary>The format of the request body, or 415 when it is not FHIR JSON or XML in UTF-8.</summary>
    public static FhirFormat BodyFormat(HttpRequest request)
    {
        if (string.IsNullOrEmpty(request.ContentType) || !MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType))
        {
            throw Unsupported(UnsupportedContentType(request.ContentType));
        }

        if (!IsUtf8(contentType))
        {
            throw Unsupported($"Only UTF-8 is accepted, not charset '{HeaderUtilities.RemoveQuotes(contentType.Charset)}'.");
        }

        if (!IsR4(contentType))
        {
            throw Unsupported($"This service speaks FHIR R4 (4.0); the body says fhirVersion {FhirVersion(contentType)}.");
        }

        return FromMediaType(contentType.MediaType.Value)
            ?? throw Unsupported(UnsupportedContentType(contentType.MediaType.Value));
    }

    /// <summary>True when the media type names no charset, or UTF-8 (quoted or not).</summary>
    public static bool IsUtf8(MediaTypeHeaderValue mediaType) =>
        !mediaType.Charset.HasValue || HeaderUtilities.RemoveQuotes(mediaType.Charset).Equals("utf-8", StringComparison.OrdinalIgnoreCase);

    public static string MediaType(FhirFormat format) => format == FhirFormat.Xml ? XmlMediaType : JsonMediaType;

    public static string UnsupportedContentType(string? mediaType) => string.IsNullOrEmpty(mediaType)
        ? "The request has no Content-Type. Send FHIR JSON as 'application/fhir+json'."
        : $"Content-Type '{FhirText.Shorten(mediaType, 80)}' is not supported here. Send 'application/fhir+json' (or 'application/fhir+xml'); POST _search takes 'application/x-www-form-urlencoded'.";

    // The fhirVersion media-type parameter (FHIR R4 3.1.0.1.6) must name R4 when it is given.
    private static bool IsR4(MediaTypeHeaderValue mediaType) => FhirVersion(mediaType) is null or "4.0" or "4.0.0" or "4.0.1";

    private static string? FhirVersion(MediaTypeHeaderValue mediaType) =>
        mediaType.Parameters.FirstOrDefault(p => p.Name.Equals("fhirVersion", StringComparison.OrdinalIgnoreCase)) is { } parameter
            ? HeaderUtilities.RemoveQuotes(parameter.Value).Value
            : null;

    private static FhirFormat Choose(HttpRequest request, string requested)
    {
        if (requested.Length > 0)
        {
            // A '+' in a query string arrives as a space.
            return FromFormatParameter(requested.Replace(' ', '+'))
                ?? throw NotAcceptable($"_format '{requested}' is not supported. Use json or xml.");
        }

        var accept = request.GetTypedHeaders().Accept;
        if (accept is null || accept.Count == 0)
        {
            return FhirFormat.Json;
        }

        foreach (var range in accept.Where(a => a.Quality is not 0).OrderByDescending(a => a.Quality ?? 1))
        {
            var mediaType = range.MediaType.Value ?? "";
            // A browser asks for HTML first and XML second; JSON reads better there.
            if (mediaType is "*/*" or "application/*" or "text/html")
            {
                return FhirFormat.Json;
            }

            if (FromMediaType(mediaType) is { } format && IsR4(range))
            {
                return format;
            }
        }

        throw NotAcceptable($"None of the types in Accept '{request.Headers.Accept}' can be produced. Ask for 'application/fhir+json' or 'application/fhir+xml'.");
    }

    private static FhirFormat? FromFormatParameter(string value) => value.ToLowerInvariant() switch
    {
        "json" => FhirFormat.Json,
        "xml" => FhirFormat.Xml,
        _ => FromMediaType(value.Split(';')[0].Trim()),
    };

    private static FhirFormat? FromMediaType(string? mediaType) => mediaType?.ToLowerInvariant() switch
    {
        "application/fhir+json" or "application/json" or "application/json+fhir" or "text/json" => FhirFormat.Json,
        "application/fhir+xml" or "application/xml" or "application/xml+fhir" or "text/xml" => FhirFormat.Xml,
        _ => null,
    };

    private static FhirException Unsupported(string diagnostics) =>
        new(StatusCodes.Status415UnsupportedMediaType, Wmtty.Fhir.Outcomes.Outcome.Error(IssueType.NotSupported, diagnostics));

    private static FhirException NotAcceptable(string diagnostics) =>
        new(StatusCodes.Status406NotAcceptable, Wmtty.Fhir.Outcomes.Outcome.Error(IssueType.NotSupported, diagnostics));
}
