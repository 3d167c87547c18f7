using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Wmtty.Api.Invitations;

/// <summary>
/// Invitation tokens: 32 random bytes, base64url (43 characters). Only their SHA-256 is stored, so
/// a copy of the database holds no working link; 256 random bits need no slow hash to resist guessing.
/// </summary>
internal static class InvitationTokens
{
    private const int Bytes = 32;
    private const int Length = 43;

    public static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(Bytes));

    public static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>Whether the text could be an invitation id: 32 lower-case hex digits.</summary>
    public static bool IsWellFormedId(string? id) => id is { Length: 32 } && id.All(char.IsAsciiHexDigitLower);

    /// <summary>Lower-case hex SHA-256 of the token's characters.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    /// <summary>Whether the text could be a token at all; anything else is not looked up.</summary>
    public static bool IsWellFormed(string? token) =>
        token is { Length: Length } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
