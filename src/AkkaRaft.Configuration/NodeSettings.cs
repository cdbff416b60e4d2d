namespace AkkaRaft.Configuration;

/// <summary>
/// The <c>akkaraft.node</c> section, read once and validated. This is the pattern every part follows for its
/// own section: a sealed record, a <c>SectionPath</c>, and <c>FromConfig(Config)</c> that reads every setting
/// with the typed getters (no defaults in code: reference.conf holds them) and throws a
/// <see cref="ConfigException"/> naming the path, the rule and the origin of a bad value.
/// </summary>
/// <param name="Id">The node's name, unique in its cluster.</param>
/// <param name="DataDirectory">Where the node keeps its journal and snapshots, as configured.</param>
/// <param name="ActorSystemName">The name of the node's Akka actor system; every member of a cluster uses the same.</param>
public sealed record NodeSettings(string Id, string DataDirectory, string ActorSystemName)
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.node";

    /// <summary>The longest node id accepted, in characters.</summary>
    public const int IdLengthMax = 64;

    /// <summary>Reads and validates <c>akkaraft.node</c> from the full configuration.</summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, or breaks its rule.</exception>
    public static NodeSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var idPath = SectionPath + ".id";
        var id = config.GetString(idPath);
        if (id.Length == 0 || id.Length > IdLengthMax || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw config.Invalid(idPath, $"expected 1 to {IdLengthMax} letters, digits, '-', '_' or '.', got '{id}'");
        }

        var dataDirPath = SectionPath + ".data-dir";
        var dataDirectory = config.GetString(dataDirPath);
        if (dataDirectory.Trim().Length == 0)
        {
            throw config.Invalid(dataDirPath, "expected a directory path, got an empty string");
        }

        if (dataDirectory.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            throw config.Invalid(dataDirPath, $"expected a directory path, got '{dataDirectory}', which holds a character paths cannot hold");
        }

        var systemNamePath = SectionPath + ".actor-system-name";
        var systemName = config.GetString(systemNamePath);
        // Akka's rule for system names: they appear in actor paths and remote addresses.
        if (systemName.Length == 0 || !char.IsAsciiLetterOrDigit(systemName[0]) || !systemName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw config.Invalid(systemNamePath, $"expected letters, digits, '-' and '_', starting with a letter or digit, got '{systemName}'");
        }

        return new NodeSettings(id, dataDirectory, systemName);
    }

    /// <summary>The data directory as an absolute path (relative paths are taken from the working directory).</summary>
    public string DataDirectoryFullPath => Path.GetFullPath(DataDirectory);
}
