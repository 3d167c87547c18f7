namespace Wmtty.Data.Resources;

/// <summary>How a version came about, as FHIR history reports it: the request method and the status it got.</summary>
public readonly record struct VersionChange(string Method, int Status)
{
    public static readonly VersionChange Created = new("POST", 201);
    public static readonly VersionChange CreatedByUpdate = new("PUT", 201);
    public static readonly VersionChange Updated = new("PUT", 200);
    public static readonly VersionChange Deleted = new("DELETE", 204);
}

/// <summary>One stored version of a resource, as read back. <see cref="Json"/> is null for a delete.</summary>
public sealed record StoredVersion(string Type, string Id, int Version, bool IsDeleted, DateTimeOffset LastUpdated, VersionChange Change, byte[]? Json)
{
    /// <summary>The id of the Patient whose data this version is; null for definitions.</summary>
    public string? Compartment { get; init; }
}

/// <summary>The current version of a resource as seen inside a write transaction. <see cref="OriginKey"/> is its place in default order.</summary>
public sealed record CurrentVersion(long Key, long OriginKey, string Type, string Id, int Version, bool IsDeleted)
{
    /// <summary>The id of the Patient whose data this version is; null for definitions.</summary>
    public string? Compartment { get; init; }
}

/// <summary>A version about to be written. A null <see cref="Json"/> records a delete.</summary>
public sealed record NewVersion(string Type, string Id, int Version, DateTimeOffset LastUpdated, VersionChange Change, byte[]? Json, ResourceIndex Index)
{
    /// <summary>The id of the Patient whose data this version is; null for definitions and what names no patient here.</summary>
    public string? Compartment { get; init; }

    public bool IsDelete => Json is null;

    public static NewVersion Deletion(string type, string id, int version, DateTimeOffset lastUpdated, string? compartment) =>
        new(type, id, version, lastUpdated, VersionChange.Deleted, null, ResourceIndex.Empty) { Compartment = compartment };
}

/// <summary>The search index rows of one resource version, computed outside the data layer.</summary>
public sealed class ResourceIndex
{
    public static readonly ResourceIndex Empty = new();

    public List<TokenRow> Tokens { get; } = [];
    public List<ReferenceRow> References { get; } = [];
    public List<DateRow> Dates { get; } = [];
    public List<StringRow> Strings { get; } = [];
}

public readonly record struct TokenRow(string Param, string? System, string Code);

/// <summary>A reference: a local target (type and id), an absolute URL (type null), and/or a logical identifier.</summary>
public readonly record struct ReferenceRow(string Param, string? TargetType, string? TargetId, string? IdentifierSystem, string? IdentifierValue);

/// <summary>A date range in Unix milliseconds, both ends inclusive.</summary>
public readonly record struct DateRow(string Param, long Low, long High);

/// <summary>A string, normalised for matching (<see cref="Value"/>) and as written (<see cref="ExactValue"/>).</summary>
public readonly record struct StringRow(string Param, string Value, string ExactValue);

/// <summary>A section a patient's privacy Consent withholds from an audience ('*' for everyone but the patient).</summary>
public readonly record struct WithheldSection(string Audience, string SectionSystem, string SectionCode);

/// <summary>A version row as Dapper reads it: databases disagree on integer widths, so they are converted here, once.</summary>
internal sealed class VersionRow
{
    /// <summary>Only where the statement selects it.</summary>
    public long ResourceKey { get; set; }
    public string Type { get; set; } = "";
    public string Id { get; set; } = "";
    public long Version { get; set; }
    public bool IsDeleted { get; set; }
    public long LastUpdated { get; set; }
    public string Method { get; set; } = "";
    public long Status { get; set; }
    public byte[]? Json { get; set; }
    public string? Compartment { get; set; }

    public StoredVersion ToStored() => new(
        Type, Id, checked((int)Version), IsDeleted, DateTimeOffset.FromUnixTimeMilliseconds(LastUpdated),
        new VersionChange(Method, checked((int)Status)), Json) { Compartment = Compartment };
}
