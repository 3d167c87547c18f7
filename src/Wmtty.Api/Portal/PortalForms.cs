using Microsoft.AspNetCore.Antiforgery;

namespace Wmtty.Api.Portal;

/// <summary>
/// Every form the portal takes: a form body, readable within the limits, carrying our antiforgery token.
/// Anything else changes nothing and gets a page with its status (400, 413, 415), never an error trace.
/// </summary>
internal static class PortalForms
{
    /// <summary>A section's answers are a few kilobytes; the largest free text (2,000 characters, four bytes each) fits many times over.</summary>
    public const long MaxBytes = 256 * 1024;

    /// <summary>Null when the post is a good form from one of our pages; otherwise the page to answer with.</summary>
    public static async Task<IResult?> RefuseAsync(HttpContext http)
    {
        if (!http.Request.HasFormContentType)
        {
            return PortalPages.Problem(StatusCodes.Status415UnsupportedMediaType);
        }

        if (http.Request.ContentLength > MaxBytes)
        {
            return PortalPages.Problem(StatusCodes.Status413PayloadTooLarge);
        }

        try
        {
            await http.Request.ReadFormAsync(http.RequestAborted); // read (and so checked) here, whichever way the token came
            return await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http)
                ? null
                : PortalPages.Problem(StatusCodes.Status400BadRequest);
        }
        catch (Exception unreadable) when (unreadable is AntiforgeryValidationException or BadHttpRequestException or InvalidDataException or IOException)
        {
            // Too large (413), too many fields, a broken multipart boundary: the body could not be read as a form.
            var status = (unreadable as BadHttpRequestException ?? unreadable.InnerException as BadHttpRequestException)?.StatusCode ?? StatusCodes.Status400BadRequest;
            return PortalPages.Problem(status);
        }
    }
}
