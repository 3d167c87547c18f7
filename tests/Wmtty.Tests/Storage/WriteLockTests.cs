using Microsoft.Data.Sqlite;
using Wmtty.Api.Fhir;
using Wmtty.Api.Search;
using Wmtty.Data.Sqlite;
using Wmtty.Data.Storage;

namespace Wmtty.Tests.Storage;

/// <summary>
/// The names conditional writes lock, and the retry policy around every store call. On SQLite the locks
/// cost nothing (one writer at a time), so the names are checked here, where SQL Server depends on them.
/// </summary>
public sealed class WriteLockTests
{
    private static IReadOnlyList<string> Locks(string type, string criteria) =>
        ResourceWriter.MatchLocks(SearchRequest.Parse(type, criteria.Split('&').Select(p => p.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], Uri.UnescapeDataString(p[1]))), strict: true, new Uri("https://wmtty.example/fhir/")).Query);

    [Fact]
    public void CriteriaThatCanMatchTheSamePatientShareALock()
    {
        var withSystem = Locks("Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009");
        var withoutSystem = Locks("Patient", "identifier=9000000009");
        var withMore = Locks("Patient", "birthdate=1970-01-01&identifier=9000000009");

        Assert.Equal(["match:Patient:9000000009"], withSystem);
        Assert.Equal(withSystem, withoutSystem);
        Assert.Contains("match:Patient:9000000009", withMore);
        Assert.DoesNotContain("match:Patient:9000000010", withSystem);
    }

    [Fact]
    public void LocksAreTakenInOneOrderAndCriteriaWithoutValuesLockTheType()
    {
        var locks = Locks("Observation", "subject=Patient/p2&code=http://loinc.org|54899-0&status=final");

        Assert.Equal(locks.Order(StringComparer.Ordinal), locks);
        Assert.Equal(locks.Distinct(), locks);
        Assert.Contains("match:Observation:p2", locks);
        Assert.Equal(["match:Patient"], Locks("Patient", "birthdate=1970-01-01"));
    }

    [Fact]
    public void StringCriteriaLockTheirNormalisedValueSoCaseAndAccentsDoNotMatter() =>
        Assert.Equal(Locks("Patient", "family=Zoë"), Locks("Patient", "family=zoe"));

    private static readonly StoreRetry Retry = new(new SqliteDialect("Data Source=:memory:"), retries: 3, TimeSpan.FromMilliseconds(1));

    [Fact]
    public async Task ABusyDatabaseIsTriedAgainUntilItAnswers()
    {
        var attempts = 0;
        var answer = await Retry.RunAsync(_ => ++attempts < 3 ? throw new SqliteException("database is locked", 5) : Task.FromResult(42), default);

        Assert.Equal(42, answer);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task WhenTheRetriesRunOutTheStoreIsUnavailable()
    {
        var attempts = 0;
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => Retry.RunAsync<int>(_ =>
        {
            attempts++;
            throw new AggregateException(new SqliteException("database is locked", 5)); // as SqlClient's own retry logic reports
        }, default));

        Assert.Equal(4, attempts); // the first try and three retries
        Assert.Contains("3 retries", error.Message);
    }

    [Fact]
    public async Task AnErrorThatIsNotTransientIsNotRetried()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<SqliteException>(() => Retry.RunAsync<int>(_ =>
        {
            attempts++;
            throw new SqliteException("constraint failed", 19);
        }, default));

        Assert.Equal(1, attempts);
    }
}
