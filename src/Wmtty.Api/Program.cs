using Wmtty.Api.Clinician;
using Wmtty.Api.Definitions;
using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Api.Health;
using Wmtty.Api.Import;
using Wmtty.Api.Invitations;
using Wmtty.Api.Logging;
using Wmtty.Api.Measures;
using Wmtty.Api.OpenApi;
using Wmtty.Api.Portal;
using Wmtty.Api.Rights;
using Wmtty.Api.Security;
using Wmtty.Api.SignIn;
using Wmtty.Api.Storage;

NativeMemory.RestartWithArenasCapped(); // glibc: two malloc arenas, not sixteen, so freed native memory is reused (MALLOC_ARENA_MAX overrides)

var builder = WebApplication.CreateBuilder(args);
if (BulkImportCommand.Requested(args))
{
    builder.Configuration["Logging:LogLevel:Default"] = "Warning"; // the progress bar says what is happening, not a line per resource
}

builder.AddWmttyStorage();   // SQLite (or SQL Server) through Dapper; migrations at start-up
builder.AddWmttySignIn();    // Entra ID bearer tokens via Microsoft.Identity.Web; a local issuer in Development
builder.AddFhirApi();        // FHIR R4 REST: formats, errors as OperationOutcome, capability statement
builder.AddWmttyDefinitions(); // the questionnaire and terminology; response checks and extraction
builder.AddWmttyOpenApi();   // Swagger document and UI
builder.AddClientLimits();   // CORS for named EHR origins; a rate limit per client (429)
builder.AddLoadShedding();   // at most so many requests at once, so many waiting; beyond, 503
builder.Services.AddPortal(); // the patient portal's drafts and form protection
builder.AddPatientRights();  // $everything, $erase, and the retention job that erases expired patients
builder.AddNativeMemoryTrim(); // free memory in glibc's malloc arenas goes back to the system every 30 s
builder.AddOutcomeMeasures(); // the outcome figures: counted in SQL, suppressed, as MeasureReport, CSV and charts

var app = builder.Build();

app.UseSecurityHeaders();    // CSP, nosniff, no referrer, HSTS outside Development; X-Request-ID
app.UseLoadShedding();       // overloaded: 503 at once, before any other work, not a timeout
app.UseExceptionHandler();   // exceptions become OperationOutcomes (FhirExceptionHandler)
app.UseFhirStatusPages();    // and so do bodiless 401/403/404/405s on /fhir and /invitations; /portal gets pages
app.UseRequestDecompression(); // gzip, deflate and br request bodies
app.UseHeadAsGetOnFhir();    // HEAD answers like GET, without the body (so before routing)
app.UseRouting();
app.UseCors();               // before sign-in, so a browser's preflight is answered
app.UseAuthentication();
app.UseRateLimiter();        // after sign-in, so the limit is per client application
app.UseAuthorization();

app.MapFhir();               // /fhir
app.MapInvitations();        // /invitations: single-use links to the portal, for staff who invite patients
app.MapPortal();             // /portal: the patient portal, entered through an invitation link or sign-in
app.MapClinician();          // /clinician: one patient's preferences on one page, for clinicians
app.MapMeasurePages();       // /clinician/measures: the outcome figures as charts and CSV, for public-health staff
app.MapDevelopmentSignIn();  // /dev/token, Development only
app.MapWmttyOpenApi();       // /swagger
app.MapHealth();             // /health/live, /health/ready

if (await OpenApiSetup.TryExportAsync(app, args)) // --export-openapi: write openapi/wmtty.v1.json and stop
{
    return;
}

if (BackupCommand.Requested(args)) // backup FOLDER: an online copy of the SQLite database and its audit journal, then stop
{
    Environment.ExitCode = BackupCommand.Run(app, args);
    return;
}

var database = app.MigrateDatabase();
app.SeedDefinitions();       // the current questionnaire version, its CodeSystem and ValueSets

if (BulkImportCommand.Requested(args)) // import FILE.ndjson: bulk-load Patients and QuestionnaireResponses, then stop
{
    Environment.ExitCode = await BulkImportCommand.RunAsync(app, args);
    await app.DisposeAsync(); // closes the database: its write-ahead log goes into the file
    return;
}

app.Lifetime.ApplicationStarted.Register(() =>
{
    var addresses = app.Urls.Count > 0 ? string.Join(", ", app.Urls) : "(test server)";
    var first = app.Urls.FirstOrDefault()?.Replace("://+", "://localhost").Replace("://*", "://localhost").Replace("://[::]", "://localhost") ?? "http://localhost:5080";
    app.Logger.Started(addresses, database.Description, database.LatestSchemaVersion);
    app.Logger.SwaggerAt($"{first}/swagger");
    if (app.DevelopmentSignInEnabled())
    {
        app.Logger.DevelopmentSignInOn($"{first}{DevelopmentSignInEndpoints.TokenPath}");
    }

    if (!app.Environment.IsDevelopment() && string.IsNullOrWhiteSpace(app.Configuration[$"{FhirOptions.Section}:BaseUrl"]))
    {
        app.Logger.BaseUrlFromRequests();
    }
});

app.Run();

/// <summary>The entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
