namespace Wmtty.Api.Clinician;

/// <summary>A rendered clinician page: an <see cref="HtmlPage"/> that, refusing for want of sign-in, names the bearer scheme.</summary>
internal sealed class ClinicianPage(int statusCode, string html) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => statusCode;

    public string Html => html;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        if (statusCode == StatusCodes.Status401Unauthorized)
        {
            httpContext.Response.Headers.WWWAuthenticate = "Bearer";
        }

        return new HtmlPage(statusCode, html).ExecuteAsync(httpContext);
    }
}
