using Wmtty.Fhir.Serialization;

namespace Wmtty.Fhir.Patients;

/// <summary>NHS numbers: ten digits, the last a Modulus 11 check digit.</summary>
public static class NhsNumber
{
    public const string System = "https://fhir.nhs.uk/Id/nhs-number";

    public static bool IsValid(string? value) => Check(value) is null;

    /// <summary>Returns null for a valid NHS number, otherwise why it is not one, in words a person can act on.</summary>
    public static string? Check(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "An NHS number is required.";
        }

        if (value.Length != 10 || !value.All(char.IsAsciiDigit))
        {
            return $"An NHS number is exactly 10 digits with no spaces or other characters; '{Describe(value)}' is not.";
        }

        // Ten of one digit pass the Modulus 11 check, but are placeholders, never issued.
        if (value.All(c => c == value[0]))
        {
            return $"'{value}' is not a valid NHS number: ten of the same digit is a placeholder, not a number anyone is given.";
        }

        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += (value[i] - '0') * (10 - i);
        }

        var expected = 11 - (sum % 11);
        if (expected == 11)
        {
            expected = 0;
        }

        if (expected == 10)
        {
            return $"'{value}' is not a valid NHS number: no NHS number can begin with these nine digits (the Modulus 11 check gives 10).";
        }

        var actual = value[9] - '0';
        return actual == expected
            ? null
            : $"'{value}' is not a valid NHS number: the Modulus 11 check digit should be {expected}, not {actual}. Check for a mistyped digit.";
    }

    private static string Describe(string value) => FhirText.Shorten(value, 20);
}
