using AkkaRaft.Configuration;

namespace AkkaRaft.Raft.Peer;

/// <summary>The <c>akkaraft.watches</c> section, read once and validated (defaults live in <c>reference.conf</c>).</summary>
/// <param name="MaxWatches">Most watches one peer serves at once; another is refused as overloaded.</param>
/// <param name="MaxWatchesPerSession">Most watches of one session one peer serves at once.</param>
/// <param name="DefaultTimeout">How long a watch waits when its request names no timeout.</param>
/// <param name="MaxTimeout">Longest timeout a watch may ask for.</param>
/// <param name="HistoryEntries">Applied entries whose changed keys a peer keeps, so that a watch set from an older index
/// fires at once when one of them changed what it watches.</param>
public sealed record WatchSettings(int MaxWatches, int MaxWatchesPerSession, TimeSpan DefaultTimeout, TimeSpan MaxTimeout, int HistoryEntries)
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.watches";

    /// <summary>The values of <c>reference.conf</c>, for settings built in code.</summary>
    public static WatchSettings Defaults { get; } = new(100_000, 1000, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10), 10_000);

    /// <summary>Reads and validates <c>akkaraft.watches</c> from the full configuration.</summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, or out of its range.</exception>
    public static WatchSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var max = config.GetTimeSpanInRange(SectionPath + ".max-timeout", TimeSpan.FromMilliseconds(1));
        return new WatchSettings(
            config.GetIntInRange(SectionPath + ".max-watches", 1),
            config.GetIntInRange(SectionPath + ".max-watches-per-session", 1),
            config.GetTimeSpanInRange(SectionPath + ".default-timeout", TimeSpan.FromMilliseconds(1), max),
            max,
            config.GetIntInRange(SectionPath + ".history-entries", 0));
    }
}
