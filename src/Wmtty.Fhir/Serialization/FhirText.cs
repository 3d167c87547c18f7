using System.Text;

namespace Wmtty.Fhir.Serialization;

/// <summary>
/// The characters a FHIR string may not hold: controls other than tab, CR and LF, the non-characters
/// U+FFFE and U+FFFF, and unpaired surrogates. XML cannot hold them either, nor can Unicode
/// normalization take them.
/// </summary>
public static class FhirText
{
    /// <summary>The index of the first forbidden character, or -1.</summary>
    public static int IndexOfForbidden(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsPair(text, i))
            {
                i++;
            }
            else if (IsForbidden(text[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The text with each forbidden character replaced by U+FFFD.</summary>
    public static string ReplaceForbidden(string text)
    {
        var first = IndexOfForbidden(text);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length).Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            if (IsPair(text, i))
            {
                builder.Append(text, i, 2);
                i++;
            }
            else
            {
                builder.Append(IsForbidden(text[i]) ? '\uFFFD' : text[i]);
            }
        }

        return builder.ToString();
    }

    /// <summary>The text cut to <paramref name="max"/> characters, with an ellipsis, for quoting input back in messages.</summary>
    public static string Shorten(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    private static bool IsPair(string text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);

    // Reached only for a character that is not the start of a surrogate pair.
    private static bool IsForbidden(char c) =>
        (c < ' ' && c is not ('\t' or '\r' or '\n')) || c is '\uFFFE' or '\uFFFF' || char.IsSurrogate(c);

    private static readonly System.Buffers.SearchValues<char> BidiControls =
        System.Buffers.SearchValues.Create("\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069");

    /// <summary>
    /// The text without Unicode direction overrides and isolates, which could make a reader see words
    /// in a different order than they were written. For text shown to clinicians, not for storage.
    /// </summary>
    public static string WithoutBidiControls(string text) =>
        text.AsSpan().IndexOfAny(BidiControls) < 0 ? text : string.Concat(text.Where(c => !BidiControls.Contains(c)));
}
