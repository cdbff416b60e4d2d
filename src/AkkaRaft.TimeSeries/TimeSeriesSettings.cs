using System.Text;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Configuration;
using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries;

/// <summary>
/// The store's part of <c>akkaraft.time-series</c>, read once and validated (defaults live in <c>reference.conf</c>);
/// the codec's part is <see cref="GorillaSettings"/>.
/// </summary>
/// <remarks>
/// <see cref="MaxSeriesNameBytes"/>, <see cref="MaxPointsPerCommand"/>, <see cref="MaxSeries"/> and the codec settings are
/// checked or used when a write is applied, so every peer of a group must use the same values (a peer with other
/// limits would accept a write the others refuse). <see cref="MaxQueryPoints"/> only bounds answers,
/// <see cref="Retention"/> and <see cref="RetentionCheckInterval"/> only what the leader proposes, and
/// <see cref="Shards"/> only how series are grouped; they may differ.
/// </remarks>
/// <param name="Codec">Block window, default unit and points per block.</param>
/// <param name="MaxSeriesNameBytes">Longest series name, and longest list prefix, in UTF-8 bytes.</param>
/// <param name="MaxPointsPerCommand">Most points one write (one log entry) holds, over all its series.</param>
/// <param name="MaxSeries">Most series the store holds.</param>
/// <param name="MaxQueryPoints">Most points (or buckets, or series of a list) one answer holds.</param>
/// <param name="Retention">Blocks whose points are all older than this are dropped (through the log); zero keeps everything.</param>
/// <param name="RetentionCheckInterval">How often the leader proposes the retention drop.</param>
/// <param name="Shards">How many shards the series are grouped into.</param>
public sealed record TimeSeriesSettings(
    GorillaSettings Codec,
    int MaxSeriesNameBytes,
    int MaxPointsPerCommand,
    int MaxSeries,
    int MaxQueryPoints,
    TimeSpan Retention,
    TimeSpan RetentionCheckInterval,
    int Shards)
{
    /// <summary>Where the section lives.</summary>
    public const string SectionPath = GorillaSettings.SectionPath;

    /// <summary>The largest <see cref="MaxPointsPerCommand"/>: a command is one log entry and one apply step.</summary>
    public const int MaxPointsPerCommandLimit = 1_000_000;

    /// <summary>The largest <see cref="Shards"/>.</summary>
    public const int ShardsLimit = 4096;

    /// <summary>The settings of <c>reference.conf</c> alone.</summary>
    public static TimeSeriesSettings Default => FromConfig(ConfigurationFactory.Default());

    /// <summary>Reads and validates <c>akkaraft.time-series</c> from the full configuration.</summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, or out of its range.</exception>
    public static TimeSeriesSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new TimeSeriesSettings(
            GorillaSettings.FromConfig(config),
            MaxSeriesNameBytes: config.GetByteSizeInt32(SectionPath + ".max-series-name-bytes", 1, 64 * 1024),
            MaxPointsPerCommand: config.GetIntInRange(SectionPath + ".max-points-per-command", 1, MaxPointsPerCommandLimit),
            MaxSeries: config.GetIntInRange(SectionPath + ".max-series", 1),
            MaxQueryPoints: config.GetIntInRange(SectionPath + ".max-query-points", 1),
            Retention: config.GetTimeSpanInRange(SectionPath + ".retention", TimeSpan.Zero),
            RetentionCheckInterval: config.GetTimeSpanInRange(SectionPath + ".retention-check-interval", TimeSpan.FromSeconds(1)),
            Shards: config.GetIntInRange(SectionPath + ".shards", 1, ShardsLimit));
    }

    /// <summary>Checks a settings record built in code (<see cref="FromConfig"/> checks its own).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of its range.</exception>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Codec);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSeriesNameBytes, 1, nameof(MaxSeriesNameBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPointsPerCommand, 1, nameof(MaxPointsPerCommand));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPointsPerCommand, MaxPointsPerCommandLimit, nameof(MaxPointsPerCommand));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSeries, 1, nameof(MaxSeries));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueryPoints, 1, nameof(MaxQueryPoints));
        ArgumentOutOfRangeException.ThrowIfLessThan(Retention, TimeSpan.Zero, nameof(Retention));
        ArgumentOutOfRangeException.ThrowIfLessThan(Shards, 1, nameof(Shards));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Shards, ShardsLimit, nameof(Shards));
    }

    /// <summary>
    /// Checks a series name (or, with <paramref name="prefix"/>, a list prefix, which may be empty): 1 to
    /// <see cref="MaxSeriesNameBytes"/> bytes of UTF-8, no control character.
    /// </summary>
    /// <returns><see cref="TsStatus.Ok"/>, <see cref="TsStatus.InvalidName"/> or <see cref="TsStatus.NameTooLong"/>;
    /// <paramref name="message"/> says why in a sentence.</returns>
    public TsStatus CheckName(string name, out string message, bool prefix = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        var what = prefix ? "series prefix" : "series name";
        if (name.Length == 0 && !prefix)
        {
            message = "The series name is empty.";
            return TsStatus.InvalidName;
        }

        foreach (var c in name)
        {
            if (char.IsControl(c))
            {
                message = $"The {what} '{Shown(name)}' holds the control character U+{(int)c:X4}.";
                return TsStatus.InvalidName;
            }
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxSeriesNameBytes)
        {
            message = $"The {what} '{Shown(name)}' is {bytes} bytes of UTF-8, more than max-series-name-bytes ({MaxSeriesNameBytes}).";
            return TsStatus.NameTooLong;
        }

        message = "";
        return TsStatus.Ok;
    }

    /// <summary>A name as an error message shows it: at most 64 characters.</summary>
    internal static string Shown(string name) => name.Length <= 64 ? name : name[..64] + "…";
}
