using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Wmtty.Api.Fhir;
using Wmtty.Fhir.Serialization;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Security;

/// <summary>Options for per-client rate limits: section <c>RateLimiting</c>.</summary>
internal sealed class RateLimitingOptions
{
    public const string Section = "RateLimiting";

    /// <summary>Requests each client may make per minute; 0 turns the limit off.</summary>
    public int PermitsPerMinute { get; set; }
}

/// <summary>
/// Who may call from a browser (CORS, named EHR origins only) and how often each client may call (a
/// fixed window per client application, or per address when anonymous), answered with 429 and an
/// OperationOutcome.
/// </summary>
internal static class ClientLimits
{
    public const string CorsSection = "Cors:AllowedOrigins";

    public static WebApplicationBuilder AddClientLimits(this WebApplicationBuilder builder)
    {
        var origins = builder.Configuration.GetSection(CorsSection).Get<string[]>() ?? [];
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy => policy
            .WithOrigins(origins)
            .WithMethods("GET", "HEAD", "POST", "PUT", "DELETE")
            .WithHeaders("Authorization", "Content-Type", "Accept", "If-Match", "If-None-Match", "If-None-Exist", "If-Modified-Since", "Prefer", SecurityHeaders.RequestIdHeader)
            .WithExposedHeaders("Location", "Content-Location", "ETag", "Last-Modified", SecurityHeaders.RequestIdHeader)));

        var limits = builder.Configuration.GetSection(RateLimitingOptions.Section).Get<RateLimitingOptions>() ?? new();
        builder.Services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => limits.PermitsPerMinute <= 0
                ? RateLimitPartition.GetNoLimiter("all")
                : RateLimitPartition.GetFixedWindowLimiter(ClientOf(context), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.PermitsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
            options.OnRejected = RejectAsync;
        });
        return builder;
    }

    // The client application a token was issued to; the signed-in subject if it names none; else the address.
    private static string ClientOf(HttpContext context)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated == true)
        {
            var client = user.FindFirst("azp")?.Value ?? user.FindFirst("appid")?.Value ?? user.FindFirst("sub")?.Value;
            if (client is not null)
            {
                return "client:" + client;
            }
        }

        return "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        await RefuseAsync(rejected.HttpContext.Response, StatusCodes.Status429TooManyRequests, seconds,
            FhirOutcome.Error(IssueType.Throttled, $"Too many requests from this client. Try again in {seconds} seconds."), cancellationToken);
    }

    /// <summary>Answers a request refused before it ran (429, 503): the status, <c>Retry-After</c> and the OperationOutcome.</summary>
    internal static async Task RefuseAsync(HttpResponse response, int status, int retryAfterSeconds, OperationOutcome outcome, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "no-store";
        response.ContentType = FhirFormats.JsonMediaType + "; charset=utf-8";
        await response.Body.WriteAsync(FhirSerialization.ToJsonBytes(outcome), cancellationToken);
    }
}
