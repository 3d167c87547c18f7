using System.Text;

namespace Wmtty.Api.Portal;

/// <summary>
/// The frame of every questionnaire page: <c>lang</c> and <c>dir</c> for the language, a skip link, the
/// service name, the language picker (each language named in its own script), the page's own content,
/// and a sign-out button. One stylesheet and one small script, both from the service; nothing else.
/// </summary>
internal sealed class PortalLayout(string language, IReadOnlyList<string> languages, string path)
{
    public const string AssetsPath = "/assets";

    private readonly PortalTexts texts = PortalTexts.Default;

    public string Language => language;

    public string T(string english, params string[] values) => texts.Get(language, english, values);

    public string Render(string title, string content, bool hasErrors = false, bool signedIn = true, string? antiforgery = null)
    {
        var html = new StringBuilder(8 * 1024);
        var dir = PortalTexts.IsRightToLeft(language) ? "rtl" : "ltr";
        html.Append("<!doctype html>\n<html lang=\"").Append(Attr(language)).Append("\" dir=\"").Append(dir).Append("\">\n<head>\n")
            .Append("<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"robots\" content=\"noindex, nofollow\">\n")
            .Append("<title>").Append(hasErrors ? Encode(T("Error:")) + " " : "").Append(Encode(title)).Append(" - ").Append(Encode(T("What matters to you"))).Append("</title>\n")
            .Append("<link rel=\"stylesheet\" href=\"").Append(Asset("portal.css")).Append("\">\n")
            .Append("<script src=\"").Append(Asset("portal.js")).Append("\" defer></script>\n")
            .Append("</head>\n<body>\n")
            .Append("<a class=\"skip-link\" href=\"#main-content\">").Append(Encode(T("Skip to main content"))).Append("</a>\n")
            .Append("<header class=\"site\"><div class=\"inner\">\n<p class=\"service\">").Append(Encode(T("What matters to you"))).Append("</p>\n");
        AppendLanguages(html);
        html.Append("</div></header>\n<main id=\"main-content\" tabindex=\"-1\">\n").Append(content).Append("</main>\n");
        if (signedIn && antiforgery is not null)
        {
            html.Append("<footer><div class=\"inner\"><form method=\"post\" action=\"").Append(Attr(PortalEndpoints.Path + "/sign-out")).Append("\">")
                .Append(antiforgery)
                .Append("<button type=\"submit\" class=\"link\">").Append(Encode(T("Sign out"))).Append("</button></form></div></footer>\n");
        }

        return html.Append("</body>\n</html>\n").ToString();
    }

    private void AppendLanguages(StringBuilder html)
    {
        if (languages.Count < 2)
        {
            return;
        }

        html.Append("<nav class=\"languages\" aria-labelledby=\"languages-heading\">\n<h2 id=\"languages-heading\">").Append(Encode(T("Choose your language"))).Append("</h2>\n<ul>\n");
        foreach (var tag in languages)
        {
            var href = $"{path}?{PortalLanguage.QueryName}={Uri.EscapeDataString(tag)}";
            html.Append("<li><a href=\"").Append(Attr(href)).Append("\" lang=\"").Append(Attr(tag)).Append("\" hreflang=\"").Append(Attr(tag)).Append('"')
                .Append(" dir=\"").Append(PortalTexts.IsRightToLeft(tag) ? "rtl" : "ltr").Append('"')
                .Append(tag == language ? " aria-current=\"true\"" : "").Append('>')
                .Append(Encode(texts.NameOf(tag))).Append("</a></li>\n");
        }

        html.Append("</ul>\n</nav>\n");
    }

    // Versioned by the build, so a new release is fetched and an old one can be cached for long.
    private static string Asset(string name) => $"{PortalEndpoints.Path}{AssetsPath}/{name}?v={PortalAssets.Version}";

    public static string Encode(string? text) => Html.Encode(text);

    public static string Attr(string? text) => Html.Encode(text);
}
