using Wmtty.Api.Preferences;

namespace Wmtty.Api.Definitions;

/// <summary>The questionnaire and terminology the service publishes, and the preference features built on them.</summary>
internal static class DefinitionSetup
{
    public static WebApplicationBuilder AddWmttyDefinitions(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DefinitionOptions>().BindConfiguration(DefinitionOptions.Section)
            .Validate(options => options.IsValid(), "Definitions:CanonicalBase must be an absolute http or https URL, such as https://wmtty.example.nhs.uk/fhir.")
            .ValidateOnStart();
        builder.Services.AddSingleton(DefinitionSet.Default);
        builder.Services.AddSingleton<DefinitionSeeder>();
        builder.Services.AddSingleton<QuestionnaireLookup>();
        builder.Services.AddSingleton<ResponseProcessor>();
        builder.Services.AddSingleton<PreferenceWriter>();
        builder.Services.AddSingleton<PublishedDefinitions>();
        builder.Services.AddSingleton<ResponseOperations.Services>();
        return builder;
    }

    /// <summary>Stores the current questionnaire, CodeSystem and ValueSets before the first request.</summary>
    public static void SeedDefinitions(this WebApplication app) =>
        app.Services.GetRequiredService<DefinitionSeeder>().SeedAsync(CancellationToken.None).GetAwaiter().GetResult();
}
