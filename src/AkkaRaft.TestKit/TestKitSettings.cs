namespace AkkaRaft.TestKit;

/// <summary>
/// Timeouts of the TestKit (<c>akkaraft.actor.testkit</c> in reference.conf). Under the simulation they are virtual time,
/// so waiting costs nothing real.
/// </summary>
public sealed record TestKitSettings
{
    /// <summary>The defaults.</summary>
    public static TestKitSettings Default { get; } = new();

    /// <summary>How long <c>ExpectMsg</c> and friends wait when no timeout is given.</summary>
    public TimeSpan SingleExpectDefault { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long <c>ExpectNoMsg</c> watches when no duration is given.</summary>
    public TimeSpan ExpectNoMessageDefault { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Reads <c>akkaraft.actor.testkit</c>, given as its own config; missing keys take the defaults.</summary>
    /// <exception cref="AkkaRaft.Configuration.ConfigException">A duration is malformed or not positive.</exception>
    public static TestKitSettings FromConfig(AkkaRaft.Configuration.Config section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var settings = new TestKitSettings
        {
            SingleExpectDefault = section.GetTimeSpan("single-expect-default", Default.SingleExpectDefault),
            ExpectNoMessageDefault = section.GetTimeSpan("expect-no-message-default", Default.ExpectNoMessageDefault),
        };
        if (settings.SingleExpectDefault <= TimeSpan.Zero || settings.ExpectNoMessageDefault <= TimeSpan.Zero)
            throw new AkkaRaft.Configuration.ConfigException("akkaraft.actor.testkit durations must be positive");
        return settings;
    }
}
