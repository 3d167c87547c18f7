namespace Wmtty.Api.Logging;

/// <summary>
/// Every log line the service writes, with stable event ids. They carry types, ids, versions and
/// counts only: never resource bodies, names, NHS numbers or free text.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Wmtty is listening on {Addresses}. Storage: {Storage}, schema version {SchemaVersion}.")]
    public static partial void Started(this ILogger logger, string addresses, string storage, int schemaVersion);

    [LoggerMessage(1001, LogLevel.Information, "Swagger UI: {SwaggerUrl}")]
    public static partial void SwaggerAt(this ILogger logger, string swaggerUrl);

    [LoggerMessage(1002, LogLevel.Warning, "Development sign-in is ON. Get a token with: curl '{TokenUrl}?role=clinician' (roles: ehr, ehrwriter, clinician, chaplain, connector, publichealth, admin, patient; add &nhs=<NHS number> for a patient).")]
    public static partial void DevelopmentSignInOn(this ILogger logger, string tokenUrl);

    [LoggerMessage(1003, LogLevel.Warning, "Fhir:BaseUrl is not set, so links, Location headers and the test for references to this server follow each request's Host header. Set it to the public FHIR base URL.")]
    public static partial void BaseUrlFromRequests(this ILogger logger);

    [LoggerMessage(1010, LogLevel.Information, "Applied database migrations {Versions}; schema is now at version {SchemaVersion}.")]
    public static partial void MigrationsApplied(this ILogger logger, string versions, int schemaVersion);

    [LoggerMessage(1011, LogLevel.Information, "Database schema is up to date at version {SchemaVersion}.")]
    public static partial void SchemaUpToDate(this ILogger logger, int schemaVersion);

    [LoggerMessage(1013, LogLevel.Warning, "Database setting: {Advice}")]
    public static partial void DatabaseAdvice(this ILogger logger, string advice);

    [LoggerMessage(1012, LogLevel.Critical, "The database cannot be used: {Reason}")]
    public static partial void DatabaseUnusable(this ILogger logger, string reason);

    [LoggerMessage(1014, LogLevel.Information, "Built the current-preferences projections of {Patients} patients stored before it existed.")]
    public static partial void ProjectionsBuilt(this ILogger logger, int patients);

    [LoggerMessage(1015, LogLevel.Warning, "Building the current-preferences projections stopped ({Error}); those patients are read the slower way, and the next start carries on.")]
    public static partial void ProjectionsNotBuilt(this ILogger logger, string error);

    [LoggerMessage(1016, LogLevel.Information, "Rewrote deflated the current-preferences projections of {Patients} patients stored before that format.")]
    public static partial void ProjectionsRewritten(this ILogger logger, int patients);

    [LoggerMessage(1017, LogLevel.Information, "Took the outcome-measure facts of {Sets} preference sets stored before they were kept.")]
    public static partial void MeasureFactsBackfilled(this ILogger logger, int sets);

    [LoggerMessage(1018, LogLevel.Warning, "Taking the outcome-measure facts of earlier preference sets stopped ({Error}); they count as not recorded in the breakdowns, and the next start carries on.")]
    public static partial void MeasureFactsNotBackfilled(this ILogger logger, string error);

    [LoggerMessage(2000, LogLevel.Information, "Wrote {ResourceType}/{ResourceId} version {Version}.")]
    public static partial void ResourceWritten(this ILogger logger, string resourceType, string resourceId, int version);

    [LoggerMessage(2001, LogLevel.Information, "Deleted {ResourceType}/{ResourceId}, recorded as version {Version}.")]
    public static partial void ResourceDeleted(this ILogger logger, string resourceType, string resourceId, int version);

    [LoggerMessage(2002, LogLevel.Warning, "A write lost a version race and is retried (attempt {Attempt}).")]
    public static partial void WriteConflictRetried(this ILogger logger, int attempt);

    [LoggerMessage(2003, LogLevel.Information, "QuestionnaireResponse/{ResponseId} gave a preference set of {Count} Observations.")]
    public static partial void PreferencesExtracted(this ILogger logger, string responseId, int count);

    [LoggerMessage(2004, LogLevel.Information, "QuestionnaireResponse/{ResponseId} is no longer complete: {Count} of its Observations withdrawn.")]
    public static partial void PreferencesWithdrawn(this ILogger logger, string responseId, int count);

    [LoggerMessage(2005, LogLevel.Information, "Patient/{PatientId}'s current preferences now come from QuestionnaireResponse/{ResponseId}.")]
    public static partial void PreferencesFellBack(this ILogger logger, string patientId, string? responseId);

    [LoggerMessage(2010, LogLevel.Information, "Seeded {ResourceType}/{ResourceId} ({Canonical}).")]
    public static partial void DefinitionSeeded(this ILogger logger, string resourceType, string resourceId, string canonical);

    [LoggerMessage(2011, LogLevel.Information, "Retired {ResourceType}/{ResourceId} ({Canonical}): a newer version is current.")]
    public static partial void DefinitionRetired(this ILogger logger, string resourceType, string resourceId, string canonical);

    [LoggerMessage(3000, LogLevel.Error, "Unhandled error {ExceptionType} on {Method} {RoutePattern} (trace {TraceId}).")]
    public static partial void UnhandledError(this ILogger logger, Exception exception, string exceptionType, string method, string routePattern, string traceId);

    [LoggerMessage(3001, LogLevel.Warning, "The database is busy; answered 503 on {Method} {RoutePattern}.")]
    public static partial void DatabaseBusy(this ILogger logger, string method, string routePattern);

    [LoggerMessage(3002, LogLevel.Critical, "{Count} audit records could not be written ({ExceptionType}); their requests were refused.")]
    public static partial void AuditFailed(this ILogger logger, string exceptionType, int count);

    [LoggerMessage(3003, LogLevel.Warning, "Access refused ({Status}) for {CallerKind} caller on {Method} {RoutePattern}.")]
    public static partial void AccessRefused(this ILogger logger, int status, string callerKind, string method, string routePattern);

    [LoggerMessage(3004, LogLevel.Warning, "More than one Patient has the NHS number of a signed-in patient; they are given no records until that is resolved.")]
    public static partial void PatientAmbiguous(this ILogger logger);

    [LoggerMessage(4000, LogLevel.Information, "Invitation {InvitationId} created, valid for {Hours} hours.")]
    public static partial void InvitationCreated(this ILogger logger, string invitationId, int hours);

    [LoggerMessage(4001, LogLevel.Information, "Invitation {InvitationId} revoked.")]
    public static partial void InvitationRevoked(this ILogger logger, string invitationId);

    [LoggerMessage(4002, LogLevel.Information, "Invitation {InvitationId} redeemed; an invitation session began.")]
    public static partial void InvitationRedeemed(this ILogger logger, string invitationId);

    [LoggerMessage(4003, LogLevel.Information, "An invitation link was refused as {Reason} (invitation {InvitationId}).")]
    public static partial void InvitationRefused(this ILogger logger, string reason, string invitationId);

    [LoggerMessage(5000, LogLevel.Information, "Patient {PatientId} erased ({Reason}): {Resources} resources, {Versions} versions, {Invitations} invitations.")]
    public static partial void PatientErased(this ILogger logger, string patientId, string reason, int resources, int versions, int invitations);

    [LoggerMessage(5001, LogLevel.Information, "Retention: {Erased} patients with no change since {Cutoff:O} erased ({Versions} versions); {Kept} others checked and kept, as their data changed since.")]
    public static partial void RetentionPurged(this ILogger logger, int erased, DateTimeOffset cutoff, int versions, int kept);

    [LoggerMessage(5002, LogLevel.Error, "Retention: the pass failed; it runs again in {Interval}.")]
    public static partial void RetentionFailed(this ILogger logger, Exception exception, TimeSpan interval);
}
