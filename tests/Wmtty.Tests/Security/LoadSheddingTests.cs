using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Security;

/// <summary>
/// Shedding load (LoadShedding), on real loopback HTTP: with every place taken and the queue full, a request is answered
/// at once with 503, Retry-After and an OperationOutcome, not left to time out; health probes still answer; the request
/// holding the place finishes normally; and once it has, requests are served again.
/// </summary>
public sealed class LoadSheddingTests
{
    // A Patient whose body arrives in two parts, the second only when released: its request holds its place meanwhile.
    private sealed class SlowBody(TaskCompletionSource started, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes("""{"resourceType":"Patient","""));
            await stream.FlushAsync();
            started.TrySetResult();
            await release;
            await stream.WriteAsync(Encoding.UTF8.GetBytes($$"""
                "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"{{NhsNumbers.Next()}}"}]}
                """));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task OverloadedTheServiceAnswers503WithAnOperationOutcomeAtOnceAndServesAgainAfterwards()
    {
        await using var app = new WmttyApp(new() { ["Overload:MaxConcurrentRequests"] = "1", ["Overload:QueueLimit"] = "0" });
        app.UseKestrel(0);
        app.StartServer();
        using var client = new HttpClient { BaseAddress = app.LoopbackAddress, Timeout = TimeSpan.FromSeconds(30) }; // real sockets: the body really waits
        client.DefaultRequestHeaders.Authorization = new("Bearer", await app.TokenAsync("ehrwriter"));

        // The slow request holds the one place once it is in. But its body is sent before the service has taken it in, so
        // a probe can get there first under load: then the slow request is the one shed, and every probe after it is
        // served. An attempt that sees no 503 within a few seconds finishes its slow request and starts again.
        HttpResponseMessage? shed = null;
        Task<HttpResponseMessage> slow = Task.FromResult(new HttpResponseMessage());
        var release = new TaskCompletionSource();
        var createdBefore = 0;
        for (var attempt = 0; attempt < 5 && shed is null; attempt++)
        {
            var started = new TaskCompletionSource();
            release = new TaskCompletionSource();
            var slowContent = new SlowBody(started, release.Task);
            slowContent.Headers.ContentType = new("application/fhir+json");
            slow = client.PostAsync("/fhir/Patient", slowContent);
            await started.Task;

            var deadline = DateTime.UtcNow.AddSeconds(4);
            while (shed is null && DateTime.UtcNow < deadline)
            {
                var response = await client.GetAsync("/fhir/metadata");
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    shed = response;
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    response.Dispose();
                    await Task.Delay(10);
                }
            }

            if (shed is null)
            {
                release.SetResult();
                using var missed = await slow;
                Assert.Contains(missed.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.ServiceUnavailable });
                createdBefore += missed.StatusCode == HttpStatusCode.Created ? 1 : 0;
            }
        }

        Assert.NotNull(shed);
        using (shed)
        {
            Assert.Equal("1", shed.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.StartsWith("application/fhir+json", shed.Content.Headers.ContentType?.ToString());
            var outcome = JsonNode.Parse(await shed.Content.ReadAsStringAsync())!;
            Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
            Assert.Equal("transient", outcome["issue"]![0]!["code"]!.GetValue<string>());
        }

        using (var write = await client.PostAsync("/fhir/Patient", new StringContent("""{"resourceType":"Patient"}""", Encoding.UTF8, "application/fhir+json")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode); // shed before it was read: nothing stored
        }

        using (var live = await client.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode); // probes are never shed
        }

        release.SetResult();
        using (var finished = await slow)
        {
            Assert.Equal(HttpStatusCode.Created, finished.StatusCode);
        }

        using var again = await client.GetAsync("/fhir/Patient?_summary=count");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(createdBefore + 1, JsonNode.Parse(await again.Content.ReadAsStringAsync())!["total"]!.GetValue<int>()); // the slow ones only
    }
}
