using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Remote.Transport;
using AkkaRaft.Remote.Wire;
using Google.Protobuf;

namespace AkkaRaft.Remote.Actors;

/// <summary>
/// Remoting for one actor system, the counterpart of Akka.Remote's RemoteActorRefProvider: resolves
/// <c>akkaraft.tcp://sys@host:port/user/...</c> paths to <see cref="RemoteActorRef"/>s, serializes outbound messages
/// into envelopes (serializer id + registered manifest, never a type name), delivers inbound envelopes to local actors
/// with a sender ref that replies go back through, and runs remote death watch with a heartbeat failure detector.
/// Create with <see cref="Start"/>; it registers itself with the actor system.
/// </summary>
public sealed partial class RemoteActorRefProvider : IRemoteActorRefProvider, IRemoteFrameHandler, IAsyncDisposable
{
    /// <summary>Bounds the caches of parsed paths and resolved refs (entries); cleared when exceeded.</summary>
    private const int PathCacheEntriesMax = 65_536;

    private readonly SerializationRegistry _serialization;
    private readonly ConcurrentDictionary<string, RemoteActorRef> _refsByPath = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ActorPath> _localPaths = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<IActorRef, string> _senderPaths = new();
    private readonly ConditionalWeakTable<IActorRef, string>.CreateValueCallback _senderPathOf;
    private RemoteTransport _transport = null!;
    private Address _address = null!;

    private RemoteActorRefProvider(ActorSystem system, SerializationRegistry serialization)
    {
        System = system;
        _serialization = serialization;
        _senderPathOf = actor => actor.Path.WithAddress(_address).ToSerializationFormat();
    }

    /// <summary>
    /// Starts remoting for <paramref name="system"/>: binds <c>hostname:port</c> from <paramref name="settings"/>,
    /// registers the provider with the system, and shuts down with it.
    /// </summary>
    /// <param name="system">The local actor system.</param>
    /// <param name="settings">Validated settings (see <see cref="RemoteSettings.FromConfig"/>).</param>
    /// <param name="serialization">Serializers for every message type that crosses the wire; register the same types on every system.</param>
    /// <param name="log">Where connection events go; the actor system's log when null.</param>
    /// <param name="bulkDirectory">Where snapshot files sent to this system land; null refuses them.</param>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be bound.</exception>
    /// <exception cref="InvalidOperationException">The system already has a remote provider.</exception>
    public static RemoteActorRefProvider Start(ActorSystem system, RemoteSettings settings, SerializationRegistry serialization,
        IRemoteLog? log = null, string? bulkDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(serialization);
        var provider = new RemoteActorRefProvider(system, serialization);
        provider._transport = new RemoteTransport(system.Name, settings, provider, log ?? new ActorSystemRemoteLog(system), bulkDirectory);
        provider._transport.Start();
        var bound = provider._transport.Address;
        provider._address = Address.Tcp(bound.System, bound.Host, bound.Port);
        provider.StartFailureDetector();
        system.RegisterRemoteProvider(provider);
        system.WhenTerminated.ContinueWith(_ => provider.DisposeAsync().AsTask(), TaskScheduler.Default);
        return provider;
    }

    /// <summary>
    /// Starts remoting with the settings of the <c>akkaraft.remote</c> section of <paramref name="config"/>
    /// (see <see cref="Start(ActorSystem, RemoteSettings, SerializationRegistry, IRemoteLog?, string?)"/>).
    /// </summary>
    /// <exception cref="AkkaRaft.Configuration.ConfigException">A remote setting is missing or invalid.</exception>
    public static RemoteActorRefProvider Start(ActorSystem system, AkkaRaft.Configuration.Config config, SerializationRegistry serialization,
        IRemoteLog? log = null, string? bulkDirectory = null) =>
        Start(system, RemoteSettings.FromConfig(config), serialization, log, bulkDirectory);

    /// <summary>The local actor system.</summary>
    public ActorSystem System { get; }

    /// <inheritdoc />
    public Address Address => _address;

    /// <summary>The transport underneath: counters, bulk file transfer, the bound address.</summary>
    public RemoteTransport Transport => _transport;

    /// <inheritdoc />
    public IActorRef? ResolveActorRef(ActorPath path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Address.Protocol != Address.TcpProtocol || path.Address.Host is null || path.Address.Port is null) return null;
        return RefFor(path.ToSerializationFormat(), path);
    }

    private RemoteActorRef RefFor(string pathText, ActorPath? parsed = null)
    {
        if (_refsByPath.TryGetValue(pathText, out var cached)) return cached;
        var path = parsed ?? ActorPath.Parse(pathText);
        var address = path.Address;
        var remote = new RemoteAddress(address.System, address.Host!, address.Port!.Value);
        if (_refsByPath.Count >= PathCacheEntriesMax) _refsByPath.Clear();
        return _refsByPath.GetOrAdd(pathText, new RemoteActorRef(this, path, remote));
    }

    /// <summary>Serializes and queues one message; called by <see cref="RemoteActorRef.Tell"/>.</summary>
    internal void Send(RemoteActorRef recipient, object message, IActorRef? sender)
    {
        Frame frame;
        if (message is Terminated terminated)
        {
            // The kernel tells an inbound remote watcher Terminated; on the wire that is a DeathWatchNotification.
            frame = new Frame
            {
                DeathWatchNotification = new DeathWatchNotification
                {
                    Actor = SenderPath(terminated.ActorRef), Watcher = recipient.PathText, ExistenceConfirmed = terminated.ExistenceConfirmed,
                },
            };
        }
        else
        {
            SerializedMessage serialized;
            try
            {
                serialized = _serialization.Serialize(message);
            }
            catch (SerializationException e)
            {
                _transport.Log.Log(RemoteLogLevel.Warning, $"cannot send {message.GetType().Name} to {recipient.Path}: {e.Message}");
                System.DeadLetters.Tell(new DeadLetter(message, sender, recipient), sender);
                return;
            }
            frame = new Frame
            {
                Envelope = new Envelope
                {
                    Recipient = recipient.PathText,
                    Sender = sender is null ? "" : SenderPath(sender),
                    SerializerId = serialized.SerializerId,
                    Manifest = serialized.Manifest,
                    Payload = UnsafeByteOperations.UnsafeWrap(serialized.Payload),
                },
            };
        }
        _transport.TrySend(recipient.Remote, frame);
    }

    /// <summary>The path a ref has as seen from other systems: local refs get this system's public address.</summary>
    private string SenderPath(IActorRef actor) => actor switch
    {
        RemoteActorRef remote => remote.PathText,
        _ when actor.Path.Address.Equals(_address) => actor.Path.ToSerializationFormat(),
        _ => _senderPaths.GetValue(actor, _senderPathOf),
    };

    /// <inheritdoc />
    void IRemoteFrameHandler.OnFrame(RemoteAddress from, Frame frame)
    {
        switch (frame.BodyCase)
        {
            case Frame.BodyOneofCase.Envelope:
                DeliverEnvelope(from, frame.Envelope);
                break;
            case Frame.BodyOneofCase.HeartbeatAck:
                OnHeartbeatAck(from);
                break;
            case Frame.BodyOneofCase.Watch:
                OnInboundWatch(from, frame.Watch);
                break;
            case Frame.BodyOneofCase.Unwatch:
                OnInboundUnwatch(frame.Unwatch);
                break;
            case Frame.BodyOneofCase.DeathWatchNotification:
                OnDeathWatchNotification(from, frame.DeathWatchNotification);
                break;
        }
    }

    private void DeliverEnvelope(RemoteAddress from, Envelope envelope)
    {
        var recipient = LocalPath(envelope.Recipient, from);
        object message;
        try
        {
            message = _serialization.Deserialize(envelope.SerializerId, envelope.Manifest, envelope.Payload.Span);
        }
        catch (SerializationException e)
        {
            throw new RemoteProtocolException(CloseReason.UnknownMessage, $"envelope for {envelope.Recipient} from {from}: {e.Message}", e);
        }
        var sender = envelope.Sender.Length == 0 ? null : RemoteSender(envelope.Sender, from);
        System.Deliver(recipient, message, sender);
    }

    /// <summary>Parses a recipient path sent to us and puts it under our address (peers may spell our host differently).</summary>
    private ActorPath LocalPath(string text, RemoteAddress from)
    {
        if (_localPaths.TryGetValue(text, out var cached)) return cached;
        if (!ActorPath.TryParse(text, out var path))
        {
            throw new RemoteProtocolException(CloseReason.ProtocolViolation, $"{from} sent a recipient that is not an actor path: '{Truncate(text)}'");
        }
        if (path.Address.System != _address.System)
        {
            throw new RemoteProtocolException(CloseReason.ProtocolViolation, $"{from} sent a message for system '{Truncate(path.Address.System)}' to {_address}");
        }
        var local = path.WithAddress(_address);
        if (_localPaths.Count >= PathCacheEntriesMax) _localPaths.Clear();
        _localPaths[text] = local;
        return local;
    }

    private RemoteActorRef RemoteSender(string text, RemoteAddress from)
    {
        if (_refsByPath.TryGetValue(text, out var cached)) return cached;
        if (!ActorPath.TryParse(text, out var path) || path.Address.Host is null || path.Address.Port is null)
        {
            throw new RemoteProtocolException(CloseReason.ProtocolViolation, $"{from} sent a sender that is not a remote actor path: '{Truncate(text)}'");
        }
        return RefFor(text, path);
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "...";

    /// <inheritdoc />
    void IRemoteFrameHandler.OnAssociated(RemoteAddress remote) => OnReachable(remote);

    /// <inheritdoc />
    void IRemoteFrameHandler.OnDisassociated(RemoteAddress remote)
    {
        // Nothing to do: the failure detector decides when a system is gone; the transport re-dials on demand.
    }

    /// <inheritdoc />
    void IRemoteFrameHandler.OnDeadLetter(RemoteAddress to, Frame frame, string reason)
    {
        if (frame.BodyCase != Frame.BodyOneofCase.Envelope) return;
        var envelope = frame.Envelope;
        object message;
        try
        {
            message = _serialization.Deserialize(envelope.SerializerId, envelope.Manifest, envelope.Payload.Span);
        }
        catch (SerializationException)
        {
            message = envelope;
        }
        var recipient = _refsByPath.TryGetValue(envelope.Recipient, out var r) ? (IActorRef)r : System.DeadLetters;
        var sender = envelope.Sender.Length == 0 ? null : System.ResolveActorRef(envelope.Sender);
        System.DeadLetters.Tell(new DeadLetter(message, sender, recipient), sender);
    }

    /// <summary>Stops the failure detector and the transport. Called automatically when the actor system terminates.</summary>
    public async ValueTask DisposeAsync()
    {
        StopFailureDetector();
        await _transport.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class ActorSystemRemoteLog(ActorSystem system) : IRemoteLog
    {
        public void Log(RemoteLogLevel level, string message)
        {
            if (level == RemoteLogLevel.Warning) system.Log.Warning("{0}", message);
            else system.Log.Info("{0}", message);
        }
    }
}
