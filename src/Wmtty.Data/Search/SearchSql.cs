using System.Text;
using Dapper;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Search;

/// <summary>
/// Turns a <see cref="SearchQuery"/> into SQL. The text is assembled only from the fixed fragments
/// below and the dialect's; every value goes in as a parameter.
/// </summary>
internal sealed class SearchSql(SqlDialect dialect)
{
    private const string Columns = """
        r.origin_key AS SortKey, r.resource_id AS Id, r.version AS Version, r.last_updated AS LastUpdated, r.json AS Json, r.compartment AS Compartment
        FROM resource r
        """;

    private const string ColumnsWithoutJson = """
        r.origin_key AS SortKey, r.resource_id AS Id, r.version AS Version, r.last_updated AS LastUpdated, NULL AS Json, r.compartment AS Compartment
        FROM resource r
        """;

    private const string CountColumns = "SELECT COUNT(*) FROM resource r";

    private const string LiveOfType = "WHERE r.resource_type = @Type AND r.is_current = 1 AND r.is_deleted = 0";

    public (string Sql, DynamicParameters Parameters) Page(SearchQuery query, int limit)
    {
        var builder = new Builder(dialect, query.ResourceType);
        var limitParameter = builder.Parameter(limit);
        var driver = DriverClause(query);
        builder.Append("SELECT ").Append(dialect.Top(limitParameter)).Append(query.IncludeJson ? Columns : ColumnsWithoutJson)
            .Append(driver >= 0 ? dialect.ByKeyOnly() : "").AppendLine().Append(LiveOfType);
        builder.AppendAccess(query);
        builder.AppendClauses(query.Clauses, driver);
        builder.AppendKeyset(query.Sort, query.After);
        builder.AppendLine().Append(query.Sort switch
        {
            SearchSort.LastUpdatedAscending => "ORDER BY r.last_updated, r.origin_key",
            SearchSort.LastUpdatedDescending => "ORDER BY r.last_updated DESC, r.origin_key DESC",
            _ => "ORDER BY r.origin_key",
        });
        builder.Append(dialect.Limit(limitParameter));
        return builder.Build();
    }

    public (string Sql, DynamicParameters Parameters) Count(SearchQuery query)
    {
        var builder = new Builder(dialect, query.ResourceType);
        var driver = DriverClause(query);
        builder.Append(CountColumns).Append(driver >= 0 ? dialect.ByKeyOnly() : "").AppendLine().Append(LiveOfType);
        builder.AppendAccess(query);
        builder.AppendClauses(query.Clauses, driver);
        return builder.Build();
    }

    /// <summary>
    /// The clause that names one referenced resource (patient=X, subject=Patient/X), if any: it matches a
    /// handful of rows whatever the size of the database, so the query starts from it, by key, and tests each
    /// of those rows against the other clauses through the per-resource index. Left to itself, SQLite without
    /// statistics walks every live resource of the type in key order instead (all of them, when the page is
    /// not filled), or lists every resource another clause matches, such as every Observation of a category:
    /// either way the time grows with the database. -1 when there is no such clause, or an id names the row, or
    /// the reference is to a definition that every response points at.
    /// </summary>
    internal static int DriverClause(SearchQuery query)
    {
        if (query.Clauses.Any(c => c.Any(condition => condition is IdCondition)))
        {
            return -1;
        }

        return query.Clauses.FindIndex(c => c is [ReferenceCondition { TargetId.Length: > 0 } reference] && !ManyPointAt(reference));
    }

    // Every response points at its questionnaire: starting there would read and sort all of them for one page.
    private static bool ManyPointAt(ReferenceCondition reference) =>
        reference.Param == "questionnaire" || reference.TargetType is "Questionnaire" or "ValueSet" or "CodeSystem" or "OperationDefinition" or "Measure";

    private sealed class Builder
    {
        private readonly SqlDialect dialect;
        private readonly StringBuilder sql = new();
        private readonly DynamicParameters parameters = new();
        private bool correlated;
        private int next;

        public Builder(SqlDialect dialect, string resourceType)
        {
            this.dialect = dialect;
            parameters.Add("Type", resourceType);
        }

        public Builder Append(string text)
        {
            sql.Append(text);
            return this;
        }

        public Builder AppendLine()
        {
            sql.Append('\n');
            return this;
        }

        public string Parameter(object? value)
        {
            var name = "@p" + next++;
            parameters.Add(name, value);
            return name;
        }

        // The key index rows name a type's search parameter by (index_param), looked up once as the statement starts: a
        // parameter never indexed yet has no key, and then the condition matches no row, as it would have before.
        public string ParamKey(string typeParameter, string param) =>
            $"(SELECT param_key FROM index_param WHERE resource_type = {typeParameter} AND param = {Parameter(param)})";

        // Token rows name their system by a key (token_system), looked up the same way: a system never indexed has no key,
        // and the condition matches no row.
        public string SystemKey(string system) => $"(SELECT system_key FROM token_system WHERE system = {Parameter(system)})";

        public (string, DynamicParameters) Build() => (sql.ToString(), parameters);

        // What the caller may not see is left out in SQL, so pages and totals never count it.
        public void AppendAccess(SearchQuery query)
        {
            if (query.Compartment is not null)
            {
                sql.Append($"\n  AND r.compartment = {Parameter(query.Compartment)}");
            }

            if (query.Withholding is { } withholding)
            {
                var audiences = withholding.Audiences.Append("*").Select(Parameter);
                sql.Append($"\n  AND NOT EXISTS (SELECT 1 FROM consent_withheld w JOIN token_system ws ON ws.system = w.section_system JOIN token_index t ON t.resource_key = r.resource_key AND t.param_key = {ParamKey("@Type", withholding.Param)} AND t.system_key = ws.system_key AND t.code = w.section_code WHERE w.patient_id = r.compartment AND w.audience IN ({string.Join(", ", audiences)}))");
            }

            if (query.HideWhereWithheld is { } section)
            {
                var audiences = section.Audiences.Append("*").Select(Parameter);
                sql.Append($"\n  AND NOT EXISTS (SELECT 1 FROM consent_withheld w WHERE w.patient_id = r.compartment AND w.section_system = {Parameter(section.SectionSystem)} AND w.section_code = {Parameter(section.SectionCode)} AND w.audience IN ({string.Join(", ", audiences)}))");
            }
        }

        public void AppendClauses(IEnumerable<IReadOnlyList<SearchCondition>> clauses, int driver = -1)
        {
            foreach (var (anyOf, index) in clauses.Select((c, i) => (c, i)))
            {
                correlated = driver >= 0 && index != driver;
                sql.Append("\n  AND (");
                for (var i = 0; i < anyOf.Count; i++)
                {
                    if (i > 0)
                    {
                        sql.Append("\n       OR ");
                    }

                    AppendCondition(anyOf[i]);
                }

                sql.Append(')');
            }

            correlated = false;
        }

        // An index table's rows for the resource: a list of matching keys, or, once a driver clause has found the
        // few candidate rows, a test of each candidate through the table's per-resource index.
        private void OpenIndexSubquery(string table, string alias)
        {
            sql.Append(correlated
                ? $"EXISTS (SELECT 1 FROM {table} {alias}{dialect.ByResourceIndex(table)} WHERE {alias}.resource_key = r.resource_key AND "
                : $"r.resource_key IN (SELECT {alias}.resource_key FROM {table} {alias} WHERE ");
        }

        public void AppendKeyset(SearchSort sort, SearchCursor? after)
        {
            if (after is not { } cursor)
            {
                return;
            }

            var key = Parameter(cursor.Key);
            if (sort == SearchSort.Key)
            {
                sql.Append($"\n  AND r.origin_key > {key}");
                return;
            }

            var updated = Parameter(cursor.LastUpdated);
            sql.Append("\n  AND ").Append(dialect.KeysetAfter(sort == SearchSort.LastUpdatedDescending, "r.last_updated", "r.origin_key", updated, key));
        }

        private void AppendCondition(SearchCondition condition)
        {
            switch (condition)
            {
                case IdCondition id:
                    sql.Append($"r.resource_id = {Parameter(id.Id)}");
                    break;

                case LastUpdatedCondition updated:
                    sql.Append('(').Append(Compare(updated.Comparator, "r.last_updated", "r.last_updated", updated.Low, updated.High)).Append(')');
                    break;

                case TokenCondition token:
                    AppendToken(token);
                    break;

                case ReferenceCondition reference:
                    OpenIndexSubquery("reference_index", "x");
                    sql.Append($"x.param_key = {ParamKey("@Type", reference.Param)} AND x.target_id = {Parameter(reference.TargetId)}");
                    if (reference.TargetType is not null)
                    {
                        sql.Append($" AND x.target_type = {Parameter(reference.TargetType)}");
                    }

                    sql.Append(')');
                    break;

                case ReferenceIdentifierCondition byIdentifier:
                    AppendReferenceIdentifier(byIdentifier);
                    break;

                case DateCondition date:
                    OpenIndexSubquery("date_index", "d");
                    sql.Append($"d.param_key = {ParamKey("@Type", date.Param)} AND ({Compare(date.Comparator, "d.low", "d.high", date.Low, date.High)}))");
                    break;

                case StringCondition text:
                    OpenIndexSubquery("string_index", "s");
                    sql.Append($"s.param_key = {ParamKey("@Type", text.Param)} AND ");
                    sql.Append(text.Match switch
                    {
                        StringMatch.Exact => $"s.exact_value = {Parameter(text.Value)}",
                        StringMatch.Contains => dialect.StringContains("s.value", Parameter(text.Value)),
                        _ => dialect.StringStartsWith("s.value", text.Value, Parameter),
                    });
                    sql.Append(')');
                    break;

                default:
                    throw new ArgumentOutOfRangeException(nameof(condition), condition.GetType().Name, "Unknown search condition.");
            }
        }

        private void AppendToken(TokenCondition token)
        {
            OpenIndexSubquery("token_index", "t");
            sql.Append($"t.param_key = {ParamKey("@Type", token.Param)}");
            if (token.Code is not null)
            {
                sql.Append($" AND t.code = {Parameter(token.Code)}");
            }

            if (token.RequireNoSystem)
            {
                sql.Append(" AND t.system_key IS NULL");
            }
            else if (token.System is not null)
            {
                sql.Append($" AND t.system_key = {SystemKey(token.System)}");
            }

            sql.Append(')');
        }

        // Either the reference itself carries the identifier, or it points at a stored resource that has
        // it: an EHR asking for subject:identifier=<NHS number> means the patient, however referenced.
        private void AppendReferenceIdentifier(ReferenceIdentifierCondition condition)
        {
            var param = ParamKey("@Type", condition.Param);
            var value = Parameter(condition.Value);
            var system = condition.System is null ? null : Parameter(condition.System);
            var systemKey = condition.System is null ? null : SystemKey(condition.System);

            sql.Append($"(r.resource_key IN (SELECT x.resource_key FROM reference_index x WHERE x.param_key = {param} AND x.identifier_value = {value}");
            if (system is not null)
            {
                sql.Append($" AND x.identifier_system = {system}");
            }

            sql.Append(')');
            foreach (var targetType in condition.TargetTypes)
            {
                sql.Append($"\n       OR r.resource_key IN (SELECT x.resource_key FROM token_index ti JOIN resource t ON t.resource_key = ti.resource_key AND t.is_current = 1 AND t.is_deleted = 0 JOIN reference_index x ON x.target_type = t.resource_type AND x.target_id = t.resource_id WHERE ti.param_key = {ParamKey(Parameter(targetType), condition.TargetIdentifierParam)} AND ti.code = {value}");
                if (system is not null)
                {
                    sql.Append($" AND ti.system_key = {systemKey}");
                }

                sql.Append($" AND x.param_key = {param})");
            }

            sql.Append(')');
        }

        // A stored range [low, high] against the searched range [Low, High], as FHIR defines the prefixes.
        private string Compare(Comparator comparator, string low, string high, long searchLow, long searchHigh) => comparator switch
        {
            Comparator.Eq => $"{low} >= {Parameter(searchLow)} AND {high} <= {Parameter(searchHigh)}",
            Comparator.Ne => $"NOT ({low} >= {Parameter(searchLow)} AND {high} <= {Parameter(searchHigh)})",
            Comparator.Gt => $"{high} > {Parameter(searchHigh)}",
            Comparator.Lt => $"{low} < {Parameter(searchLow)}",
            Comparator.Ge => $"{high} >= {Parameter(searchLow)}",
            Comparator.Le => $"{low} <= {Parameter(searchHigh)}",
            Comparator.Sa => $"{low} > {Parameter(searchHigh)}",
            Comparator.Eb => $"{high} < {Parameter(searchLow)}",
            _ => throw new ArgumentOutOfRangeException(nameof(comparator)),
        };
    }
}
