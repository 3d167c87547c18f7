using Hl7.Fhir.Model;

namespace Wmtty.Fhir.Validation;

/// <summary>Every element of a resource, contained resources included, with a FHIRPath-like location.</summary>
internal static class ResourceTree
{
    public static IEnumerable<(Base Node, string Path)> Walk(Base node, string path)
    {
        yield return (node, path);
        foreach (var (name, value) in node.EnumerateElements())
        {
            switch (value)
            {
                case Base child:
                    foreach (var item in Walk(child, $"{path}.{name}"))
                    {
                        yield return item;
                    }

                    break;
                case IEnumerable<Base> children:
                    var index = 0;
                    foreach (var child in children)
                    {
                        foreach (var item in Walk(child, $"{path}.{name}[{index}]"))
                        {
                            yield return item;
                        }

                        index++;
                    }

                    break;
            }
        }
    }
}
