using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Wmtty.Api.SignIn;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.SignIn;

/// <summary>
/// Bearer schemes remember the tokens they validated, for a minute at most: the same text is trusted again
/// without its signature being checked, and anything else is checked in full.
/// </summary>
public sealed class ValidatedTokenCacheTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider clock = new(Start);
    private readonly CountingHandler inner = new();

    private ValidatedTokenCache Cache(TimeSpan? keep = null) => new(inner, keep ?? TimeSpan.FromSeconds(60), clock);

    [Fact]
    public async Task TheSameTokenIsCheckedOnceAndEachRequestGetsAnIdentityOfItsOwn()
    {
        var cache = Cache();
        var token = Token(expires: Start.AddHours(1));

        var first = await cache.ValidateTokenAsync(token, new TokenValidationParameters());
        var second = await cache.ValidateTokenAsync(token, new TokenValidationParameters());
        second.ClaimsIdentity.AddClaim(new Claim("added-by-one-request", "x"));
        var third = await cache.ValidateTokenAsync(token, new TokenValidationParameters());

        Assert.Equal(1, inner.Calls);
        Assert.True(second.IsValid);
        Assert.True(third.IsValid);
        Assert.Same(first.SecurityToken, third.SecurityToken);
        Assert.NotSame(first.ClaimsIdentity, second.ClaimsIdentity);
        Assert.NotSame(second.ClaimsIdentity, third.ClaimsIdentity);
        Assert.Equal("someone", third.ClaimsIdentity.FindFirst("oid")?.Value);
        Assert.Null(third.ClaimsIdentity.FindFirst("added-by-one-request"));
        Assert.Null(first.ClaimsIdentity.FindFirst("added-by-one-request"));
    }

    [Fact]
    public async Task ARememberedTokenIsCheckedInFullAgainOnceKeepHasPassed()
    {
        var cache = Cache(TimeSpan.FromSeconds(60));
        var token = Token(expires: Start.AddHours(1));

        await cache.ValidateTokenAsync(token, new TokenValidationParameters());
        clock.Advance(TimeSpan.FromSeconds(59));
        await cache.ValidateTokenAsync(token, new TokenValidationParameters());
        Assert.Equal(1, inner.Calls);

        clock.Advance(TimeSpan.FromSeconds(1));
        await cache.ValidateTokenAsync(token, new TokenValidationParameters());
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task ATokenIsNotTrustedFromMemoryPastItsExpiry()
    {
        var cache = Cache(TimeSpan.FromSeconds(60));
        var token = Token(expires: Start.AddSeconds(20));

        await cache.ValidateTokenAsync(token, new TokenValidationParameters());
        clock.Advance(TimeSpan.FromSeconds(19));
        await cache.ValidateTokenAsync(token, new TokenValidationParameters());
        Assert.Equal(1, inner.Calls);

        clock.Advance(TimeSpan.FromSeconds(1)); // exp: what the inner handler says now stands, expired or not
        inner.Valid = false;
        var expired = await cache.ValidateTokenAsync(token, new TokenValidationParameters());
        Assert.Equal(2, inner.Calls);
        Assert.False(expired.IsValid);
    }

    [Fact]
    public async Task ARefusedTokenIsNotRememberedAndOtherTextIsCheckedInFull()
    {
        var cache = Cache();
        var token = Token(expires: Start.AddHours(1));
        inner.Valid = false;

        Assert.False((await cache.ValidateTokenAsync(token, new TokenValidationParameters())).IsValid);
        Assert.False((await cache.ValidateTokenAsync(token, new TokenValidationParameters())).IsValid);
        Assert.Equal(2, inner.Calls);

        inner.Valid = true;
        await cache.ValidateTokenAsync(token, new TokenValidationParameters());
        await cache.ValidateTokenAsync(token + "x", new TokenValidationParameters()); // one character more
        await cache.ValidateTokenAsync(token[..^1], new TokenValidationParameters()); // one less
        Assert.Equal(5, inner.Calls);
    }

    [Fact]
    public async Task NoMoreThanMaxTokensAreRemembered()
    {
        var cache = Cache();
        for (var i = 0; i < ValidatedTokenCache.MaxTokens + 10; i++)
        {
            await cache.ValidateTokenAsync(Token(expires: Start.AddHours(1), subject: $"s{i}"), new TokenValidationParameters());
        }

        Assert.InRange(cache.Count, 1, ValidatedTokenCache.MaxTokens);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("0", false)]
    public void BothBearerSchemesRememberUnlessTurnedOff(string? seconds, bool remembers)
    {
        using var app = new WmttyApp(seconds is null ? null : new() { [SignInSetup.RememberValidTokensSetting] = seconds });
        var options = app.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>();
        foreach (var scheme in new[] { JwtBearerDefaults.AuthenticationScheme, PatientSignIn.Scheme })
        {
            var handlers = options.Get(scheme).TokenHandlers;
            Assert.NotEmpty(handlers);
            Assert.All(handlers, h => Assert.Equal(remembers, h is ValidatedTokenCache));
        }
    }

    [Fact]
    public void ANumberOfSecondsOutOfRangeStopsStartUp()
    {
        using var app = new WmttyApp(new() { [SignInSetup.RememberValidTokensSetting] = "3600" });
        var failure = Assert.ThrowsAny<Exception>(() => app.Services);
        Assert.Contains(SignInSetup.RememberValidTokensSetting, failure.ToString(), StringComparison.Ordinal);
    }

    // Through the service: a token whose genuine twin was just accepted, and remembered, is still refused.
    [Theory]
    [InlineData("clinician")]
    [InlineData("patient")]
    public async Task AnAlteredCopyOfARememberedTokenIsStillRefused(string kind)
    {
        var role = kind == "patient" ? DevelopmentRole.Patient : DevelopmentRole.Clinician;
        await using var app = new WmttyApp();
        using var staff = await app.ClientAsync();
        var (patientId, nhs) = await Responses.CreatePatientAsync(staff);
        var issuer = app.Services.GetRequiredService<DevelopmentTokenIssuer>();
        var nhsOf = role == DevelopmentRole.Patient ? nhs : null;
        var genuine = issuer.Mint(role, nhsOf);
        var parts = genuine.Split('.');
        var otherPayload = issuer.Mint(role, role == DevelopmentRole.Patient ? NhsNumbers.Next() : null, d => d.Claims["oid"] = Guid.NewGuid().ToString()).Split('.')[1];
        var path = $"/fhir/Patient/{patientId}";

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(app, genuine, path));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(app, genuine, path));
        await AssertRefusedAsync(app, $"{parts[0]}.{otherPayload}.{parts[2]}", path); // the genuine signature over another payload
        await AssertRefusedAsync(app, $"{parts[0]}.{parts[1]}.{parts[2][..^4]}{(parts[2][^4] == 'A' ? "BBBB" : "AAAA")}", path);
        await AssertRefusedAsync(app, genuine + "A", path); // one character more
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(app, genuine, path));
    }

    private static async Task<HttpStatusCode> StatusAsync(WmttyApp app, string token, string path)
    {
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await client.GetAsync(path);
        return response.StatusCode;
    }

    private static async Task AssertRefusedAsync(WmttyApp app, string token, string path)
    {
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await client.GetAsync(path);
        await response.AssertOutcomeAsync(HttpStatusCode.Unauthorized);
    }

    private static string Token(DateTimeOffset expires, string subject = "someone") =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.example",
            Audience = "api://wmtty",
            IssuedAt = Start.UtcDateTime.AddMinutes(-1),
            NotBefore = Start.UtcDateTime.AddMinutes(-1),
            Expires = expires.UtcDateTime,
            Claims = new Dictionary<string, object> { ["oid"] = "someone", ["sub"] = subject },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(new byte[32]), SecurityAlgorithms.HmacSha256),
        });

    // Stands in for JsonWebTokenHandler: says valid or not, as told, and counts how often it was asked.
    private sealed class CountingHandler : TokenHandler
    {
        private int calls;

        public bool Valid { get; set; } = true;

        public int Calls => calls;

        public override Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
        {
            Interlocked.Increment(ref calls);
            if (!Valid)
            {
                return Task.FromResult(new TokenValidationResult { IsValid = false, Exception = new SecurityTokenInvalidSignatureException("refused") });
            }

            JsonWebToken read;
            try
            {
                read = new JsonWebToken(token);
            }
            catch (ArgumentException)
            {
                return Task.FromResult(new TokenValidationResult { IsValid = false, Exception = new SecurityTokenMalformedException("not a token") });
            }

            return Task.FromResult(new TokenValidationResult
            {
                IsValid = true,
                SecurityToken = read,
                ClaimsIdentity = new ClaimsIdentity(read.Claims, "Bearer"),
                Issuer = read.Issuer,
            });
        }
    }
}
