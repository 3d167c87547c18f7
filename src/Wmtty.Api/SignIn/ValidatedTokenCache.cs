using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Wmtty.Api.SignIn;

/// <summary>
/// A bearer scheme's token handler that remembers, for a short while, the tokens it found valid. An integration
/// engine sends the same client-credentials token with every request until it expires, and checking its RSA
/// signature again each time was about a tenth of the CPU a <c>$lastn</c> request costs (bench/README.md).
/// <list type="bullet">
/// <item>Only a token that passed every check of the inner handler is remembered, under its exact text. Any other
/// text, a single character changed included, is checked in full.</item>
/// <item>A remembered token is trusted until <see cref="Keep"/> has passed or the token expires, whichever is first. The
/// inner handler would accept it for its clock skew beyond that; here it is checked in full again.</item>
/// <item>Each request gets its own copy of the token's identity, so nothing a request adds to it reaches another.</item>
/// <item>The scheme's <see cref="JwtBearerEvents"/> still run on every request (the patient scheme's NHS number and
/// proofing-level checks among them): they sit after the token handler.</item>
/// </list>
/// A signing key withdrawn by the issuer is noticed when the metadata is next read, hours apart by default, so
/// remembering a token for a minute adds little to that window.
/// </summary>
internal sealed class ValidatedTokenCache(TokenHandler inner, TimeSpan keep, TimeProvider clock) : TokenHandler
{
    /// <summary>The most tokens remembered at once; past it, the expired are dropped, or else all of them.</summary>
    internal const int MaxTokens = 4096;

    private readonly ConcurrentDictionary<string, Validated> validated = new(StringComparer.Ordinal);

    public TimeSpan Keep { get; } = keep;

    /// <summary>How many tokens are remembered now.</summary>
    internal int Count => validated.Count;

    public override int MaximumTokenSizeInBytes
    {
        get => inner.MaximumTokenSizeInBytes;
        set => inner.MaximumTokenSizeInBytes = value;
    }

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (validated.TryGetValue(token, out var remembered))
        {
            if (now < remembered.Until)
            {
                return remembered.Copy();
            }

            validated.TryRemove(new KeyValuePair<string, Validated>(token, remembered));
        }

        var result = await inner.ValidateTokenAsync(token, validationParameters);
        if (result is { IsValid: true, SecurityToken: { } securityToken, ClaimsIdentity: { } identity }
            && Until(securityToken, now) is var until && until > now)
        {
            if (validated.Count >= MaxTokens)
            {
                Prune(now);
            }

            validated[token] = new Validated(securityToken, result.Issuer, result.TokenType, identity.Clone(), until);
        }

        return result;
    }

    public override Task<TokenValidationResult> ValidateTokenAsync(SecurityToken token, TokenValidationParameters validationParameters) =>
        inner.ValidateTokenAsync(token, validationParameters);

    public override SecurityToken ReadToken(string token) => inner.ReadToken(token);

    /// <summary>Replaces each of the scheme's token handlers with one that remembers; a zero <paramref name="keep"/> leaves them alone.</summary>
    public static void Install(JwtBearerOptions options, TimeSpan keep, TimeProvider clock)
    {
        if (keep <= TimeSpan.Zero)
        {
            return;
        }

        for (var i = 0; i < options.TokenHandlers.Count; i++)
        {
            if (options.TokenHandlers[i] is not ValidatedTokenCache)
            {
                options.TokenHandlers[i] = new ValidatedTokenCache(options.TokenHandlers[i], keep, clock);
            }
        }
    }

    // Until the token expires (its exp, with no clock skew) or Keep has passed. A token without an expiry is
    // remembered for Keep, if the scheme accepted it at all.
    private DateTime Until(SecurityToken token, DateTime now)
    {
        var until = now + Keep;
        return token.ValidTo > DateTime.MinValue && token.ValidTo < until ? token.ValidTo : until;
    }

    private void Prune(DateTime now)
    {
        foreach (var (token, remembered) in validated)
        {
            if (now >= remembered.Until)
            {
                validated.TryRemove(new KeyValuePair<string, Validated>(token, remembered));
            }
        }

        if (validated.Count >= MaxTokens)
        {
            validated.Clear();
        }
    }

    // What JwtBearerHandler reads of a result, kept apart from the first request's own result and identity.
    private sealed record Validated(SecurityToken Token, string? Issuer, string? TokenType, System.Security.Claims.ClaimsIdentity Identity, DateTime Until)
    {
        // A result with an identity of the request's own.
        public TokenValidationResult Copy() => new()
        {
            IsValid = true,
            ClaimsIdentity = Identity.Clone(),
            SecurityToken = Token,
            Issuer = Issuer,
            TokenType = TokenType,
        };
    }
}
