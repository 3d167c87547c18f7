using System.Text;

namespace Wmtty.Api.Search;

/// <summary>FHIR search value syntax: ',' separates alternatives and '|' system from code; '\' escapes either.</summary>
internal static class SearchValues
{
    public static List<string> SplitUnescaped(string value, char separator)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\' && i + 1 < value.Length && value[i + 1] is ',' or '|' or '$' or '\\')
            {
                current.Append('\\').Append(value[++i]);
            }
            else if (c == separator)
            {
                parts.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        parts.Add(current.ToString());
        return parts;
    }

    public static string Unescape(string value) =>
        value.Replace("\\,", ",").Replace("\\|", "|").Replace("\\$", "$").Replace("\\\\", "\\");
}
