using Microsoft.Net.Http.Headers;
using SameSiteMode = Microsoft.AspNetCore.Http.SameSiteMode;

namespace Wmtty.Api.Portal;

/// <summary>
/// Which language a portal page is in: the one just picked (<c>?lang=</c>, then remembered in a
/// cookie), else the one remembered, else the one the patient's answers were given in, else the
/// browser's, else the questionnaire's base language. Only the questionnaire's own languages count.
/// </summary>
internal static class PortalLanguage
{
    public const string CookieName = "wmtty-lang";
    public const string QueryName = "lang";

    public static string Choose(HttpContext http, IReadOnlyList<string> offered, string? answeredIn)
    {
        var picked = Offered(http.Request.Query[QueryName].ToString(), offered);
        if (picked is not null)
        {
            http.Response.Cookies.Append(CookieName, picked, new CookieOptions
            {
                Path = http.Request.PathBase + Portal.PortalEndpoints.Path,
                HttpOnly = true,
                IsEssential = true, // remembers a choice the patient made; it identifies no one
                SameSite = SameSiteMode.Lax,
                Secure = http.Request.IsHttps,
                MaxAge = TimeSpan.FromDays(365),
            });
            return picked;
        }

        return Offered(http.Request.Cookies[CookieName], offered)
            ?? Offered(answeredIn, offered)
            ?? FromBrowser(http.Request, offered)
            ?? offered[0];
    }

    private static string? FromBrowser(HttpRequest request, IReadOnlyList<string> offered)
    {
        if (!StringWithQualityHeaderValue.TryParseList([.. request.Headers.AcceptLanguage.OfType<string>()], out var accepted))
        {
            return null;
        }

        return accepted.Where(a => a.Quality is null or > 0).OrderByDescending(a => a.Quality ?? 1)
            .Select(a => Offered(a.Value.Value, offered)).FirstOrDefault(l => l is not null);
    }

    // "pl", "pl-PL" and "PL" all mean the questionnaire's "pl".
    private static string? Offered(string? tag, IReadOnlyList<string> offered)
    {
        if (string.IsNullOrWhiteSpace(tag) || tag.Length > 35)
        {
            return null;
        }

        return offered.FirstOrDefault(o => string.Equals(o, tag, StringComparison.OrdinalIgnoreCase))
            ?? offered.FirstOrDefault(o => string.Equals(o, tag.Split('-')[0], StringComparison.OrdinalIgnoreCase));
    }
}
