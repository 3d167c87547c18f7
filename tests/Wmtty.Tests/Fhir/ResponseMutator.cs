using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Fhir;

/// <summary>Where a fuzz case is sent.</summary>
internal enum FuzzRoute
{
    /// <summary>POST /fhir/QuestionnaireResponse.</summary>
    Create,

    /// <summary>PUT to the id of a response stored just before, for the same patient.</summary>
    Update,

    /// <summary>PUT to an id nothing has: an update that creates.</summary>
    UpdateAsCreate,

    /// <summary>POST /fhir/QuestionnaireResponse/$extract: checked and extracted, never stored.</summary>
    Extract,
}

/// <summary>
/// One mutated request. The body still holds the placeholders <c>{patient}</c>, <c>{other}</c>, <c>{patientNhs}</c>,
/// <c>{otherNhs}</c> and <c>{response}</c>, filled in just before it is sent, so a case is the same whatever ids the run made.
/// </summary>
internal sealed record FuzzCase(int Number, FuzzRoute Route, string Id, byte[] Body, IReadOnlyList<string> Mutations);

/// <summary>
/// Makes fuzz case <c>n</c> of a seed from a valid completed QuestionnaireResponse: one to three changes to its JSON tree,
/// then, in about a third of the cases, one to its bytes. Each case has its own <see cref="Random"/> made from the seed and
/// its number, so one case can be made again without the ones before it.
/// </summary>
internal sealed partial class ResponseMutator(int seed)
{
    /// <summary>A property name written as the one after this prefix, so that an object can hold it twice.</summary>
    internal const string Duplicate = "\u0001dup\u0001";

    /// <summary>A string value written as the JSON after this prefix, as it is (escapes the writer would refuse included).</summary>
    internal const string Raw = "\u0002raw\u0002";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true, MaxDepth = 100_000 };

    /// <summary>Every item of the questionnaire, at every level.</summary>
    internal static readonly Questionnaire.ItemComponent[] Definitions = [.. Flatten(Responses.Definition.Item)];

    public FuzzCase Case(int number)
    {
        var random = new Random(unchecked(seed + (number * 1_000_003)));
        var route = random.Next(100) switch
        {
            < 60 => FuzzRoute.Create,
            < 80 => FuzzRoute.Update,
            < 85 => FuzzRoute.UpdateAsCreate,
            _ => FuzzRoute.Extract,
        };
        var id = route switch { FuzzRoute.Update => "{response}", FuzzRoute.UpdateAsCreate => $"fuzz-{number}", _ => "" };
        var response = Responses.Build("{patient}", Responses.TypicalAnswers());
        if (id.Length > 0)
        {
            response["id"] = id;
        }

        var mutations = new List<string>();
        var changes = random.Next(100) < 65 ? 1 : random.Next(2, 4);
        while (mutations.Count < changes)
        {
            if (Mutate(response, random) is { } done)
            {
                mutations.Add(done);
            }
        }

        var body = Write(response);
        if (random.Next(100) < 30)
        {
            (body, var done) = MutateBytes(body, random);
            mutations.Add(done);
        }

        return new FuzzCase(number, route, id, body, mutations);
    }

    /// <summary>A JSON tree as bytes, with <see cref="Duplicate"/> names and <see cref="Raw"/> values written as they say.</summary>
    internal static byte[] Write(JsonNode node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions))
        {
            Write(writer, node);
        }

        return stream.ToArray();
    }

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                writer.WriteStartObject();
                foreach (var (name, value) in o)
                {
                    writer.WritePropertyName(name.StartsWith(Duplicate, StringComparison.Ordinal) ? name[Duplicate.Length..] : name);
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray a:
                writer.WriteStartArray();
                foreach (var value in a)
                {
                    Write(writer, value);
                }

                writer.WriteEndArray();
                break;
            case JsonValue v when v.TryGetValue<string>(out var text) && text.StartsWith(Raw, StringComparison.Ordinal):
                writer.WriteRawValue(text[Raw.Length..], skipInputValidation: true);
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }

    private static IEnumerable<Questionnaire.ItemComponent> Flatten(IEnumerable<Questionnaire.ItemComponent> items) =>
        items.SelectMany(i => Flatten(i.Item).Prepend(i));

    private static T Pick<T>(Random random, IReadOnlyList<T> from) => from[random.Next(from.Count)];

    /// <summary>A place in the tree: a property of an object or an element of an array.</summary>
    private sealed record Slot(JsonNode Container, string? Name, int Index, string Path)
    {
        public JsonNode? Value => Name is null ? Container.AsArray()[Index] : Container.AsObject()[Name];

        public void Set(JsonNode? value)
        {
            if (Name is null)
            {
                Container.AsArray()[Index] = value;
            }
            else
            {
                Container.AsObject()[Name] = value;
            }
        }

        public void Remove()
        {
            if (Name is null)
            {
                Container.AsArray().RemoveAt(Index);
            }
            else
            {
                Container.AsObject().Remove(Name);
            }
        }
    }

    private static List<Slot> Slots(JsonNode root)
    {
        var slots = new List<Slot>();
        void Walk(JsonNode node, string path)
        {
            if (node is JsonObject o)
            {
                foreach (var (name, value) in o.ToList())
                {
                    slots.Add(new Slot(o, name, -1, $"{path}.{name}"));
                    if (value is not null)
                    {
                        Walk(value, $"{path}.{name}");
                    }
                }
            }
            else if (node is JsonArray a)
            {
                for (var i = 0; i < a.Count; i++)
                {
                    slots.Add(new Slot(a, null, i, $"{path}[{i}]"));
                    if (a[i] is { } value)
                    {
                        Walk(value, $"{path}[{i}]");
                    }
                }
            }
        }

        Walk(root, "$");
        return slots;
    }

    // Objects with a linkId: the items, at every level.
    private static List<JsonObject> Items(JsonNode root) =>
        [.. Slots(root).Select(s => s.Value).OfType<JsonObject>().Where(o => o["linkId"] is not null)];

    // An item's linkId when it is a string, as it may no longer be.
    private static string? LinkId(JsonNode? item) =>
        item is JsonObject o && o["linkId"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static List<(JsonArray Answers, int Index)> Answers(JsonNode root) =>
        [.. Items(root).Select(i => i["answer"]).OfType<JsonArray>().SelectMany(a => Enumerable.Range(0, a.Count).Select(i => (a, i)))];

    private static string Text(JsonNode? node) => node is null ? "null" : Shorten(Encoding.UTF8.GetString(Write(node)));

    private static string Shorten(string text) => text.Length <= 60 ? text : $"{text[..57]}... ({text.Length} chars)";

    private static string Describe(string value) =>
        value.StartsWith(Raw, StringComparison.Ordinal) ? Shorten(value[Raw.Length..]) : Shorten(JsonSerializer.Serialize(value));
}
