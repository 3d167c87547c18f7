namespace Wmtty.Tests.Infrastructure;

/// <summary>Valid NHS numbers from the 999 test range, distinct per call, so tests never share a patient.</summary>
public static class NhsNumbers
{
    private static int next = Random.Shared.Next(0, 5_000_000);

    public static string Next()
    {
        while (true)
        {
            var body = "999" + (Interlocked.Increment(ref next) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
            var sum = 0;
            for (var i = 0; i < 9; i++)
            {
                sum += (body[i] - '0') * (10 - i);
            }

            var check = 11 - (sum % 11);
            if (check == 11)
            {
                check = 0;
            }

            if (check != 10)
            {
                return body + check;
            }
        }
    }
}
