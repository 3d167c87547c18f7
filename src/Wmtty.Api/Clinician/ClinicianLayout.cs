using System.Text;

namespace Wmtty.Api.Clinician;

/// <summary>
/// The frame of every clinician page: English, one <c>header</c> and one <c>main</c>, no script, and one
/// small inline stylesheet (the CSP allows inline style, not script). Colours are NHS palette pairs at
/// 4.5:1 or more; the layout reflows to one column at 320 px; print gives one A4 page without the links.
/// </summary>
internal static class ClinicianLayout
{
    private const string Style = """
        *{box-sizing:border-box}
        body{margin:0;color:#212b32;background:#fff;font-family:Arial,Helvetica,sans-serif;font-size:1rem;line-height:1.5}
        header{display:flex;flex-wrap:wrap;gap:.25rem 1.5rem;align-items:baseline;padding:.5rem 1rem;background:#005eb8;color:#fff}
        header p{margin:0;font-weight:bold}
        header a{color:#fff}
        nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;margin:0;padding:0;list-style:none}
        a{color:#005eb8}
        a:focus{outline:3px solid #ffeb3b;background:#ffeb3b;color:#212b32}
        main{max-width:76rem;margin:0 auto;padding:1rem}
        h1{margin:.5rem 0 .25rem;font-size:1.75rem;line-height:1.25}
        h2{margin:0 0 .25rem;font-size:1.25rem}
        h3{margin:.5rem 0 .25rem;font-size:1.0625rem}
        p{margin:0 0 .75rem}
        .interpreter{margin:0 0 1rem;padding:.75rem 1rem;border:4px solid #212b32;background:#fff}
        .interpreter.needed{background:#ffeb3b}
        .interpreter.not-needed{border-color:#005eb8;background:#e8f1f8}
        .interpreter .need{margin:0;font-size:1.625rem;font-weight:bold;line-height:1.25}
        .interpreter .detail{margin:.25rem 0 0}
        .who{margin:0 0 1rem}
        .who span{white-space:nowrap}
        section{padding:.5rem 0 .75rem;border-top:2px solid #d8dde0}
        dl{display:grid;grid-template-columns:minmax(8rem,15rem) 1fr;gap:.25rem 1rem;margin:0}
        dt{font-weight:bold}
        dd{margin:0}
        .updated{color:#4c6272;font-size:.875rem}
        .own-words{display:block;white-space:pre-wrap;overflow-wrap:anywhere}
        .withheld{font-style:italic}
        table{border-collapse:collapse;margin:0 0 1rem}
        th,td{padding:.25rem .75rem .25rem 0;border-bottom:1px solid #d8dde0;text-align:left;vertical-align:top}
        label{display:block;font-weight:bold}
        input[type=text],select{font:inherit;padding:.25rem;border:2px solid #212b32;max-width:100%}
        figure{margin:0 0 .5rem}
        svg.chart{display:block;max-width:100%;height:auto}
        figcaption{color:#4c6272;font-size:.875rem}
        caption{text-align:left;font-weight:bold;padding:.25rem 0;min-width:14rem}
        .pair{display:flex;flex-wrap:wrap;gap:0 2rem;align-items:flex-start}
        .pair figure{flex:0 1 40rem;min-width:0}
        fieldset{margin:0 0 1rem;border:0;padding:0}
        button{font:inherit;padding:.375rem 1rem;border:0;background:#007f3b;color:#fff;font-weight:bold}
        @media (max-width:40rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}
        @media screen and (min-width:64rem){.sections{display:grid;grid-template-columns:1fr 1fr;gap:0 2rem}.sections .own{grid-column:1/-1}}
        @page{size:A4;margin:12mm}
        @media print{
        body{font-size:9pt;line-height:1.3;color:#000;background:#fff}
        header{padding:0;background:none;color:#000}
        header nav,.screen-only{display:none}
        main{max-width:none;padding:0}
        h1{font-size:13pt;margin:.1rem 0}
        h2{font-size:10.5pt}
        .interpreter,.interpreter.needed,.interpreter.not-needed{padding:.2rem .5rem;border:3px solid #000;background:#fff;color:#000}
        .interpreter .need{font-size:13pt}
        .sections{display:grid;grid-template-columns:1fr 1fr;gap:0 6mm}
        .sections .own{grid-column:1/-1}
        section{padding:.15rem 0 .3rem;border-top:1px solid #000;break-inside:avoid}
        dl{grid-template-columns:minmax(6rem,11rem) 1fr;gap:0 .5rem}
        .updated{color:#000;font-size:8pt}
        a{color:#000;text-decoration:none}
        }
        """;

    /// <summary>A whole page. <paramref name="main"/> is HTML the caller has built with every text encoded.</summary>
    public static string Render(HttpContext http, string title, string main, IReadOnlyList<(string Path, string Text)>? links = null)
    {
        var html = new StringBuilder(4096);
        html.Append("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"robots\" content=\"noindex, nofollow\">\n")
            .Append("<title>").Text(title).Append(" - What Matters To You</title>\n")
            .Append("<style>\n").Append(Style).Append("\n</style>\n</head>\n<body>\n")
            .Append("<header>\n<p>What Matters To You <span class=\"screen-only\">for clinicians</span></p>\n");
        if (links is { Count: > 0 })
        {
            html.Append("<nav aria-label=\"Pages\">\n<ul>\n");
            foreach (var (path, text) in links)
            {
                html.Append("<li><a href=\"").Text(Href(http, path)).Append("\">").Text(text).Append("</a></li>\n");
            }

            html.Append("</ul>\n</nav>\n");
        }

        return html.Append("</header>\n<main>\n").Append(main).Append("</main>\n</body>\n</html>\n").ToString();
    }

    /// <summary>A link to a page of this service, under its path base.</summary>
    public static string Href(HttpContext http, string path) => http.Request.PathBase + path;
}
