using System.Text;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Clinician;

/// <summary>
/// A rendered clinician page. Never cached, nor kept by a shared computer's browser: it holds a patient's
/// preferences.
/// </summary>
internal sealed class ClinicianPage(int statusCode, string html) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => statusCode;

    public string Html => html;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        if (statusCode == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        var body = Encoding.UTF8.GetBytes(html);
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }
}

/// <summary>HTML encoding for the pages: every text and attribute value goes through here.</summary>
internal static class Html
{
    private static readonly System.Buffers.SearchValues<char> Special = System.Buffers.SearchValues.Create("&<>\"'");

    /// <summary>
    /// The text with the five characters HTML gives meaning to escaped, for element content and quoted
    /// attributes; every script, and line breaks, stay as they are. Controls that have no place in a
    /// page become U+FFFD.
    /// </summary>
    public static string Encode(string? text)
    {
        var clean = FhirText.ReplaceForbidden(text ?? "");
        if (clean.AsSpan().IndexOfAny(Special) < 0)
        {
            return clean;
        }

        var html = new StringBuilder(clean.Length + 32);
        foreach (var c in clean)
        {
            _ = c switch
            {
                '&' => html.Append("&amp;"),
                '<' => html.Append("&lt;"),
                '>' => html.Append("&gt;"),
                '"' => html.Append("&quot;"),
                '\'' => html.Append("&#39;"),
                _ => html.Append(c),
            };
        }

        return html.ToString();
    }

    public static StringBuilder Text(this StringBuilder html, string? text) => html.Append(Encode(text));
}
