using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;

namespace Wmtty.Fhir.Serialization;

/// <summary>
/// One cheap pass over a request body before the SDK reads it, for what the SDK lets through: a
/// second JSON value, repeated properties, characters FHIR strings may not hold, numbers that a .NET
/// decimal would silently change, and XML nested deep enough to exhaust the stack.
/// </summary>
internal static class InputChecks
{
    private const string FhirNamespace = "http://hl7.org/fhir";

    /// <summary>Null when the JSON may go on to the SDK; <paramref name="resourceType"/> is the top-level value as written.</summary>
    public static string? CheckJson(ReadOnlySpan<byte> utf8, JsonReaderOptions options, out string? resourceType)
    {
        resourceType = null;
        var reader = new Utf8JsonReader(utf8, options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return "The body is not a JSON object. A FHIR resource starts with '{' and has a resourceType.";
        }

        // The property names seen in each enclosing object; null for an array.
        var objects = new Stack<HashSet<string>?>();
        objects.Push(new HashSet<string>(StringComparer.Ordinal));
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    objects.Push(new HashSet<string>(StringComparer.Ordinal));
                    break;
                case JsonTokenType.StartArray:
                    objects.Push(null);
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    objects.Pop();
                    break;
                case JsonTokenType.PropertyName:
                    var name = reader.GetString()!;
                    if (Forbidden(ref reader) is { } inName)
                    {
                        return inName;
                    }

                    if (!objects.Peek()!.Add(name))
                    {
                        return $"The property '{Shorten(name)}' appears twice in one object (at byte {reader.TokenStartIndex}).";
                    }

                    if (reader.CurrentDepth == 1 && name == "resourceType" && reader.Read() && reader.TokenType == JsonTokenType.String)
                    {
                        resourceType = reader.GetString();
                    }

                    break;
                case JsonTokenType.String when Forbidden(ref reader) is { } inValue:
                    return inValue;
                case JsonTokenType.Number when !DecimalFits(reader.ValueSpan):
                    return $"The number at byte {reader.TokenStartIndex} cannot be kept exactly: FHIR decimals here hold at most 28 significant digits.";
            }
        }

        return null;
    }

    /// <summary>
    /// Null when the XML is shallow enough, counting FHIR elements only (narrative XHTML is read
    /// without recursion); <paramref name="rootName"/> is the root element's name as written.
    /// </summary>
    public static string? CheckXml(byte[] xml, XmlReaderSettings settings, int maxDepth, out string? rootName)
    {
        rootName = null;
        using var stream = new MemoryStream(xml);
        using var reader = XmlReader.Create(stream, settings);
        var read = reader.Read();
        while (read)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.NamespaceURI != FhirNamespace && rootName is not null)
            {
                read = !reader.EOF && SkipSubtree(reader);
                continue;
            }

            if (reader.NodeType == XmlNodeType.Element)
            {
                rootName ??= reader.LocalName;
                if (reader.Depth > maxDepth)
                {
                    return $"The XML is nested more than {maxDepth} levels deep.";
                }
            }

            read = reader.Read();
        }

        return null;
    }

    // Skip() moves to the node after the subtree; report whether there is one.
    private static bool SkipSubtree(XmlReader reader)
    {
        reader.Skip();
        return !reader.EOF;
    }

    // Unescaped JSON text cannot hold controls or lone surrogates, but can hold U+FFFE and U+FFFF.
    private static string? Forbidden(ref Utf8JsonReader reader)
    {
        char? forbidden = reader.ValueIsEscaped && reader.GetString() is { } text && FhirText.IndexOfForbidden(text) is >= 0 and var at
            ? text[at]
            : reader.ValueSpan.IndexOf("\uFFFE"u8) >= 0 ? '\uFFFE' : reader.ValueSpan.IndexOf("\uFFFF"u8) >= 0 ? '\uFFFF' : null;
        return forbidden is { } c
            ? $"The text at byte {reader.TokenStartIndex} contains U+{(int)c:X4}, a character FHIR does not allow in strings."
            : null;
    }

    // A .NET decimal keeps 28 significant digits and flushes tiny values to zero; either would change
    // the number without a word, so such a number is refused instead.
    private static bool DecimalFits(ReadOnlySpan<byte> raw)
    {
        var text = Encoding.ASCII.GetString(raw);
        var exponent = text.IndexOfAny(['e', 'E']);
        var mantissa = (exponent < 0 ? text : text[..exponent]).TrimStart('-').Replace(".", "", StringComparison.Ordinal);
        var significant = mantissa.TrimStart('0');
        if (significant.Length > 28)
        {
            return false;
        }

        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        return value != 0 || significant.Trim('0').Length == 0;
    }

    private static string Shorten(string text) => FhirText.Shorten(text, 40);
}
