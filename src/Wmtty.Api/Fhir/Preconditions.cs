using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Net.Http.Headers;
using Wmtty.Api.Errors;

namespace Wmtty.Api.Fhir;

/// <summary>Versions in ETags (<c>W/"3"</c>) and the conditional request headers built on them.</summary>
internal static partial class Preconditions
{
    /// <summary>The version demanded by If-Match, null when absent; 400 when it is not a version ETag.</summary>
    public static int? IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (header.Length == 0)
        {
            return null;
        }

        return ParseVersion(header.Trim())
            ?? throw FhirException.BadRequest($"If-Match '{Shorten(header)}' is not a version ETag such as W/\"3\".");
    }

    /// <summary>True when If-None-Match names this version (or '*'): the client's copy is current.</summary>
    public static bool IfNoneMatchHits(HttpRequest request, int version)
    {
        var header = request.Headers.IfNoneMatch.ToString();
        if (header.Length == 0)
        {
            return false;
        }

        return header.Split(',').Select(t => t.Trim()).Any(tag => tag == "*" || ParseVersion(tag) == version);
    }

    /// <summary>True when If-Modified-Since is at or after the last change (to the second, as HTTP dates go).</summary>
    public static bool NotModifiedSince(HttpRequest request, DateTimeOffset lastUpdated)
    {
        if (request.Headers.IfNoneMatch.Count > 0)
        {
            return false; // If-None-Match takes precedence (RFC 9110).
        }

        var since = request.GetTypedHeaders().IfModifiedSince;
        return since is { } date && lastUpdated.ToUnixTimeSeconds() <= date.ToUnixTimeSeconds();
    }

    public static int? ParseVersion(string etag)
    {
        var match = VersionTag().Match(etag);
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? version
            : null;
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";

    [GeneratedRegex("^(?:W/)?\"([0-9]{1,9})\"$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionTag();
}
