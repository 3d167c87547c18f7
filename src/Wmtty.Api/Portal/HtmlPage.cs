using System.Text;

namespace Wmtty.Api.Portal;

/// <summary>A rendered portal page: never cached, as it holds a patient's answers.</summary>
internal sealed class HtmlPage(int statusCode, string html) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => statusCode;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        PortalPage.NoStore(response);
        var body = Encoding.UTF8.GetBytes(html);
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }
}

/// <summary>303 See Other: after a form is sent, the browser fetches the next page with GET, and reloading does not send it again.</summary>
internal sealed class SeeOther(string location) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => StatusCodes.Status303SeeOther;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        PortalPage.NoStore(httpContext.Response);
        httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
        httpContext.Response.Headers.Location = httpContext.Request.PathBase + location;
        return Task.CompletedTask;
    }
}
