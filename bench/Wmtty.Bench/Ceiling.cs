using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Wmtty.Bench;

/// <summary>
/// The ceiling: bare Kestrel in this process, no middleware, answering every request with fixed
/// bytes (one real $lastn answer) and its content type. What the machine can do with no work at all.
/// </summary>
internal static class Ceiling
{
    public static async Task<(WebApplication App, Uri Address)> StartAsync(byte[] body, string contentType)
    {
        var address = new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(address.ToString().TrimEnd('/'));
        var app = builder.Build();
        app.Run(context =>
        {
            context.Response.ContentType = contentType;
            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body).AsTask();
        });
        await app.StartAsync();
        return (app, address);
    }
}
