namespace Wmtty.Data.Search;

/// <summary>
/// A search the data layer can run: an AND of clauses, each an OR of conditions, over the current
/// versions of one resource type. It carries no FHIR semantics beyond the index tables it names.
/// </summary>
public sealed class SearchQuery(string resourceType)
{
    public string ResourceType { get; } = resourceType;

    public List<IReadOnlyList<SearchCondition>> Clauses { get; } = [];

    public SearchSort Sort { get; set; } = SearchSort.Key;

    public int Count { get; set; } = 20;

    /// <summary>Where the previous page ended; null for the first page.</summary>
    public SearchCursor? After { get; set; }

    /// <summary>False to find matches without reading their JSON, when the id and version are enough.</summary>
    public bool IncludeJson { get; set; } = true;

    /// <summary>Only the data of this patient (by Patient id); an empty string matches nothing.</summary>
    public string? Compartment { get; set; }

    /// <summary>Leaves out what patients' Consents withhold from these audiences.</summary>
    public Withholding? Withholding { get; set; }

    /// <summary>Leaves out the resources of patients who withhold this section from these audiences, when searching by it would reveal it.</summary>
    public SectionWithheld? HideWhereWithheld { get; set; }

    public SearchQuery Where(params SearchCondition[] anyOf)
    {
        Clauses.Add(anyOf);
        return this;
    }
}

/// <summary>
/// Resources whose <see cref="Param"/> token (such as an Observation's category) names a section a
/// patient withholds from one of <see cref="Audiences"/>, or from everyone, are left out.
/// </summary>
public sealed record Withholding(string Param, IReadOnlyList<string> Audiences);

/// <summary>A section (system and code) a patient may withhold from any of <see cref="Audiences"/>, or from everyone.</summary>
public sealed record SectionWithheld(string SectionSystem, string SectionCode, IReadOnlyList<string> Audiences);

public enum SearchSort
{
    /// <summary>The order resources were first created in; an update does not move a resource.</summary>
    Key,
    LastUpdatedAscending,
    LastUpdatedDescending,
}

/// <summary>The position of the last row of a page: its last-updated time and origin key.</summary>
public readonly record struct SearchCursor(long LastUpdated, long Key);

public enum Comparator
{
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Sa,
    Eb,
}

public enum StringMatch
{
    StartsWith,
    Exact,
    Contains,
}

public abstract record SearchCondition;

public sealed record IdCondition(string Id) : SearchCondition;

/// <summary>Matches the resource's last-updated instant against the range [Low, High].</summary>
public sealed record LastUpdatedCondition(Comparator Comparator, long Low, long High) : SearchCondition;

/// <summary>
/// A token. <see cref="Code"/> null matches any code in <see cref="System"/>. <see cref="System"/> null
/// matches any system, unless <see cref="RequireNoSystem"/> asks for tokens that have none.
/// </summary>
public sealed record TokenCondition(string Param, string? System, string? Code, bool RequireNoSystem = false) : SearchCondition;

/// <summary>A reference to a target id; a null <see cref="TargetType"/> matches a target of any type.</summary>
public sealed record ReferenceCondition(string Param, string? TargetType, string TargetId) : SearchCondition;

/// <summary>
/// A reference by logical identifier (<c>:identifier</c>): the reference carries that identifier, or it
/// points at a stored resource of one of <see cref="TargetTypes"/> whose <see cref="TargetIdentifierParam"/>
/// token matches.
/// </summary>
public sealed record ReferenceIdentifierCondition(string Param, string? System, string Value, IReadOnlyList<string> TargetTypes, string TargetIdentifierParam) : SearchCondition;

/// <summary>A date index range compared with the search range [Low, High], both in Unix milliseconds.</summary>
public sealed record DateCondition(string Param, Comparator Comparator, long Low, long High) : SearchCondition;

/// <summary>A string: normalised for starts-with and contains, as written for exact.</summary>
public sealed record StringCondition(string Param, string Value, StringMatch Match) : SearchCondition;
