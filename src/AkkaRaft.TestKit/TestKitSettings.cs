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
}
