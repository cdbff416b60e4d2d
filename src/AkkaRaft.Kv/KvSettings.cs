using AkkaRaft.Configuration;

namespace AkkaRaft.Kv;

/// <summary>
/// The <c>akkaraft.kv</c> section, read once and validated (defaults live in <c>reference.conf</c>).
/// </summary>
/// <remarks>
/// <see cref="MaxKeyBytes"/>, <see cref="MaxValueBytes"/> and <see cref="MaxBatchKeys"/> are checked when a write is applied, so every peer
/// of a group must use the same values, as they must use the same state machine: a peer with other limits would
/// accept a write the others refuse and its state would diverge. <see cref="MaxListResults"/> only bounds
/// and <see cref="MaxListBytes"/> only bound answers and may differ.
/// </remarks>
/// <param name="MaxKeyBytes">Longest key, and longest List or DeleteTree prefix, in UTF-8 bytes.</param>
/// <param name="MaxValueBytes">Longest value, in bytes.</param>
/// <param name="MaxListResults">Most pairs one List answer holds.</param>
/// <param name="MaxListBytes">Most key (UTF-8) and value bytes one List answer holds; at least one pair is
/// always returned, whatever its size.</param>
/// <param name="MaxBatchKeys">Most operations (keys) one batch write holds.</param>
public sealed record KvSettings(int MaxKeyBytes, int MaxValueBytes, int MaxListResults, int MaxListBytes, int MaxBatchKeys)
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
            MaxListBytes: config.GetByteSizeInt32(SectionPath + ".max-list-bytes", 1),
            MaxBatchKeys: config.GetIntInRange(SectionPath + ".max-batch-keys", 1, MaxBatchKeysLimit));
    }

    /// <summary>The largest <see cref="MaxBatchKeys"/> accepted: a batch is one log entry and one apply step, and the
    /// state machine checks every operation before it changes anything, so a batch stays small.</summary>
    public const int MaxBatchKeysLimit = 100_000;

    /// <summary>Checks the limits of a settings record built in code (<see cref="FromConfig"/> checks its own).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is below 1, or <see cref="MaxBatchKeys"/> is above <see cref="MaxBatchKeysLimit"/>.</exception>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxKeyBytes, 1, nameof(MaxKeyBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxValueBytes, 1, nameof(MaxValueBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxListResults, 1, nameof(MaxListResults));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxListBytes, 1, nameof(MaxListBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchKeys, 1, nameof(MaxBatchKeys));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBatchKeys, MaxBatchKeysLimit, nameof(MaxBatchKeys));
    }
}
