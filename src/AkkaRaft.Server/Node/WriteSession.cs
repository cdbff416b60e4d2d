using AkkaRaft.Client;

namespace AkkaRaft.Server.Node;

/// <summary>
/// The session part of a write, as the HTTP API's headers and the gRPC API's <c>SessionWrite</c> field give it
/// (<see cref="None"/> for a write outside any session): the session, the write's sequence number, the acknowledgement
/// of the answers below it, and whether the key is ephemeral.
/// </summary>
internal sealed record WriteSession(long SessionId, ulong Sequence, ulong AcknowledgedBelow, bool Ephemeral)
{
    public static WriteSession None { get; } = new(0, 0, 0, false);

    /// <summary>The write with its session, sequence and acknowledgement.</summary>
    public Write Apply(Write write) => SessionId == 0 ? write : write with { SessionId = SessionId, Sequence = Sequence, AcknowledgedBelow = AcknowledgedBelow };
}
