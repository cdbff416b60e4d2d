using AkkaRaft.Configuration;

namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>
/// The <c>akkaraft.time-series</c> settings of the codec, validated on construction.
/// Defaults equal <c>hocon/reference.conf</c>.
/// </summary>
public sealed record GorillaSettings
{
    /// <summary>Largest <see cref="BlockWindowSeconds"/>: 2^14 s, what the paper's 14-bit first delta can span.</summary>
    public const int BlockWindowSecondsMax = 1 << TimestampCoding.SecondsFirstDeltaBits;

    /// <summary>Largest <see cref="MaxPointsPerBlock"/>: the footer stores the point count in 16 bits.</summary>
    public const int MaxPointsPerBlockLimit = ushort.MaxValue;

    /// <summary>The defaults of <c>reference.conf</c>: 2 h windows, seconds, 8192 points per block.</summary>
    public static GorillaSettings Default { get; } = new(7200, TimestampUnit.Seconds, 8192);

    /// <summary>Where the section lives.</summary>
    public const string SectionPath = "akkaraft.time-series";

    /// <summary>Reads and validates <c>akkaraft.time-series</c> from the full configuration.</summary>
    /// <exception cref="ConfigException">A setting is missing, of the wrong type, or out of its range; the message names the path.</exception>
    public static GorillaSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var unitPath = SectionPath + ".timestamp-unit";
        var unitText = config.GetString(unitPath);
        TimestampUnit unit;
        try
        {
            unit = ParseUnit(unitText);
        }
        catch (FormatException)
        {
            throw config.Invalid(unitPath, $"expected 'seconds' or 'milliseconds', got '{unitText}'");
        }

        return new GorillaSettings(
            config.GetIntInRange(SectionPath + ".block-window-seconds", 1, BlockWindowSecondsMax),
            unit,
            config.GetIntInRange(SectionPath + ".max-points-per-block", 1, MaxPointsPerBlockLimit));
    }

    /// <summary>Creates validated settings.</summary>
    /// <param name="blockWindowSeconds"><c>block-window-seconds</c>: window each block is aligned to, in seconds, 1 to 16384.</param>
    /// <param name="defaultTimestampUnit"><c>timestamp-unit</c>: unit of a series that does not choose one.</param>
    /// <param name="maxPointsPerBlock"><c>max-points-per-block</c>: points per block, 1 to 65535.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range; the message names the setting.</exception>
    public GorillaSettings(int blockWindowSeconds, TimestampUnit defaultTimestampUnit, int maxPointsPerBlock)
    {
        if (blockWindowSeconds < 1 || blockWindowSeconds > BlockWindowSecondsMax)
        {
            throw new ArgumentOutOfRangeException(
                nameof(blockWindowSeconds),
                blockWindowSeconds,
                $"akkaraft.time-series.block-window-seconds must be between 1 and {BlockWindowSecondsMax} seconds " +
                "(the first point of a block is stored as a 14-bit offset from the window start, Gorilla §4.1.1).");
        }

        if (defaultTimestampUnit is not (TimestampUnit.Seconds or TimestampUnit.Milliseconds))
        {
            throw new ArgumentOutOfRangeException(
                nameof(defaultTimestampUnit),
                defaultTimestampUnit,
                "akkaraft.time-series.timestamp-unit must be seconds or milliseconds.");
        }

        if (maxPointsPerBlock < 1 || maxPointsPerBlock > MaxPointsPerBlockLimit)
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxPointsPerBlock),
                maxPointsPerBlock,
                $"akkaraft.time-series.max-points-per-block must be between 1 and {MaxPointsPerBlockLimit} points " +
                "(the block footer stores the count in 16 bits).");
        }

        BlockWindowSeconds = blockWindowSeconds;
        DefaultTimestampUnit = defaultTimestampUnit;
        MaxPointsPerBlock = maxPointsPerBlock;
    }

    /// <summary><c>block-window-seconds</c>: blocks start at multiples of this many seconds since the Unix epoch.</summary>
    public int BlockWindowSeconds { get; }

    /// <summary><c>timestamp-unit</c>: the unit of a series created without one.</summary>
    public TimestampUnit DefaultTimestampUnit { get; }

    /// <summary><c>max-points-per-block</c>: a block that holds this many points is finished and a new one started.</summary>
    public int MaxPointsPerBlock { get; }

    /// <summary>The window length in <paramref name="unit"/>: seconds, or seconds × 1000.</summary>
    public long BlockWindowIn(TimestampUnit unit) =>
        unit == TimestampUnit.Seconds ? BlockWindowSeconds : BlockWindowSeconds * 1000L;

    /// <summary>
    /// Parses the <c>timestamp-unit</c> setting: "seconds" or "milliseconds" (also "s" and "ms"), any case.
    /// </summary>
    /// <exception cref="FormatException">Any other text; the message quotes it and lists the accepted ones.</exception>
    public static TimestampUnit ParseUnit(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "seconds" or "s" => TimestampUnit.Seconds,
            "milliseconds" or "ms" => TimestampUnit.Milliseconds,
            _ => throw new FormatException(
                $"akkaraft.time-series.timestamp-unit is '{text}'; expected 'seconds' or 'milliseconds'."),
        };
    }
}
