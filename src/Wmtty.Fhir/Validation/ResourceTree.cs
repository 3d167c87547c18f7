using Hl7.Fhir.Model;

namespace Wmtty.Fhir.Validation;

/// <summary>Every element of a resource, contained resources included, with a FHIRPath-like location.</summary>
internal static class ResourceTree
{
    /// <remarks>Collected in one pass, not yielded through an iterator at every level: that took an object a level and
    /// passed every element up through all the levels above it, for each resource written, twice.</remarks>
    public static List<(Base Node, string Path)> Walk(Base node, string path)
    {
        var all = new List<(Base Node, string Path)>();
        Collect(node, path, all);
        return all;
    }

    private static void Collect(Base node, string path, List<(Base Node, string Path)> all)
    {
        all.Add((node, path));
        foreach (var (name, value) in node.EnumerateElements())
        {
            switch (value)
            {
                case Base child:
                    Collect(child, $"{path}.{name}", all);
                    break;
                case IEnumerable<Base> children:
                    var index = 0;
                    foreach (var child in children)
                    {
                        Collect(child, $"{path}.{name}[{index}]", all);
                        index++;
                    }

                    break;
            }
        }
    }
}
