using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Wmtty.Api.Clinician;

namespace Wmtty.Api.Security;

/// <summary>
/// Headers every response carries: a content security policy with no inline script, no MIME sniffing,
/// no referrer, no framing; HSTS outside Development; and a request id, echoed when the caller sent a
/// usable one, so a support call and the logs can meet. The clinician pages alone may be framed, and
/// only by the EHR origins in <c>Clinician:FrameAncestors</c>.
/// </summary>
internal static partial class SecurityHeaders
{
    public const string RequestIdHeader = "X-Request-ID";

    // Swagger UI sets style attributes and data: images from its own script; nothing runs inline.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Wmtty.Requests");
        var clinician = app.Services.GetRequiredService<IOptions<ClinicianOptions>>().Value; // a bad origin stops start-up here
        var framedPolicy = clinician.IsFramed
            ? ContentSecurityPolicy.Replace("frame-ancestors 'none'", "frame-ancestors 'self' " + string.Join(' ', clinician.Origins()), StringComparison.Ordinal)
            : null;
        app.Use(async (context, next) =>
        {
            var given = context.Request.Headers[RequestIdHeader].ToString();
            var requestId = RequestIdPattern().IsMatch(given) ? given : context.TraceIdentifier;
            context.TraceIdentifier = requestId;
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers[RequestIdHeader] = requestId;
                headers.XContentTypeOptions = "nosniff";
                if (framedPolicy is not null && context.Request.Path.StartsWithSegments(ClinicianSession.Path))
                {
                    // X-Frame-Options cannot name several origins, and would overrule the CSP in older browsers.
                    headers.ContentSecurityPolicy = framedPolicy;
                    headers.Remove(Microsoft.Net.Http.Headers.HeaderNames.XFrameOptions);
                }
                else
                {
                    headers.ContentSecurityPolicy = ContentSecurityPolicy;
                    headers.XFrameOptions = "DENY";
                }
                headers["Referrer-Policy"] = "no-referrer";
                return Task.CompletedTask;
            });

            using (logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = requestId }))
            {
                await next(context);
            }
        });

        return app;
    }

    // A caller's id is taken only if it is short and plain: it goes into headers and logs.
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex RequestIdPattern();
}
