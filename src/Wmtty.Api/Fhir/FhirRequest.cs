using Microsoft.Extensions.Options;
using Wmtty.Api.Errors;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Fhir;

/// <summary>Options for the FHIR endpoints: section <c>Fhir</c>.</summary>
internal sealed class FhirOptions
{
    public const string Section = "Fhir";

    /// <summary>The public base URL (e.g. https://wmtty.example.nhs.uk/fhir) used in links and fullUrls; when empty, taken from each request.</summary>
    public string? BaseUrl { get; set; }

    public bool HasValidBaseUrl() =>
        string.IsNullOrWhiteSpace(BaseUrl)
        || (Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment));
}

/// <summary>What handlers read from a FHIR request besides its body: base URL, ids and Prefer.</summary>
internal static class FhirRequest
{
    public static string BaseUrl(HttpContext context) => BaseUri(context).AbsoluteUri.TrimEnd('/');

    /// <summary>The base as a URI ending in '/', as reference parsing expects; 400 when the Host header cannot make one.</summary>
    public static Uri BaseUri(HttpContext context)
    {
        if (context.Items.TryGetValue(typeof(FhirOptions), out var known) && known is Uri cached)
        {
            return cached;
        }

        var uri = ComputeBaseUri(context);
        context.Items[typeof(FhirOptions)] = uri;
        return uri;
    }

    private static Uri ComputeBaseUri(HttpContext context)
    {
        var configured = context.RequestServices.GetRequiredService<IOptions<FhirOptions>>().Value.BaseUrl;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new Uri(configured.TrimEnd('/') + "/");
        }

        var request = context.Request;
        if (!request.Host.HasValue || !Uri.TryCreate($"{request.Scheme}://{request.Host}{request.PathBase}/fhir/", UriKind.Absolute, out var uri))
        {
            throw FhirException.BadRequest("The Host header is missing or is not a valid host name.");
        }

        return uri;
    }

    public static void RequireValidId(string type, string id)
    {
        // '_history', '_search', '$everything' in the id's place are interactions this service does not offer.
        if (id.Length > 0 && id[0] is '_' or '$')
        {
            throw FhirException.NotFound($"'{FhirText.Shorten(id, 40)}' is not supported on {type} here; see /fhir/metadata for what is.");
        }

        if (!ResourceTypes.IsValidId(id))
        {
            throw FhirException.BadRequest($"'{FhirText.Shorten(id, 70)}' is not a valid {type} id: use 1 to 64 letters, digits, '-' or '.'.");
        }
    }

    /// <summary>The <c>return</c> preference: minimal, representation (the default) or OperationOutcome.</summary>
    public static string PreferredReturn(HttpContext context) => Preference(context, "return") ?? "representation";

    /// <summary><c>Prefer: handling=strict</c> turns ignored search parameters into errors.</summary>
    public static bool StrictHandling(HttpContext context) => Preference(context, "handling") == "strict";

    private static string? Preference(HttpContext context, string name)
    {
        foreach (var header in context.Request.Headers["Prefer"])
        {
            foreach (var part in (header ?? "").Split([',', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = part.IndexOf('=');
                if (equals > 0 && part[..equals].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return part[(equals + 1)..].Trim().Trim('"');
                }
            }
        }

        return null;
    }
}
