using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Xml;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Hl7.Fhir.Validation;
using Wmtty.Fhir.Outcomes;
using Wmtty.Fhir.Validation;

namespace Wmtty.Fhir.Serialization;

/// <summary>The result of parsing a request body: a resource, or the reasons it could not be read.</summary>
public sealed record ParseResult(Resource? Resource, OperationOutcome? Errors)
{
    public static ParseResult Failed(string diagnostics) =>
        new(null, Outcome.Error(OperationOutcome.IssueType.Structure, diagnostics));
}

/// <summary>The service's single FHIR JSON and XML (de)serializer configuration, built once and shared.</summary>
public static class FhirSerialization
{
    /// <summary>Deeper JSON input is refused: the parsers recurse, and real resources are far shallower.</summary>
    public const int MaxDepth = 64;

    /// <summary>Each XML element level becomes up to two JSON levels (object and array), so XML gets half.</summary>
    public const int MaxXmlDepth = MaxDepth / 2;

    // Stored JSON was written by this service from input within the limits above; a Bundle around it
    // adds a few levels. It is trusted, so reading it back allows far more.
    private const int StoredMaxDepth = 512;

    // Narrative XHTML is checked against the FHIR rules (well-formed, no script, no event handlers).
    private static readonly DeserializerSettings ParserSettings = new() { NarrativeValidation = NarrativeValidationKind.FhirXhtml };
    private static readonly FhirJsonDeserializer JsonParser = new(ParserSettings);
    private static readonly FhirXmlDeserializer XmlParser = new(ParserSettings);
    private static readonly FhirJsonDeserializer StoredParser = FhirJsonDeserializer.OSTRICH;
    private static readonly FhirJsonSerializer JsonWriter = new();
    private static readonly FhirXmlSerializer XmlWriter = new();

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow };
    private static readonly JsonReaderOptions StoredReaderOptions = new() { MaxDepth = StoredMaxDepth };

    private static readonly XmlReaderSettings XmlSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersFromEntities = 0,
        IgnoreComments = true,
    };

    public static ParseResult ParseJson(ReadOnlySpan<byte> utf8)
    {
        utf8 = utf8.StartsWith("\uFEFF"u8) ? utf8[3..] : utf8; // a byte order mark is allowed, and ignored
        try
        {
            if (InputChecks.CheckJson(utf8, ReaderOptions, out var resourceType) is { } problem)
            {
                return ParseResult.Failed(problem);
            }

            var reader = new Utf8JsonReader(utf8, ReaderOptions);
            var parsed = JsonParser.TryDeserializeResource(ref reader, out var resource, out var errors);
            if (!parsed && !OnlyEmptyResource(resource, errors))
            {
                return new ParseResult(null, ToOutcome(resource, errors));
            }

            if (reader.Read())
            {
                return ParseResult.Failed("The body has more after the resource. Send exactly one JSON object.");
            }

            return resource!.TypeName == resourceType
                ? Checked(resource)
                : ParseResult.Failed($"resourceType '{resourceType}' is not a FHIR resource type; names are case-sensitive (did you mean '{resource.TypeName}'?).");
        }
        catch (JsonException exception)
        {
            return ParseResult.Failed($"The body is not valid JSON: {exception.Message}");
        }
        catch (Exception exception) when (exception is not (OutOfMemoryException or OperationCanceledException))
        {
            // The parser's input is the client's: whatever it throws on is a bad body, not a fault here.
            return ParseResult.Failed($"The body could not be read as a FHIR resource: {exception.Message}");
        }
    }

    // The SDK refuses {"resourceType":"Patient"}, but a resource with no elements is valid FHIR.
    private static bool OnlyEmptyResource(Resource? resource, IEnumerable<CodedException> errors) =>
        resource is not null && errors.All(e => e.ErrorCode is "JSON120" or "PVAL129" && e switch
        {
            CodedValidationException v => v.InstancePath == "$this",
            FhirJsonException j => j.InstancePath == "$this",
            _ => false,
        });

    private static ParseResult Checked(Resource resource)
    {
        var issues = StructureRules.Check(resource);
        return issues.Count == 0 ? new ParseResult(resource, null) : new ParseResult(null, Outcome.Of(issues));
    }

    public static ParseResult ParseXml(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var bytes = utf8.ToArray();
            if (InputChecks.CheckXml(bytes, XmlSettings, MaxXmlDepth, out var rootName) is { } problem)
            {
                return ParseResult.Failed(problem);
            }

            using var stream = new MemoryStream(bytes);
            using var reader = XmlReader.Create(stream, XmlSettings);
            if (!XmlParser.TryDeserializeResource(reader, out var resource, out var errors))
            {
                return new ParseResult(null, ToOutcome(resource, errors));
            }

            if (resource!.TypeName != rootName)
            {
                return ParseResult.Failed($"<{rootName}> is not a FHIR resource type; names are case-sensitive (did you mean '{resource.TypeName}'?).");
            }

            // The SDK's XML reader checks less than its JSON reader (narrative XHTML, for one). Reading
            // the resource again as JSON applies exactly the same rules to both formats.
            return ParseJson(ToJsonBytes(resource));
        }
        catch (XmlException exception)
        {
            return ParseResult.Failed($"The body is not well-formed XML: {exception.Message}");
        }
        catch (Exception exception) when (exception is not (OutOfMemoryException or OperationCanceledException))
        {
            return ParseResult.Failed($"The body could not be read as a FHIR resource: {exception.Message}");
        }
    }

    /// <summary>
    /// Compact UTF-8 JSON. Text in any script is written as itself, not as \u escapes: Urdu or Bengali
    /// answers stay readable and several times smaller. The output is served as application/fhir+json,
    /// never inlined into HTML, so the relaxed encoder is safe here.
    /// </summary>
    public static byte[] ToJsonBytes(Base instance)
    {
        // A buffer kept per thread: a new one for each call grew by doubling, the largest single source of what a
        // questionnaire submission allocated (8%, for its 15 resources). Taken while in use, so a nested call gets its own.
        var buffer = scratch ?? new ArrayBufferWriter<byte>(ScratchCapacity);
        scratch = null;
        try
        {
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                JsonWriter.Serialize(instance, writer);
            }

            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity <= MaxScratchCapacity)
            {
                buffer.ResetWrittenCount();
                scratch = buffer;
            }
        }
    }

    private const int ScratchCapacity = 16 * 1024, MaxScratchCapacity = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? scratch;

    public static byte[] ToXmlBytes(Base instance, bool pretty = false) => XmlWriter.SerializeToBytes(instance, pretty);

    /// <summary>Reads JSON the service wrote itself (for XML output); it was validated on the way in.</summary>
    public static Resource ReadStored(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, StoredReaderOptions);
        return StoredParser.DeserializeResource(ref reader);
    }

    // A parse that failed is an error even where the SDK graded every issue a warning.
    private static OperationOutcome ToOutcome(Resource? partial, IEnumerable<CodedException> errors)
    {
        var outcome = new DeserializationFailedException(partial, errors).ToOperationOutcome();
        if (!outcome.Issue.Any(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal))
        {
            foreach (var issue in outcome.Issue)
            {
                issue.Severity = OperationOutcome.IssueSeverity.Error;
            }
        }

        return Outcome.Clean(outcome);
    }
}
