using System.Reflection;
using Hl7.Fhir.Model;
using Wmtty.Api.Fhir;
using Wmtty.Api.SignIn;
using SearchParameters = Wmtty.Fhir.Search.SearchParameters;

namespace Wmtty.Api.Capabilities;

/// <summary>
/// Builds the CapabilityStatement from the endpoints that are really mapped (their
/// <see cref="FhirInteraction"/> metadata) and the search parameters that are really indexed.
/// </summary>
internal sealed class CapabilityStatementBuilder(EndpointDataSource endpoints, TimeProvider clock, IConfiguration configuration)
{
    private readonly DateTimeOffset started = clock.GetUtcNow();
    private CapabilityStatement? built;

    public CapabilityStatement Build(string baseUrl)
    {
        var template = built ??= BuildTemplate();
        var statement = (CapabilityStatement)template.DeepCopy();
        statement.Implementation!.Url = baseUrl;
        return statement;
    }

    private CapabilityStatement BuildTemplate()
    {
        var interactions = endpoints.Endpoints
            .Select(e => e.Metadata.GetMetadata<FhirInteraction>())
            .OfType<FhirInteraction>()
            .Distinct()
            .ToLookup(i => i.ResourceType);

        var rest = new CapabilityStatement.RestComponent
        {
            Mode = CapabilityStatement.RestfulCapabilityMode.Server,
            Documentation = "FHIR REST for What Matters To You preferences. Search results are paged by keyset links; a total is given only for _total=accurate or _summary=count.",
            Security = new CapabilityStatement.SecurityComponent
            {
                Cors = configuration.GetSection(Security.ClientLimits.CorsSection).Get<string[]>() is { Length: > 0 },
                Service = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "OAuth", "OAuth")],
                Description = $"Bearer tokens from Microsoft Entra ID ({SignInSetup.AzureAdSection}) for staff and systems, or from the patient identity provider ({PatientSignInOptions.Section}) for patients. " +
                    "Every interaction except metadata requires one. App roles and scopes map to SMART App Launch v2 permissions (system/, user/, patient/); a patient reaches only their own compartment, and the patient's Consent decides which sections each audience sees. Every access is audited (AuditEvent).",
            },
        };

        var operations = endpoints.Endpoints
            .Select(e => e.Metadata.GetMetadata<FhirOperation>())
            .OfType<FhirOperation>()
            .DistinctBy(o => (o.ResourceType, o.Name))
            .ToLookup(o => o.ResourceType);

        foreach (var group in interactions.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var resource = Describe(group.Key, group.Select(i => i.Code).ToHashSet(), group.Any(i => i.Conditional && i.Code == FhirInteraction.Update));
            resource.Operation = [.. operations[group.Key].OrderBy(o => o.Name, StringComparer.Ordinal)
                .Select(o => new CapabilityStatement.OperationComponent { Name = o.Name, Definition = o.Definition })];
            rest.Resource.Add(resource);
        }

        var version = typeof(CapabilityStatementBuilder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        return new CapabilityStatement
        {
            Status = PublicationStatus.Active,
            DateElement = new FhirDateTime(started),
            Publisher = "Wmtty",
            Kind = CapabilityStatementKind.Instance,
            Software = new CapabilityStatement.SoftwareComponent { Name = "Wmtty", Version = version.Split('+')[0] },
            Implementation = new CapabilityStatement.ImplementationComponent { Description = "Wmtty: What Matters To You" },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["application/fhir+json", "application/fhir+xml"],
            Rest = [rest],
        };
    }

    private static CapabilityStatement.ResourceComponent Describe(string type, HashSet<string> codes, bool conditionalUpdate)
    {
        var resource = new CapabilityStatement.ResourceComponent
        {
            Type = type,
            Versioning = CapabilityStatement.ResourceVersionPolicy.VersionedUpdate, // versions kept, and If-Match honoured
            ReadHistory = codes.Contains(FhirInteraction.VRead),
            UpdateCreate = codes.Contains(FhirInteraction.Update),
            ConditionalCreate = codes.Contains(FhirInteraction.Create),
            ConditionalUpdate = conditionalUpdate,
            ConditionalRead = CapabilityStatement.ConditionalReadStatus.FullSupport, // If-None-Match and If-Modified-Since
            ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.NotSupported,
            ReferencePolicy = [CapabilityStatement.ReferenceHandlingPolicy.Literal, CapabilityStatement.ReferenceHandlingPolicy.Logical],
        };

        foreach (var code in codes.Order(StringComparer.Ordinal))
        {
            if (Hl7.Fhir.Utility.EnumUtility.ParseLiteral<CapabilityStatement.TypeRestfulInteraction>(code) is { } interaction)
            {
                resource.Interaction.Add(new CapabilityStatement.ResourceInteractionComponent { Code = interaction });
            }
        }

        if (codes.Contains(FhirInteraction.SearchType) && type == Access.AuditEventEndpoints.Type)
        {
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "patient", Type = SearchParamType.Reference, Definition = "http://hl7.org/fhir/SearchParameter/AuditEvent-patient", Documentation = "Whose data was accessed" });
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "date", Type = SearchParamType.Date, Definition = "http://hl7.org/fhir/SearchParameter/AuditEvent-date", Documentation = "When the access happened (ge, gt, le, lt)" });
        }
        else if (codes.Contains(FhirInteraction.SearchType))
        {
            foreach (var (name, paramType, url, description) in SearchParameters.Common)
            {
                resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = name, Type = paramType, Definition = url, Documentation = description });
            }

            resource.SearchInclude = [.. SearchParameters.For(type).Where(d => d.Type == SearchParamType.Reference).Select(d => $"{type}:{d.Name}").Order(StringComparer.Ordinal)];
            foreach (var definition in SearchParameters.For(type).OrderBy(d => d.Name, StringComparer.Ordinal))
            {
                resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent
                {
                    Name = definition.Name,
                    Type = definition.Type,
                    Definition = definition.Url,
                    Documentation = definition.Description,
                });
            }
        }

        return resource;
    }
}
