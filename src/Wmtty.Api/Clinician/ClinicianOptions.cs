using Microsoft.Extensions.Options;

namespace Wmtty.Api.Clinician;

/// <summary>Section <c>Clinician</c>: where the clinician pages may be shown inside another site.</summary>
internal sealed class ClinicianOptions
{
    public const string Section = "Clinician";

    /// <summary>
    /// The EHR origins (<c>https://ehr.example.nhs.uk</c>) allowed to show the pages in a frame. None: the
    /// pages may not be framed at all, like the rest of the service.
    /// </summary>
    public List<string> FrameAncestors { get; set; } = [];

    public bool IsFramed => FrameAncestors.Count > 0;

    /// <summary>The origins as CSP sources: scheme, host (in ASCII) and a port other than the default.</summary>
    public IEnumerable<string> Origins() => FrameAncestors.Select(o => SourceOf(Parse(o)!));

    /// <summary>Why a configured value is not a plain origin, or null when it is one.</summary>
    public static string? Problem(string? value)
    {
        var text = value?.Trim() ?? "";
        if (text.Length == 0 || text.Contains('*'))
        {
            return $"'{value}' is not an origin: give scheme and host, such as https://ehr.example.nhs.uk, with no wildcards.";
        }

        return Parse(text) is null
            ? $"'{value}' is not an origin: give only scheme, host and port, such as https://ehr.example.nhs.uk:8443, with no path, query or user name."
            : null;
    }

    // Anything beyond scheme, host and port would be ignored or misread in a CSP source, so it is refused rather than dropped.
    private static Uri? Parse(string text) =>
        Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri)
        && uri.Scheme is "https" or "http"
        && uri.UserInfo.Length == 0 && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0
        && !text.TrimEnd('/').EndsWith('?') && !text.Contains('#') && !text.Contains(';') && !text.Contains(',')
            ? uri
            : null;

    private static string SourceOf(Uri uri) => $"{uri.Scheme}://{uri.IdnHost}{(uri.IsDefaultPort ? "" : ":" + uri.Port)}";
}

/// <summary>Refuses start-up while any configured frame ancestor is not a plain origin, naming each one.</summary>
internal sealed class ClinicianOptionsValidation : IValidateOptions<ClinicianOptions>
{
    public ValidateOptionsResult Validate(string? name, ClinicianOptions options)
    {
        var problems = options.FrameAncestors.Select(ClinicianOptions.Problem).OfType<string>().ToList();
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(p => $"{ClinicianOptions.Section}:FrameAncestors: {p}"));
    }
}
