using Wmtty.Fhir.Patients;

namespace Wmtty.Tests.Infrastructure;

/// <summary>Valid NHS numbers from the 999 test range, distinct per call, so tests never share a patient.</summary>
public static class NhsNumbers
{
    private static int next = Random.Shared.Next(0, 500_000);

    public static string Next()
    {
        while (true)
        {
            var body = "999" + (Interlocked.Increment(ref next) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
            for (var check = 0; check <= 9; check++)
            {
                if (NhsNumber.IsValid(body + check))
                {
                    return body + check;
                }
            }
        }
    }
}
