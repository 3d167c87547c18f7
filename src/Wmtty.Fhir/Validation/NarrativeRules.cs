using System.Xml;

namespace Wmtty.Fhir.Validation;

/// <summary>
/// FHIR narrative rules (txt-1, txt-2), checked the same way whatever format the resource came in:
/// one XHTML <c>div</c>, only the basic formatting elements and attributes, no scripts, event handlers,
/// script URLs, comments, processing instructions or CDATA, and some content. Clinicians' pages show
/// narrative, so anything that could run in a browser is refused.
/// </summary>
public static class NarrativeRules
{
    private const string Xhtml = "http://www.w3.org/1999/xhtml";

    private static readonly HashSet<string> Elements =
    [
        "a", "abbr", "acronym", "address", "area", "b", "bdo", "big", "blockquote", "br", "caption", "cite", "code", "col",
        "colgroup", "dd", "dfn", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li",
        "map", "ol", "p", "pre", "q", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "tt", "ul", "var",
    ];

    private static readonly HashSet<string> Attributes =
    [
        "id", "class", "style", "title", "lang", "dir", "href", "name", "rel", "rev", "hreflang", "type", "charset", "shape",
        "coords", "src", "alt", "height", "width", "usemap", "ismap", "summary", "border", "frame", "rules", "cellspacing",
        "cellpadding", "abbr", "axis", "headers", "scope", "rowspan", "colspan", "align", "valign", "char", "charoff", "span",
        "cite", "start", "value", "compact", "nohref",
    ];

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = false,
        IgnoreProcessingInstructions = false,
        ConformanceLevel = ConformanceLevel.Document,
        MaxCharactersFromEntities = 0,
    };

    /// <summary>Null when the div is acceptable, otherwise why not.</summary>
    public static string? Check(string? div)
    {
        if (string.IsNullOrWhiteSpace(div))
        {
            return "The narrative div is empty.";
        }

        if (!div.TrimStart().StartsWith("<div", StringComparison.Ordinal))
        {
            return "The narrative must be a single XHTML <div> element, with nothing before it.";
        }

        try
        {
            using var reader = XmlReader.Create(new StringReader(div), Settings);
            var hasContent = false;
            var depth0Elements = 0;
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        if (reader.Depth == 0 && (++depth0Elements > 1 || reader.LocalName != "div"))
                        {
                            return "The narrative must be a single XHTML <div> element.";
                        }

                        if (reader.NamespaceURI != Xhtml || !Elements.Contains(reader.LocalName))
                        {
                            return $"The narrative contains <{reader.Name}>, which FHIR narrative does not allow.";
                        }

                        hasContent |= reader.LocalName == "img";
                        if (CheckAttributes(reader) is { } problem)
                        {
                            return problem;
                        }

                        break;
                    case XmlNodeType.Text:
                        hasContent |= !string.IsNullOrWhiteSpace(reader.Value);
                        break;
                    case XmlNodeType.CDATA or XmlNodeType.Comment or XmlNodeType.ProcessingInstruction or XmlNodeType.XmlDeclaration or XmlNodeType.DocumentType:
                        return $"The narrative contains {reader.NodeType}, which is not allowed.";
                }
            }

            return hasContent ? null : "The narrative has no content (txt-2).";
        }
        catch (XmlException exception)
        {
            return $"The narrative is not well-formed XHTML: {exception.Message}";
        }
    }

    private static string? CheckAttributes(XmlReader reader)
    {
        while (reader.MoveToNextAttribute())
        {
            if (reader.Prefix == "xmlns" || reader.Name == "xmlns")
            {
                continue;
            }

            var name = reader.LocalName;
            var allowed = reader.NamespaceURI.Length == 0 ? Attributes.Contains(name) : reader.Name == "xml:lang";
            if (!allowed)
            {
                return $"The narrative uses the attribute '{reader.Name}', which FHIR narrative does not allow.";
            }

            if (name is "href" or "src" or "cite" or "longdesc" or "usemap" && !SafeUrl(reader.Value, name == "src"))
            {
                return $"The narrative links to a URL scheme that is not allowed in '{name}'. Use http, https, mailto or a relative link.";
            }

            if (name == "style" && (reader.Value.Contains("url(", StringComparison.OrdinalIgnoreCase) || reader.Value.Contains("expression", StringComparison.OrdinalIgnoreCase)))
            {
                return "The narrative's style attribute may not load URLs or use expressions.";
            }
        }

        reader.MoveToElement();
        return null;
    }

    private static bool SafeUrl(string url, bool image)
    {
        // Browsers ignore leading whitespace and control characters before a scheme.
        var trimmed = new string(url.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).ToArray());
        var colon = trimmed.IndexOf(':');
        var slash = trimmed.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (slash >= 0 && slash < colon))
        {
            return true; // relative
        }

        var scheme = trimmed[..colon].ToLowerInvariant();
        return scheme is "http" or "https" or "mailto" or "tel" or "urn"
            || (image && scheme == "data" && trimmed.StartsWith("data:image/", StringComparison.OrdinalIgnoreCase) && !trimmed.StartsWith("data:image/svg", StringComparison.OrdinalIgnoreCase));
    }
}
