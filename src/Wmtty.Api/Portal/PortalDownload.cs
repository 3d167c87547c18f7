using System.Globalization;
using System.Text;
using Wmtty.Api.Fhir;
using Wmtty.Api.Rights;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Resources;
using static Wmtty.Api.Portal.PortalLayout;

namespace Wmtty.Api.Portal;

/// <summary>
/// The right of access in the portal: the patient downloads everything held about them, every version, as the FHIR
/// Bundle <c>$everything</c> gives. Audited as <c>$everything</c> against the patient.
/// </summary>
internal static class PortalDownload
{
    private const string DownloadPath = "/my-information";

    public static void MapPortalDownload(this RouteGroupBuilder portal) =>
        portal.MapGet(DownloadPath, Task<IResult> (HttpContext http) => PortalVisit.RunAsync(http, DownloadPath, Download, ("$everything", ResourceTypes.Patient)));

    /// <summary>The part of the start page that offers the download.</summary>
    public static void Offer(StringBuilder html, PortalLayout layout) =>
        html.Append("<h2>").Append(Encode(layout.T("Your information"))).Append("</h2>\n<p>")
            .Append(Encode(layout.T("You can download a copy of everything we hold about you, including earlier answers, as a file in the FHIR format that health systems use.")))
            .Append("</p>\n<p><a href=\"").Append(Attr(PortalEndpoints.Path + DownloadPath)).Append("\" download>").Append(Encode(layout.T("Download your information"))).Append("</a></p>\n");

    private static async Task<IResult> Download(PortalVisit visit)
    {
        var store = visit.Http.RequestServices.GetRequiredService<IResourceStore>();
        using var bundle = await RightsEndpoints.EverythingAsync(store, visit.PatientId, FhirRequest.BaseUrl(visit.Http), visit.Http.RequestAborted);
        if (bundle is null)
        {
            return PortalPages.NotFound;
        }

        HtmlPage.NoStore(visit.Http.Response);
        var name = string.Create(CultureInfo.InvariantCulture, $"my-information-{DateTime.UtcNow:yyyy-MM-dd}.json");
        return TypedResults.File(bundle.ToArray(), "application/fhir+json", name);
    }
}
