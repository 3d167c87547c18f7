using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Xml;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Wmtty.Fhir.Outcomes;

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
    private static readonly FhirJsonDeserializer JsonParser = FhirJsonDeserializer.DEFAULT;
    private static readonly FhirXmlDeserializer XmlParser = FhirXmlDeserializer.DEFAULT;
    private static readonly FhirJsonSerializer JsonWriter = new();
    private static readonly FhirXmlSerializer XmlWriter = new();

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>Deeper input is refused: the parsers recurse, and real resources are far shallower.</summary>
    public const int MaxDepth = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow };

    private static readonly XmlReaderSettings XmlSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersFromEntities = 0,
        IgnoreComments = true,
    };

    public static ParseResult ParseJson(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return ParseResult.Failed("The body is not a JSON object. A FHIR resource starts with '{' and has a resourceType.");
            }

            reader = new Utf8JsonReader(utf8, ReaderOptions);
            return JsonParser.TryDeserializeResource(ref reader, out var resource, out var errors)
                ? new ParseResult(resource, null)
                : new ParseResult(null, ToOutcome(resource, errors));
        }
        catch (JsonException exception)
        {
            return ParseResult.Failed($"The body is not valid JSON: {exception.Message}");
        }
        catch (Exception exception) when (exception is InvalidOperationException or FormatException or ArgumentException or DeserializationFailedException)
        {
            return ParseResult.Failed($"The body could not be read as a FHIR resource: {exception.Message}");
        }
    }

    public static ParseResult ParseXml(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var bytes = utf8.ToArray();
            if (TooDeep(bytes))
            {
                return ParseResult.Failed($"The XML is nested more than {MaxDepth} levels deep.");
            }

            using var stream = new MemoryStream(bytes);
            using var reader = XmlReader.Create(stream, XmlSettings);
            return XmlParser.TryDeserializeResource(reader, out var resource, out var errors)
                ? new ParseResult(resource, null)
                : new ParseResult(null, ToOutcome(resource, errors));
        }
        catch (XmlException exception)
        {
            return ParseResult.Failed($"The body is not well-formed XML: {exception.Message}");
        }
        catch (Exception exception) when (exception is InvalidOperationException or FormatException or ArgumentException or DeserializationFailedException)
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
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            JsonWriter.Serialize(instance, writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static string ToJson(Base instance) => Encoding.UTF8.GetString(ToJsonBytes(instance));

    // The SDK reads XML recursively and XmlReader sets no depth limit, so a deeply nested body could
    // exhaust the stack and take the process down. One cheap forward pass refuses it first.
    private static bool TooDeep(byte[] xml)
    {
        using var stream = new MemoryStream(xml);
        using var reader = XmlReader.Create(stream, XmlSettings);
        while (reader.Read())
        {
            if (reader.Depth > MaxDepth)
            {
                return true;
            }
        }

        return false;
    }

    public static byte[] ToXmlBytes(Base instance) => XmlWriter.SerializeToBytes(instance);

    /// <summary>Reads JSON the service wrote itself; a failure here is a bug or corruption, not bad input.</summary>
    public static Resource ReadStored(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        return JsonParser.DeserializeResource(ref reader);
    }

    private static OperationOutcome ToOutcome(Resource? partial, IEnumerable<CodedException> errors) =>
        new DeserializationFailedException(partial, errors).ToOperationOutcome();
}
