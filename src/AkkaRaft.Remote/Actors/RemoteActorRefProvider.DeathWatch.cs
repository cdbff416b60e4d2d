using AkkaRaft.Actors;
using AkkaRaft.Remote.Transport;
using AkkaRaft.Remote.Wire;

namespace AkkaRaft.Remote.Actors;

/// <summary>
/// Remote death watch. Outbound: watching a <see cref="RemoteActorRef"/> sends a Watch to its system, which answers
/// with a DeathWatchNotification when the actor stops; meanwhile this system heartbeats every watched system, and one
/// that answers no heartbeat for <c>unreachable-after</c> is declared terminated: every watched actor there gets
/// <see cref="Terminated"/> with <c>AddressTerminated = true</c> and <see cref="AddressTerminated"/> is published.
/// Inbound: a Watch from another system becomes a kernel watch on behalf of a remote watcher.
/// </summary>
public sealed partial class RemoteActorRefProvider
{
    private readonly object _watchGate = new();
    private readonly Dictionary<RemoteAddress, WatchedSystem> _watched = new();
    private Timer? _heartbeatTimer;
    private long _heartbeatSequence;
    private long _lastTickMs;

    /// <summary>Raised (on a timer thread) when the failure detector declares a watched remote system terminated.</summary>
    public event Action<AddressTerminated>? AddressTerminated;

    private sealed class WatchedSystem(long nowMs)
    {
        /// <summary>Watched actors of that system by path without address or uid, with their local watchers.</summary>
        public Dictionary<string, (RemoteActorRef Ref, HashSet<IActorRef> Watchers)> Refs { get; } = new(StringComparer.Ordinal);

        public long LastHeardMs { get; set; } = nowMs;
    }

    internal void Watch(RemoteActorRef watchee, IActorRef watcher)
    {
        lock (_watchGate)
        {
            if (!_watched.TryGetValue(watchee.Remote, out var system))
            {
                _watched[watchee.Remote] = system = new WatchedSystem(Environment.TickCount64);
            }
            var key = watchee.Path.ToStringWithoutAddress();
            if (!system.Refs.TryGetValue(key, out var entry))
            {
                system.Refs[key] = entry = (watchee, new HashSet<IActorRef>());
            }
            entry.Watchers.Add(watcher);
        }
        _transport.TrySend(watchee.Remote, new Frame { Watch = new Wire.Watch { Watchee = watchee.PathText, Watcher = SenderPath(watcher) } });
    }

    internal void Unwatch(RemoteActorRef watchee, IActorRef watcher)
    {
        lock (_watchGate)
        {
            if (_watched.TryGetValue(watchee.Remote, out var system)
                && system.Refs.TryGetValue(watchee.Path.ToStringWithoutAddress(), out var entry)
                && entry.Watchers.Remove(watcher)
                && entry.Watchers.Count == 0)
            {
                system.Refs.Remove(watchee.Path.ToStringWithoutAddress());
                if (system.Refs.Count == 0) _watched.Remove(watchee.Remote);
            }
        }
        _transport.TrySend(watchee.Remote, new Frame { Unwatch = new Wire.Unwatch { Watchee = watchee.PathText, Watcher = SenderPath(watcher) } });
    }

    private void OnInboundWatch(RemoteAddress from, Wire.Watch watch)
    {
        var watchee = System.ResolveActorRef(LocalPath(watch.Watchee, from));
        var watcher = RemoteSender(watch.Watcher, from);
        System.WatchOnBehalf(watchee, watcher);
    }

    private void OnInboundUnwatch(Wire.Unwatch unwatch)
    {
        if (!ActorPath.TryParse(unwatch.Watchee, out var watcheePath) || !ActorPath.TryParse(unwatch.Watcher, out _)) return;
        if (watcheePath.Address.System != _address.System) return;
        var watchee = System.ResolveActorRef(watcheePath.WithAddress(_address));
        System.UnwatchOnBehalf(watchee, RefFor(unwatch.Watcher));
    }

    private void OnDeathWatchNotification(RemoteAddress from, DeathWatchNotification notification)
    {
        if (!ActorPath.TryParse(notification.Actor, out var path))
        {
            throw new RemoteProtocolException(CloseReason.ProtocolViolation, $"{from} reported the death of a non-path '{notification.Actor}'");
        }
        var key = path.ToStringWithoutAddress();
        var fromPath = path.Address is { Host: { } host, Port: { } port } ? new RemoteAddress(path.Address.System, host, port) : from;
        RemoteActorRef? dead = null;
        lock (_watchGate)
        {
            foreach (var candidate in fromPath == from ? [from] : new[] { fromPath, from })
            {
                if (_watched.TryGetValue(candidate, out var system) && system.Refs.Remove(key, out var entry))
                {
                    dead = entry.Ref;
                    if (system.Refs.Count == 0) _watched.Remove(candidate);
                    break;
                }
            }
        }
        if (dead is not null) System.NotifyTerminated(dead, notification.ExistenceConfirmed, addressTerminated: false);
    }

    private void OnHeartbeatAck(RemoteAddress from) => OnReachable(from);

    private void OnReachable(RemoteAddress remote)
    {
        lock (_watchGate)
        {
            if (_watched.TryGetValue(remote, out var system)) system.LastHeardMs = Environment.TickCount64;
        }
    }

    private void StartFailureDetector()
    {
        var interval = _transport.Settings.HeartbeatInterval;
        _heartbeatTimer = new Timer(_ => HeartbeatTick(), null, interval, interval);
    }

    private void StopFailureDetector() => _heartbeatTimer?.Dispose();

    /// <summary>Sends one heartbeat to every watched system and declares the silent ones terminated.</summary>
    private void HeartbeatTick()
    {
        var now = Environment.TickCount64;
        var unreachableAfterMs = (long)_transport.Settings.UnreachableAfter.TotalMilliseconds;
        var intervalMs = (long)_transport.Settings.HeartbeatInterval.TotalMilliseconds;
        List<(RemoteAddress Address, List<RemoteActorRef> Refs)>? gone = null;
        List<RemoteAddress> alive = [];
        lock (_watchGate)
        {
            // A tick that runs late means this process stalled (GC, starved thread pool), not that the peers did:
            // the stall is not held against them, or a busy process would declare healthy peers dead.
            var stalledMs = _lastTickMs == 0 ? 0 : now - _lastTickMs - intervalMs;
            _lastTickMs = now;
            if (stalledMs > intervalMs)
            {
                foreach (var system in _watched.Values) system.LastHeardMs += stalledMs;
            }
            foreach (var (address, system) in _watched)
            {
                if (now - system.LastHeardMs > unreachableAfterMs)
                {
                    (gone ??= []).Add((address, system.Refs.Values.Select(e => e.Ref).ToList()));
                }
                else
                {
                    alive.Add(address);
                }
            }
            if (gone is not null)
            {
                foreach (var (address, _) in gone) _watched.Remove(address);
            }
        }
        foreach (var address in alive)
        {
            _transport.TrySend(address, new Frame { Heartbeat = new Heartbeat { Sequence = Interlocked.Increment(ref _heartbeatSequence) } });
        }
        if (gone is null) return;
        foreach (var (address, refs) in gone)
        {
            _transport.Log.Log(RemoteLogLevel.Warning,
                $"{address} answered no heartbeat for unreachable-after = {_transport.Settings.UnreachableAfter}; declaring it terminated ({refs.Count} watched actors)");
            _transport.DropQueued(address);
            foreach (var actor in refs) System.NotifyTerminated(actor, existenceConfirmed: false, addressTerminated: true);
            var terminated = new AddressTerminated(Address.Tcp(address.System, address.Host, address.Port));
            System.EventStream.Publish(terminated);
            AddressTerminated?.Invoke(terminated);
        }
    }
}
