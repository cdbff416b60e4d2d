using System.Globalization;

namespace AkkaRaft.Faults.Network;

/// <summary>
/// What the <see cref="LinkProxy"/> does to the Akka.Remote frames of a link while a link fault holds. Every frame is
/// held back for <see cref="Delay"/> plus a uniform draw in [-<see cref="Jitter"/>, +<see cref="Jitter"/>] (never less
/// than nothing); the frames of one direction still leave in the order they came (FIFO), unless a frame is held back
/// behind the next one (<see cref="ReorderShare"/>). A duplicated frame is sent twice in a row.
/// </summary>
/// <param name="Delay">Mean time a frame spends in the proxy.</param>
/// <param name="Jitter">Largest deviation from <see cref="Delay"/>, either way.</param>
/// <param name="DuplicateShare">Share of frames sent twice, in [0, 1).</param>
/// <param name="ReorderShare">Share of the frames not duplicated that are held back until the frame after them has been sent, in [0, 1).</param>
internal sealed record LinkBehavior(TimeSpan Delay, TimeSpan Jitter, double DuplicateShare, double ReorderShare)
{
    /// <summary>Frames pass as they come: what the proxy does outside a link fault.</summary>
    public static LinkBehavior PassThrough { get; } = new(TimeSpan.Zero, TimeSpan.Zero, 0, 0);

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public LinkBehavior Validate()
    {
        if (Delay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Delay), Delay, "a delay is not negative");
        if (Jitter < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Jitter), Jitter, "a jitter is not negative");
        if (DuplicateShare is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(DuplicateShare), DuplicateShare, "a share of frames duplicated is in [0, 1)");
        if (ReorderShare is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(ReorderShare), ReorderShare, "a share of frames reordered is in [0, 1)");
        return this;
    }

    /// <summary>For the nemesis log, e.g. <c>every frame 120 ms ± 60 ms late, FIFO</c>.</summary>
    public override string ToString()
    {
        var text = $"every frame {Milliseconds(Delay)} ms ± {Milliseconds(Jitter)} ms late";
        if (DuplicateShare > 0) text += $", {Percent(DuplicateShare)}% of frames sent twice";
        text += ReorderShare > 0 ? $", {Percent(ReorderShare)}% of frames held back behind the next" : ", FIFO";
        return text;
    }

    private static string Milliseconds(TimeSpan time) => time.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);

    private static string Percent(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture);
}

/// <summary>
/// The limits of the <see cref="LinkProxy"/>, every one with its default.
/// </summary>
internal sealed record LinkProxySettings
{
    /// <summary>
    /// Largest frame accepted, its 4-byte length prefix included, in bytes: AkkaRaft's default
    /// <c>akkaraft.remote.maximum-frame-size-bytes</c> (4 MiB). A connection announcing a larger frame is closed: it
    /// does not speak Akka.Remote's framing, or the proxy lost its place in the stream.
    /// </summary>
    public int FrameBytesMax { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Whether the 4-byte length prefix is little-endian: Akka.NET's default
    /// <c>akka.remote.dot-netty.tcp.byte-order = "little-endian"</c>, which AkkaRaft does not change (checked against
    /// the bytes of real handshakes: see docs/FAULTS.md).
    /// </summary>
    public bool LengthLittleEndian { get; init; } = true;

    /// <summary>Frames read but not yet sent, per direction of a connection; the proxy stops reading while that many wait.</summary>
    public int QueuedFramesMax { get; init; } = 4096;

    /// <summary>Connections carried at once; more are refused (closed at once) and counted.</summary>
    public int ConnectionsMax { get; init; } = 64;

    /// <summary>How long a frame held back waits for a frame to overtake it before it is sent anyway.</summary>
    public TimeSpan HoldBackMax { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the proxy waits for the node it forwards a connection to to accept it.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public LinkProxySettings Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(FrameBytesMax, 8, nameof(FrameBytesMax));
        ArgumentOutOfRangeException.ThrowIfLessThan(QueuedFramesMax, 2, nameof(QueuedFramesMax));
        ArgumentOutOfRangeException.ThrowIfLessThan(ConnectionsMax, 1, nameof(ConnectionsMax));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HoldBackMax, TimeSpan.Zero, nameof(HoldBackMax));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        return this;
    }
}
