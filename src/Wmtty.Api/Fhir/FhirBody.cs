using System.Buffers;
using Wmtty.Api.Errors;
using Wmtty.Fhir.Serialization;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Fhir;

/// <summary>Reads a FHIR resource from a request body of at most <see cref="MaxBytes"/>.</summary>
internal static class FhirBody
{
    public const int MaxBytes = 1024 * 1024;

    /// <param name="alsoAccepted">A second type the endpoint takes, such as Parameters for an operation.</param>
    public static async Task<Resource> ReadResourceAsync(HttpContext context, string expectedType, CancellationToken cancellationToken, string? alsoAccepted = null)
    {
        var format = FhirFormats.BodyFormat(context.Request);
        var body = await ReadBytesAsync(context.Request, cancellationToken);
        if (body.Length == 0)
        {
            throw FhirException.BadRequest($"The request body is empty. Send a {expectedType} resource.", IssueType.Required);
        }

        var parsed = format == FhirFormat.Xml ? FhirSerialization.ParseXml(body) : FhirSerialization.ParseJson(body);
        if (parsed.Errors is not null)
        {
            throw new FhirException(StatusCodes.Status400BadRequest, parsed.Errors);
        }

        var resource = parsed.Resource!;
        if (resource.TypeName != expectedType && resource.TypeName != alsoAccepted)
        {
            var takes = alsoAccepted is null ? $"{Article(expectedType)} {expectedType}" : $"{Article(expectedType)} {expectedType} or {Article(alsoAccepted)} {alsoAccepted}";
            throw FhirException.BadRequest($"The body is {Article(resource.TypeName)} {resource.TypeName}, but this endpoint takes {takes}.");
        }

        return resource;
    }

    /// <summary>Reads the whole body, refusing with 413 anything over the limit, whether or not it declared its length.</summary>
    public static async Task<byte[]> ReadBytesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // gzip, deflate and br were already decoded (and the header removed) by request decompression.
        var encoding = request.Headers.ContentEncoding.ToString();
        if (encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            throw new FhirException(StatusCodes.Status415UnsupportedMediaType, FhirOutcome.Error(IssueType.NotSupported,
                $"Content-Encoding '{FhirText.Shorten(encoding, 40)}' is not supported. Send the body as it is, or with gzip, deflate or br."));
        }

        // A declared length is of the encoded body; the decoded body is measured as it is read.
        if (request.ContentLength > MaxBytes && request.Headers.ContentEncoding.Count == 0)
        {
            throw TooLarge();
        }

        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            using var collected = new MemoryStream();
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (collected.Length + read > MaxBytes)
                {
                    throw TooLarge();
                }

                collected.Write(buffer, 0, read);
            }

            return collected.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string Article(string type) => "AEIOU".Contains(type[0], StringComparison.Ordinal) ? "an" : "a";

    private static FhirException TooLarge() => new(
        StatusCodes.Status413PayloadTooLarge,
        FhirOutcome.Error(IssueType.TooCostly, $"The request body is larger than {MaxBytes / 1024} KB, the most this service accepts."));
}
