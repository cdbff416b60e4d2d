using AkkaRaft.Remote.Wire;

namespace AkkaRaft.Remote.Transport;

/// <summary>
/// What the layer above the transport (remote actor refs, death watch) does with inbound frames and link events.
/// Called on the connection's I/O loop: keep it short and non-blocking; frames of one connection arrive in order.
/// </summary>
public interface IRemoteFrameHandler
{
    /// <summary>
    /// An authenticated peer sent an Envelope, Watch, Unwatch, DeathWatchNotification or HeartbeatAck.
    /// Throw <see cref="RemoteProtocolException"/> to close that connection (for example an unknown manifest).
    /// </summary>
    void OnFrame(RemoteAddress from, Frame frame);

    /// <summary>A message connection to <paramref name="remote"/> completed its handshake.</summary>
    void OnAssociated(RemoteAddress remote);

    /// <summary>The message connection to <paramref name="remote"/> closed (it will be re-dialled on demand).</summary>
    void OnDisassociated(RemoteAddress remote);

    /// <summary>A frame for <paramref name="to"/> was dropped (queue full, too large, shut down, address terminated).</summary>
    void OnDeadLetter(RemoteAddress to, Frame frame, string reason);
}
