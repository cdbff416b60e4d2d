using AkkaRaft.Configuration;

namespace AkkaRaft.Raft.Peer;

/// <summary>The <c>akkaraft.sessions</c> section, read once and validated (defaults live in <c>reference.conf</c>).</summary>
/// <param name="MinTtl">Shortest time to live a client may ask for.</param>
/// <param name="MaxTtl">Longest time to live a client may ask for.</param>
/// <param name="MaxSessions">Most sessions one group holds open; the leader refuses to open more (Overloaded).</param>
/// <param name="MaxUnacknowledgedResponses">Most exactly-once responses a session keeps until its client acknowledges
/// them. The leader writes it into the session's open entry, so every peer enforces the same value.</param>
public sealed record SessionSettings(TimeSpan MinTtl, TimeSpan MaxTtl, int MaxSessions, int MaxUnacknowledgedResponses)
{
    /// <summary>Most sessions, locks, watches (and waiters of one lock) a listing of them names, each (GET /sessions).</summary>
    public int MaxListed { get; init; } = 1000;

    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.sessions";

    /// <summary>The values of <c>reference.conf</c>, for settings built in code.</summary>
    public static SessionSettings Defaults { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), 100_000, 1000);

    /// <summary>Reads and validates <c>akkaraft.sessions</c> from the full configuration.</summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, or out of its range.</exception>
    public static SessionSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var min = config.GetTimeSpanInRange(SectionPath + ".min-ttl", TimeSpan.FromMilliseconds(1));
        var max = config.GetTimeSpanInRange(SectionPath + ".max-ttl", min);
        return new SessionSettings(
            min,
            max,
            config.GetIntInRange(SectionPath + ".max-sessions", 1),
            config.GetIntInRange(SectionPath + ".max-unacknowledged-responses", 1))
        {
            MaxListed = config.GetIntInRange(SectionPath + ".max-listed", 1),
        };
    }
}
