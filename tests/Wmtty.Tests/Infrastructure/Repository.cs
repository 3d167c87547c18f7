namespace Wmtty.Tests.Infrastructure;

/// <summary>Files of the repository the tests were built from.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Wmtty.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("Wmtty.sln not found above " + AppContext.BaseDirectory);
    }
}
