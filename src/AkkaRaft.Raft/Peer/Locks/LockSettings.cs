using AkkaRaft.Configuration;

namespace AkkaRaft.Raft.Peer;

/// <summary>The <c>akkaraft.locks</c> section, read once and validated (defaults live in <c>reference.conf</c>).</summary>
/// <param name="MaxLocks">Most locks a group keeps (held or waited for). The leader writes it into each acquire entry,
/// so every peer enforces the same value.</param>
/// <param name="MaxWaiters">Most sessions waiting for one lock; written into each acquire entry too.</param>
/// <param name="MaxNameBytes">Longest lock name, in UTF-8 bytes; checked before anything is proposed.</param>
public sealed record LockSettings(int MaxLocks, int MaxWaiters, int MaxNameBytes)
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.locks";

    /// <summary>The values of <c>reference.conf</c>, for settings built in code.</summary>
    public static LockSettings Defaults { get; } = new(100_000, 1000, 1024);

    /// <summary>Reads and validates <c>akkaraft.locks</c> from the full configuration.</summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, or out of its range.</exception>
    public static LockSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new LockSettings(
            config.GetIntInRange(SectionPath + ".max-locks", 1),
            config.GetIntInRange(SectionPath + ".max-waiters", 1),
            config.GetByteSizeInt32(SectionPath + ".max-name-bytes", 1));
    }
}
