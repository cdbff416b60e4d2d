using AkkaRaft.Hocon;

namespace AkkaRaft.Kv;

/// <summary>
/// The <c>akkaraft.kv</c> section, read once and validated (defaults live in <c>reference.conf</c>).
/// </summary>
/// <remarks>
/// <see cref="MaxKeyBytes"/> and <see cref="MaxValueBytes"/> are checked when a write is applied, so every peer
/// of a group must use the same values, as they must use the same state machine: a peer with other limits would
/// accept a write the others refuse and its state would diverge. <see cref="MaxListResults"/> only bounds
/// and <see cref="MaxListBytes"/> only bound answers and may differ.
/// </remarks>
/// <param name="MaxKeyBytes">Longest key, and longest List or DeleteTree prefix, in UTF-8 bytes.</param>
/// <param name="MaxValueBytes">Longest value, in bytes.</param>
/// <param name="MaxListResults">Most pairs one List answer holds.</param>
/// <param name="MaxListBytes">Most key (UTF-8) and value bytes one List answer holds; at least one pair is
/// always returned, whatever its size.</param>
public sealed record KvSettings(int MaxKeyBytes, int MaxValueBytes, int MaxListResults, int MaxListBytes)
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.kv";

    /// <summary>The settings of <c>reference.conf</c> alone.</summary>
    public static KvSettings Default => FromConfig(ConfigurationFactory.Default());

    /// <summary>Reads and validates <c>akkaraft.kv</c> from the full configuration.</summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, or out of its range.</exception>
    public static KvSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new KvSettings(
            MaxKeyBytes: config.GetByteSizeInt32(SectionPath + ".max-key-bytes", 1),
            MaxValueBytes: config.GetByteSizeInt32(SectionPath + ".max-value-bytes", 1),
            MaxListResults: config.GetIntInRange(SectionPath + ".max-list-results", 1),
            MaxListBytes: config.GetByteSizeInt32(SectionPath + ".max-list-bytes", 1));
    }
}
