using System.Text;

namespace Wmtty.Api.Portal;

/// <summary>
/// A small, plain HTML page for patients: one heading and a few short paragraphs, readable on a phone,
/// with no script and nothing loaded from elsewhere. Every text is HTML-encoded. Never cached: what it
/// says depends on a link that changes state.
/// </summary>
internal sealed class PortalPage(int statusCode, string heading, params string[] paragraphs) : IResult, IStatusCodeHttpResult
{
    private const string Style = """
        body{margin:0;padding:1rem;background:#f0f4f5;color:#212b32;font-family:Arial,Helvetica,sans-serif;font-size:1.1875rem;line-height:1.5}
        main{max-width:38rem;margin:1rem auto;padding:1.5rem 2rem;background:#fff;border-radius:4px}
        h1{margin:0 0 1rem;font-size:2rem;line-height:1.25}
        p{margin:0 0 1rem}
        """;

    public int? StatusCode => statusCode;

    public string Heading => heading;

    public Task ExecuteAsync(HttpContext httpContext) => new HtmlPage(statusCode, Render()).ExecuteAsync(httpContext);

    public string Render()
    {
        var html = new StringBuilder();
        html.Append("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"robots\" content=\"noindex, nofollow\">\n")
            .Append("<title>").Append(Encode(heading)).Append(" - What Matters To You</title>\n")
            .Append("<style>\n").Append(Style).Append("\n</style>\n</head>\n<body>\n<main>\n")
            .Append("<h1>").Append(Encode(heading)).Append("</h1>\n");
        foreach (var paragraph in paragraphs)
        {
            html.Append("<p>").Append(Encode(paragraph)).Append("</p>\n");
        }

        return html.Append("</main>\n</body>\n</html>\n").ToString();
    }

    private static string Encode(string text) => Html.Encode(text);
}

/// <summary>The pages a patient can meet on the way into the portal, in plain words that say what to do next.</summary>
internal static class PortalPages
{
    private const string AskAgain =
        "Please ask the person who sent it to you (your GP practice, clinic or community connector) for a new link. Nothing you have already told us is lost.";

    public static PortalPage AlreadyUsed { get; } = new(StatusCodes.Status410Gone, "This link has already been used",
        "Each invitation link can only be opened once, and this one has been opened before.", AskAgain);

    public static PortalPage Expired { get; } = new(StatusCodes.Status410Gone, "This link has expired",
        "Invitation links only work for a few days, to keep your information safe.", AskAgain);

    public static PortalPage Cancelled { get; } = new(StatusCodes.Status410Gone, "This link has been cancelled",
        "The person who sent you this link has cancelled it.", AskAgain);

    public static PortalPage NotOpened { get; } = new(StatusCodes.Status404NotFound, "We could not open this link",
        "The link may not have been copied in full. Check that you used the whole link from your message.", AskAgain);

    public static PortalPage NotFound { get; } = new(StatusCodes.Status404NotFound, "Page not found",
        "There is nothing at this address. If you were sent a link, check that you used the whole link from your message.");

    /// <summary>For an error the service could not avoid: its status, and no detail of what went wrong inside.</summary>
    public static PortalPage Problem(int statusCode) => statusCode switch
    {
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status503ServiceUnavailable or StatusCodes.Status429TooManyRequests => new(statusCode, "Sorry, we are very busy",
            "Please try again in a few minutes. Nothing you have already told us is lost."),
        < 500 => new(statusCode, "Sorry, we could not do that",
            "Please go back and try again. If it keeps happening, ask your GP practice, clinic or community connector for help."),
        _ => new(statusCode, "Sorry, something went wrong",
            "This is a problem on our side. Please try again in a few minutes. If your link no longer works, ask the person who sent it for a new one. Nothing you have already told us is lost."),
    };
}
