using System.Net;
using System.Text;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Fhir;

/// <summary>
/// The bad-input corpus, <c>tests/bad-input/*.request</c>: one hostile or broken request a file, each with the status it
/// must get. Every one gets that 4xx with an OperationOutcome, never a 500, and leaves the stored data as it was
/// (every table but the audit trail's, which records the refusals).
/// </summary>
/// <remarks>
/// A file is the request as sent: a line <c>METHOD path</c>, header lines, a blank line, then the body's exact bytes
/// (invalid UTF-8 included). Lines starting <c>X-Corpus-</c> are for this runner, not sent:
/// <list type="bullet">
/// <item><c>X-Corpus-Expect: 400</c>, the status it must get;</item>
/// <item><c>X-Corpus-Role: admin</c>, whose Development token to send (<c>ehrwriter</c> by default; <c>none</c>, no token);</item>
/// <item><c>X-Corpus-Body: repeat N</c>, the body after the blank line sent N times over; <c>X-Corpus-Body: nest N</c>,
/// the body's first line N times, then its second line N times, or with four lines, the first, the second N times, the
/// third N times and the fourth (deep nesting or a big body without a big file).</item>
/// </list>
/// <c>{patient}</c>, <c>{response}</c> and <c>{nhs}</c> in the path, headers or body become a stored patient's id, their
/// stored response's id and their NHS number.
/// </remarks>
public sealed class BadInputCorpusTests : IAsyncLifetime
{
    private static readonly string Folder = Repository.PathOf("tests", "bad-input");
    private readonly WmttyApp app = new();
    private readonly Dictionary<string, HttpClient> clients = new(StringComparer.Ordinal);
    private string patient = "";
    private string nhs = "";
    private string response = "";

    public static TheoryData<string> Cases() => [.. Directory.GetFiles(Folder, "*.request").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    public async Task InitializeAsync()
    {
        var writer = await ClientAsync("ehrwriter");
        (patient, nhs) = await Responses.CreatePatientAsync(writer);
        response = (await Responses.SubmitAsync(writer, Responses.Build(patient, Responses.TypicalAnswers())))["id"]!.GetValue<string>();
    }

    public async Task DisposeAsync()
    {
        foreach (var client in clients.Values)
        {
            client.Dispose();
        }

        await app.DisposeAsync();
    }

    [Fact]
    public void TheCorpusHasAtLeastSixtyRequestsEachWithTheStatusItMustGet()
    {
        var files = Directory.GetFiles(Folder, "*.request");
        Assert.True(files.Length >= 60, $"{files.Length} requests in {Folder}");
        Assert.All(files, file => Assert.Matches(@"(?m)^X-Corpus-Expect: 4\d\d\r?$", Encoding.UTF8.GetString(File.ReadAllBytes(file)).Split("\n\n")[0]));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EachBadRequestGetsItsStatusWithAnOperationOutcomeAndChangesNothing(string name)
    {
        var before = StoredRows.Text(app.DatabasePath);
        var (request, expected, role) = Parse(File.ReadAllBytes(Path.Combine(Folder, name)));
        var client = await ClientAsync(role);
        using var answer = await client.SendAsync(request);
        await answer.AssertOutcomeAsync(expected);
        Assert.Equal(before, StoredRows.Text(app.DatabasePath));
    }

    private async Task<HttpClient> ClientAsync(string role)
    {
        if (!clients.TryGetValue(role, out var client))
        {
            client = role == "none" ? app.CreateClient() : await app.ClientAsync(role);
            clients[role] = client;
        }

        return client;
    }

    private (HttpRequestMessage Request, HttpStatusCode Expected, string Role) Parse(byte[] file)
    {
        var split = IndexOf(file, "\n\n"u8);
        var head = Encoding.UTF8.GetString(file, 0, split < 0 ? file.Length : split).Split('\n');
        var body = split < 0 ? [] : file[(split + 2)..];
        var first = Fill(head[0]).Split(' ', 2);
        var request = new HttpRequestMessage(new HttpMethod(first[0]), first[1]);
        var expected = HttpStatusCode.BadRequest;
        var role = "ehrwriter";
        var headers = new List<(string Name, string Value)>();
        foreach (var line in head.Skip(1).Where(l => l.Length > 0))
        {
            var colon = line.IndexOf(':');
            var (headerName, value) = (line[..colon].Trim(), Fill(line[(colon + 1)..].Trim()));
            switch (headerName)
            {
                case "X-Corpus-Expect":
                    expected = (HttpStatusCode)int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "X-Corpus-Role":
                    role = value;
                    break;
                case "X-Corpus-Body":
                    body = Generate(value, body);
                    break;
                default:
                    headers.Add((headerName, value));
                    break;
            }
        }

        if (split >= 0)
        {
            request.Content = new ByteArrayContent(Encoding.Latin1.GetBytes(Fill(Encoding.Latin1.GetString(body)))); // byte for byte: invalid UTF-8 stays as written
        }

        foreach (var (headerName, value) in headers)
        {
            if (!request.Headers.TryAddWithoutValidation(headerName, value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(headerName, value);
            }
        }

        return (request, expected, role);
    }

    private string Fill(string text) => text.Replace("{patient}", patient).Replace("{response}", response).Replace("{nhs}", nhs);

    private static byte[] Generate(string how, byte[] body)
    {
        var parts = how.Split(' ');
        var times = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        switch (parts[0])
        {
            case "repeat":
                return [.. Enumerable.Repeat(body, times).SelectMany(b => b)];
            case "nest":
                // Two lines: the first N times, then the second N times. Four: the first, the second N times, the third N times, the fourth.
                var lines = Encoding.Latin1.GetString(body).Split('\n');
                var (prefix, open, close, suffix) = lines.Length >= 4 ? (lines[0], lines[1], lines[2], lines[3]) : ("", lines[0], lines.Length > 1 ? lines[1] : "", "");
                return Encoding.Latin1.GetBytes(prefix + string.Concat(Enumerable.Repeat(open, times)) + string.Concat(Enumerable.Repeat(close, times)) + suffix);
            default:
                throw new InvalidOperationException($"X-Corpus-Body: '{how}' is not known.");
        }
    }

    private static int IndexOf(byte[] bytes, ReadOnlySpan<byte> what) => bytes.AsSpan().IndexOf(what);
}
