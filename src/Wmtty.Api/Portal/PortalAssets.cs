using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Wmtty.Api.Portal;

/// <summary>The portal's stylesheet and script, embedded in the service and served from memory with long caching.</summary>
internal static class PortalAssets
{
    private static readonly FrozenDictionary<string, (byte[] Bytes, string ContentType)> Files = Load();

    /// <summary>A short hash of the assets: part of their URLs, so a changed file is a new URL.</summary>
    public static string Version { get; } = Convert.ToHexStringLower(SHA256.HashData(Files.Values.SelectMany(f => f.Bytes).ToArray()))[..12];

    public static IResult Serve(string name, HttpContext http)
    {
        if (!Files.TryGetValue(name, out var file))
        {
            return TypedResults.NotFound();
        }

        http.Response.Headers.CacheControl = http.Request.Query.ContainsKey("v") ? "public, max-age=31536000, immutable" : "no-cache";
        return TypedResults.Bytes(file.Bytes, file.ContentType);
    }

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(PortalAssets).Assembly;
        const string Prefix = "Wmtty.Api.Portal.Assets.";
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var name = resource[Prefix.Length..];
            var type = Path.GetExtension(name) switch
            {
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                _ => "application/octet-stream",
            };
            files[name] = (copy.ToArray(), type);
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
