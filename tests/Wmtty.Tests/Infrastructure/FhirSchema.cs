using System.Diagnostics;

namespace Wmtty.Tests.Infrastructure;

/// <summary>
/// The official HL7 FHIR R4 JSON schema, applied by Ajv through <c>tests/schema/validate.js</c>.
/// <c>./test.sh</c> installs it (npm) and sets WMTTY_REQUIRE_SCHEMA_CHECK, so there a missing
/// installation fails the test; a bare <c>dotnet test</c> without it skips, and says why.
/// </summary>
public static class FhirSchema
{
    private static readonly string Folder = Repository.PathOf("tests", "schema");

    public static void SkipUnlessInstalled()
    {
        var installed = Directory.Exists(Path.Combine(Folder, "node_modules", "@asymmetrik", "fhir-json-schema-validator"));
        if (!installed && Environment.GetEnvironmentVariable("WMTTY_REQUIRE_SCHEMA_CHECK") == "1")
        {
            throw new InvalidOperationException("The FHIR JSON schema check is required but not installed: run `npm ci --prefix tests/schema`.");
        }

        Skip.IfNot(installed, "The FHIR JSON schema check is not installed: run `npm ci --prefix tests/schema` (./test.sh does).");
    }

    /// <summary>Validates every file in <paramref name="folder"/>; returns the validator's line per file.</summary>
    public static async Task<(bool AllValid, string Report)> ValidateAsync(string folder)
    {
        var start = new ProcessStartInfo("node", [Path.Combine(Folder, "validate.js"), folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode == 0, output + errors);
    }
}
