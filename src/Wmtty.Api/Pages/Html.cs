using System.Text;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Pages;

/// <summary>
/// A rendered page of the portal or the clinician pages: UTF-8 HTML, never cached nor kept by a shared
/// computer's browser, as it holds a patient's answers.
/// </summary>
internal sealed class HtmlPage(int statusCode, string html) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => statusCode;

    public string Html => html;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        NoStore(response);
        var body = Encoding.UTF8.GetBytes(html);
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }

    public static void NoStore(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
    }
}

/// <summary>303 See Other: after a form is sent, the browser fetches the next page with GET, and reloading does not send it again.</summary>
internal sealed class SeeOther(string location) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => StatusCodes.Status303SeeOther;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        HtmlPage.NoStore(httpContext.Response);
        httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
        httpContext.Response.Headers.Location = httpContext.Request.PathBase + location;
        return Task.CompletedTask;
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
