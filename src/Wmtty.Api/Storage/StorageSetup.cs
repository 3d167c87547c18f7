using Microsoft.Extensions.Options;
using Wmtty.Api.Logging;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Data.Storage;

namespace Wmtty.Api.Storage;

/// <summary>The database from configuration (<c>Storage</c>, <c>ConnectionStrings:Wmtty</c>), migrated before the first request.</summary>
internal static class StorageSetup
{
    public const string ConnectionStringName = "Wmtty";

    public static WebApplicationBuilder AddWmttyStorage(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton(services => WmttyDatabase.Create(
            services.GetRequiredService<IOptions<StorageOptions>>().Value,
            builder.Configuration.GetConnectionString(ConnectionStringName)));
        builder.Services.AddSingleton<IResourceStore>(services => services.GetRequiredService<WmttyDatabase>().Resources);
        builder.Services.AddSingleton<Wmtty.Data.Audit.IAuditStore>(services => services.GetRequiredService<WmttyDatabase>().Audit);
        builder.Services.AddSingleton<Wmtty.Data.Invitations.IInvitationStore>(services => services.GetRequiredService<WmttyDatabase>().Invitations);
        builder.Services.AddSingleton<IPreferenceStore>(services => services.GetRequiredService<WmttyDatabase>().Preferences);
        builder.Services.AddSingleton<Wmtty.Data.Measures.IMeasureStore>(services => services.GetRequiredService<WmttyDatabase>().Measures);
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [DatabaseHealthCheck.ReadyTag]);
        builder.Services.AddHostedService<ProjectionBackfill>(); // patients stored before the $lastn projection existed
        return builder;
    }

    /// <summary>Applies pending migrations. A database from a newer build stops start-up here, with the reason logged.</summary>
    public static WmttyDatabase MigrateDatabase(this WebApplication app)
    {
        var database = app.Services.GetRequiredService<WmttyDatabase>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Wmtty.Storage");
        try
        {
            var applied = database.Migrate();
            if (applied.Count > 0)
            {
                logger.MigrationsApplied(string.Join(", ", applied), database.LatestSchemaVersion);
            }
            else
            {
                logger.SchemaUpToDate(database.LatestSchemaVersion);
            }

            foreach (var advice in database.SettingsAdvice())
            {
                logger.DatabaseAdvice(advice);
            }
        }
        catch (SchemaTooNewException exception)
        {
            logger.DatabaseUnusable(exception.Message);
            throw;
        }

        return database;
    }
}
