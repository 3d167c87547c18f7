using System.Globalization;
using System.Text;

namespace Wmtty.Api.Measures;

/// <summary>
/// Bar charts as inline SVG, drawn on the server: no script, no chart library, nothing fetched. Each is an image to
/// assistive technology (<c>role="img"</c>, named by its <c>title</c> and described by its <c>desc</c>, which says every
/// value), and the page puts the same figures in a table beside it. A suppressed value has no bar and says so.
/// </summary>
internal static class SvgCharts
{
    /// <summary>One bar: its label, its length (null when suppressed) and the text shown at its end.</summary>
    public sealed record Bar(string Label, double? Value, string ValueText);

    private const string Ink = "#212b32";
    private const string Fill = "#005eb8";
    private const string Rule = "#768692";

    /// <summary>Vertical bars left to right, for a trend over time.</summary>
    public static string Columns(string id, string title, string description, IReadOnlyList<Bar> bars)
    {
        const int Height = 220, Top = 24, Bottom = 40, Left = 8, Gap = 8;
        var width = Math.Max(320, (bars.Count * 72) + Left);
        var column = ((width - Left) / (double)Math.Max(1, bars.Count)) - Gap;
        var max = Max(bars);
        var svg = Open(id, title, description, width, Height);
        var baseline = Height - Bottom;
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var x = Left + (i * (column + Gap));
            var centre = x + (column / 2);
            if (bar.Value is { } value)
            {
                var h = max <= 0 ? 0 : (baseline - Top) * value / max;
                svg.Append($"<rect x=\"{N(x)}\" y=\"{N(baseline - h)}\" width=\"{N(column)}\" height=\"{N(h)}\" fill=\"{Fill}\"/>\n");
                svg.Append($"<text x=\"{N(centre)}\" y=\"{N(baseline - h - 6)}\" text-anchor=\"middle\" font-size=\"13\" fill=\"{Ink}\">").Text(bar.ValueText).Append("</text>\n");
            }
            else
            {
                svg.Append($"<text x=\"{N(centre)}\" y=\"{N(baseline - 6)}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{Ink}\">").Text(bar.ValueText).Append("</text>\n");
            }

            svg.Append($"<text x=\"{N(centre)}\" y=\"{N(baseline + 18)}\" text-anchor=\"middle\" font-size=\"13\" fill=\"{Ink}\">").Text(bar.Label).Append("</text>\n");
        }

        svg.Append($"<line x1=\"{Left}\" y1=\"{baseline}\" x2=\"{width}\" y2=\"{baseline}\" stroke=\"{Rule}\" stroke-width=\"1\"/>\n");
        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>Horizontal bars top to bottom, for a breakdown such as by language.</summary>
    public static string Rows(string id, string title, string description, IReadOnlyList<Bar> bars)
    {
        const int Row = 32, LabelWidth = 170, ValueWidth = 100, Width = 480;
        var height = Math.Max(Row, bars.Count * Row) + 8;
        var max = Max(bars);
        var svg = Open(id, title, description, Width, height);
        var room = Width - LabelWidth - ValueWidth;
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var y = 4 + (i * Row);
            svg.Append($"<text x=\"{LabelWidth - 8}\" y=\"{y + 21}\" text-anchor=\"end\" font-size=\"15\" fill=\"{Ink}\">").Text(Shorten(bar.Label, 20)).Append("</text>\n");
            var w = bar.Value is { } value && max > 0 ? room * value / max : 0;
            if (bar.Value is not null)
            {
                svg.Append($"<rect x=\"{LabelWidth}\" y=\"{y + 4}\" width=\"{N(w)}\" height=\"{Row - 8}\" fill=\"{Fill}\"/>\n");
            }

            svg.Append($"<text x=\"{N(LabelWidth + w + 6)}\" y=\"{y + 21}\" font-size=\"15\" fill=\"{Ink}\">").Text(bar.ValueText).Append("</text>\n");
        }

        svg.Append($"<line x1=\"{LabelWidth}\" y1=\"0\" x2=\"{LabelWidth}\" y2=\"{height}\" stroke=\"{Rule}\" stroke-width=\"1\"/>\n");
        return svg.Append("</svg>\n").ToString();
    }

    private static StringBuilder Open(string id, string title, string description, int width, int height) =>
        new StringBuilder()
            .Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" class=\"chart\" font-family=\"Arial, Helvetica, sans-serif\">\n")
            .Append($"<title id=\"{id}-title\">").Text(title).Append("</title>\n")
            .Append($"<desc id=\"{id}-desc\">").Text(description).Append("</desc>\n");

    private static double Max(IReadOnlyList<Bar> bars) => bars.Select(b => b.Value ?? 0).DefaultIfEmpty(0).Max();

    private static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Shorten(string text, int most) => text.Length <= most ? text : text[..(most - 1)] + "…";
}
