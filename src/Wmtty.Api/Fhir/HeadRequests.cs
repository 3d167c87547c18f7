namespace Wmtty.Api.Fhir;

/// <summary>
/// HEAD, which RFC 9110 asks every general-purpose server to support, is answered as GET on
/// <c>/fhir</c>: same status and headers, and Kestrel, which knows the request was HEAD, sends no body.
/// </summary>
internal static class HeadRequests
{
    public static IApplicationBuilder UseHeadAsGetOnFhir(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (HttpMethods.IsHead(context.Request.Method) && context.Request.Path.StartsWithSegments("/fhir"))
            {
                context.Request.Method = HttpMethods.Get;
            }

            return next(context);
        });
}
