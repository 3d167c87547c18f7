using System.Text.RegularExpressions;

namespace Wmtty.Fhir.Validation;

/// <summary>
/// The R4 regular expressions for date, dateTime, instant and time, as the specification (and the
/// official JSON schema) writes them. The SDK's parser accepts some forms these forbid, such as a time
/// without seconds.
/// </summary>
internal static partial class TemporalPatterns
{
    private const string Year = "([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)";
    private const string Clock = "([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?";
    private const string Zone = "(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))";

    [GeneratedRegex("^" + Year + "(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$", RegexOptions.CultureInvariant)]
    public static partial Regex Date();

    [GeneratedRegex("^" + Year + "(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T" + Clock + Zone + ")?)?)?$", RegexOptions.CultureInvariant)]
    public static partial Regex DateTime();

    [GeneratedRegex("^" + Year + "-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T" + Clock + Zone + "$", RegexOptions.CultureInvariant)]
    public static partial Regex Instant();

    [GeneratedRegex("^" + Clock + "$", RegexOptions.CultureInvariant)]
    public static partial Regex Time();
}
