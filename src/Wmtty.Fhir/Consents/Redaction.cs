using System.Text.Json;
using System.Text.Json.Nodes;
using Wmtty.Fhir.Patients;
using Wmtty.Fhir.Resources;

namespace Wmtty.Fhir.Consents;

/// <summary>
/// What a reader may see of a stored resource when the patient's Consent withholds sections from them.
/// Works on the stored JSON, and only when something is withheld: the usual read stays raw bytes.
/// An Observation in a withheld section is hidden whole; a QuestionnaireResponse loses the answers of
/// withheld sections; a Patient loses its languages when the language section is withheld. Anything
/// redacted is labelled REDACTED in meta.security and loses its narrative and contained resources,
/// which could repeat what was removed.
/// </summary>
public static class Redaction
{
    public const string SecuritySystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";
    public const string RedactedCode = "REDACTED";

    /// <summary>The section whose withholding removes a Patient's languages and interpreter flag.</summary>
    public const string LanguageSection = "language-communication";

    /// <summary>Whether an Observation's categories name a withheld section.</summary>
    public static bool IsHidden(string type, byte[] json, IReadOnlySet<string> withheldCodes, string sectionSystem)
    {
        if (type != ResourceTypes.Observation || withheldCodes.Count == 0)
        {
            return false;
        }

        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("category", out var categories) || categories.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var category in categories.EnumerateArray())
        {
            if (category.TryGetProperty("coding", out var codings) && codings.ValueKind == JsonValueKind.Array)
            {
                foreach (var coding in codings.EnumerateArray())
                {
                    if (Text(coding, "system") == sectionSystem && Text(coding, "code") is { } code && withheldCodes.Contains(code))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>The resource with withheld sections taken out; the same bytes when nothing in it is withheld.</summary>
    public static byte[] Redact(string type, byte[] json, IReadOnlySet<string> withheldCodes)
    {
        if (withheldCodes.Count == 0 || type is not (ResourceTypes.QuestionnaireResponse or ResourceTypes.Patient))
        {
            return json;
        }

        var root = JsonNode.Parse(json)!.AsObject();
        var removed = type == ResourceTypes.QuestionnaireResponse ? RedactResponse(root, withheldCodes) : RedactPatient(root, withheldCodes);
        if (!removed)
        {
            return json;
        }

        root.Remove("text");
        root.Remove("contained");
        var meta = root["meta"] as JsonObject ?? new JsonObject();
        root["meta"] = meta;
        var security = meta["security"] as JsonArray ?? new JsonArray();
        meta["security"] = security;
        security.Add(new JsonObject { ["system"] = SecuritySystem, ["code"] = RedactedCode, ["display"] = "redacted" });
        return JsonSerializer.SerializeToUtf8Bytes(root);
    }

    // A section of the questionnaire is the top-level group whose linkId is the section's code.
    private static bool RedactResponse(JsonObject root, IReadOnlySet<string> withheld)
    {
        if (root["item"] is not JsonArray items)
        {
            return false;
        }

        var removed = false;
        for (var i = items.Count - 1; i >= 0; i--)
        {
            if (items[i] is JsonObject item && item["linkId"]?.GetValueKind() == JsonValueKind.String && withheld.Contains(item["linkId"]!.GetValue<string>()))
            {
                items.RemoveAt(i);
                removed = true;
            }
        }

        if (items.Count == 0)
        {
            root.Remove("item"); // FHIR arrays are never empty
        }

        return removed;
    }

    private static bool RedactPatient(JsonObject root, IReadOnlySet<string> withheld)
    {
        if (!withheld.Contains(LanguageSection))
        {
            return false;
        }

        var removed = root.Remove("communication");
        if (root["extension"] is JsonArray extensions)
        {
            for (var i = extensions.Count - 1; i >= 0; i--)
            {
                if (extensions[i] is JsonObject extension && extension["url"]?.GetValueKind() == JsonValueKind.String
                    && extension["url"]!.GetValue<string>() == PatientPreferences.InterpreterRequiredUrl)
                {
                    extensions.RemoveAt(i);
                    removed = true;
                }
            }

            if (extensions.Count == 0)
            {
                root.Remove("extension");
            }
        }

        return removed;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
