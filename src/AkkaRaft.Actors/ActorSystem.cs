using System.Collections.Concurrent;
using AkkaRaft.Actors.Dispatch;
using AkkaRaft.Actors.Simulation;

namespace AkkaRaft.Actors;

/// <summary>
/// Resolves paths of other actor systems to refs, and gives this system its public address. The remote layer registers
/// one with <see cref="ActorSystem.RegisterRemoteProvider"/>.
/// </summary>
public interface IRemoteActorRefProvider
{
    /// <summary>The address other processes reach this system at (for example <c>akkaraft.tcp://sys@10.0.0.1:2552</c>);
    /// paths with this address resolve to local actors.</summary>
    Address Address { get; }

    /// <summary>A ref for <paramref name="path"/>, whose address is not this system's; null when it cannot be reached.</summary>
    IActorRef? ResolveActorRef(ActorPath path);
}

/// <summary>
/// A hierarchy of actors sharing a dispatcher, scheduler, clock, event stream and dead-letter office. Top-level actors
/// are children of <c>/user</c>. Create with <see cref="Create(string)"/> (thread-pool dispatcher) or
/// <see cref="SimulationWorld.CreateSystem"/> (deterministic simulation).
/// </summary>
public sealed class ActorSystem : IDisposable
{
    private readonly ActorCell _root;
    private readonly ActorCell _userGuardian;
    private readonly ActorCell _systemGuardian;
    private readonly Dictionary<string, MessageDispatcher> _dispatchers = new(StringComparer.Ordinal);
    private readonly MessageDispatcher _defaultDispatcher;
    private readonly DedicatedThreadScheduler? _ownScheduler;
    private readonly TaskCompletionSource _whenTerminated;
    private readonly ConcurrentDictionary<string, IActorRef> _tempRefs = new(StringComparer.Ordinal);
    private readonly object _watchGate = new();
    private readonly Dictionary<IActorRef, List<IActorRef>> _nonLocalWatchers = [];
    private readonly object _deadLetterGate = new();
    private readonly IDisposable? _stdoutLogger;
    private IRemoteActorRefProvider? _remote;
    private long _deadLetterCount;
    private long _overflowCount;
    private long _nextUid;
    private long _nextTempId;
    private TimeSpan _deadLetterWindowStart;
    private int _deadLettersLoggedInWindow;
    private long _deadLettersSuppressed;
    private int _terminateRequested;
    private volatile bool _hasTerminated;

    private ActorSystem(string name, ActorSystemSettings settings, SimulationWorld? world)
    {
        ValidateSystemName(name);
        Name = name;
        Settings = settings.Validate();
        Simulation = world;
        Address = Address.Local(name);
        EventStream = new EventStream();
        Log = new BusLogger(this, "akkaraft://" + name);
        if (world is null)
        {
            Clock = new SystemClock();
            _ownScheduler = new DedicatedThreadScheduler(Clock, name, e => Log.Error(e, "a scheduled action threw"));
            Scheduler = _ownScheduler;
            Uid = Random.Shared.NextInt64(1, long.MaxValue);
            _whenTerminated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _defaultDispatcher = new ThreadPoolDispatcher(ActorSystemSettings.DefaultDispatcherId, settings.Throughput);
            foreach (var (id, throughput) in settings.Dispatchers) _dispatchers[id] = new ThreadPoolDispatcher(id, throughput);
        }
        else
        {
            Clock = world.Clock;
            Scheduler = world.Scheduler;
            Uid = world.NextSystemUid();
            _whenTerminated = new TaskCompletionSource();
            _defaultDispatcher = world.CreateDispatcher(ActorSystemSettings.DefaultDispatcherId, settings.SimulationThroughput);
            foreach (var id in settings.Dispatchers.Keys) _dispatchers[id] = _defaultDispatcher;
        }
        _dispatchers[ActorSystemSettings.DefaultDispatcherId] = _defaultDispatcher;
        if (settings.StdoutLogLevel != LogLevel.Off)
        {
            var threshold = settings.StdoutLogLevel;
            _stdoutLogger = EventStream.Subscribe<LogEvent>(e =>
            {
                if (e.Level >= threshold) Console.Error.WriteLine(e.ToString());
            });
        }
        var rootPath = ActorPath.Root(Address);
        DeadLetters = new DeadLetterActorRef(this, rootPath / "deadLetters");
        _root = new ActorCell(this, rootPath.WithUid(NextActorUid()), Props.Create(() => new GuardianActor(stopChildren: true)), null, _defaultDispatcher, 0);
        _root.Self.SendSystem(Dispatch.Create.Instance);
        _userGuardian = _root.AttachChild(Props.Create(() => new GuardianActor(stopChildren: false)), "user", systemService: true).Cell;
        _systemGuardian = _root.AttachChild(Props.Create(() => new GuardianActor(stopChildren: false)), "system", systemService: true).Cell;
    }

    /// <summary>Creates a system with the default settings on the thread-pool dispatcher.</summary>
    /// <exception cref="ArgumentException">The name is not a valid system name (letters, digits, '-' and '_', starting with a letter or digit).</exception>
    public static ActorSystem Create(string name) => Create(name, ActorSystemSettings.Default);

    /// <summary>Creates a system with <paramref name="settings"/> on the thread-pool dispatcher.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public static ActorSystem Create(string name, ActorSystemSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ActorSystem(name, settings, null);
    }

    /// <summary>
    /// Creates a system on the thread-pool dispatcher with the <c>akkaraft.actor</c> section of <paramref name="config"/>
    /// (the full configuration; reference.conf is the fallback for missing keys).
    /// </summary>
    /// <exception cref="AkkaRaft.Configuration.ConfigException">A setting has the wrong type or is out of range.</exception>
    public static ActorSystem Create(string name, AkkaRaft.Configuration.Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Create(name, ActorSystemSettings.FromConfig(config.GetConfig(ActorSystemSettings.SectionPath)));
    }

    internal static ActorSystem CreateSimulated(string name, ActorSystemSettings settings, SimulationWorld world) => new(name, settings, world);

    /// <summary>The name of the system.</summary>
    public string Name { get; }

    /// <summary>The settings.</summary>
    public ActorSystemSettings Settings { get; }

    /// <summary>The local address, <c>akkaraft://name</c>.</summary>
    public Address Address { get; }

    /// <summary>The address other processes reach this system at: the remote provider's, or <see cref="Address"/>.</summary>
    public Address PublicAddress => _remote?.Address ?? Address;

    /// <summary>A random id of this system's incarnation (seeded under the simulation).</summary>
    public long Uid { get; }

    /// <summary>The simulated world running this system, or null on the thread-pool dispatcher.</summary>
    public SimulationWorld? Simulation { get; }

    /// <summary>The clock (virtual under the simulation). Actors read time only from here.</summary>
    public IClock Clock { get; }

    /// <summary>The scheduler (virtual time under the simulation).</summary>
    public IScheduler Scheduler { get; }

    /// <summary>The event stream (dead letters, unhandled messages, log events).</summary>
    public EventStream EventStream { get; }

    /// <summary>The system's logger.</summary>
    public ILoggingAdapter Log { get; }

    /// <summary>The dead-letter office: messages told to it are counted, published and logged (rate-limited).</summary>
    public IActorRef DeadLetters { get; }

    /// <summary>How many messages went to dead letters (including mailbox overflows).</summary>
    public long DeadLetterCount => Interlocked.Read(ref _deadLetterCount);

    /// <summary>How many messages were dropped because a bounded mailbox was full.</summary>
    public long MailboxOverflowCount => Interlocked.Read(ref _overflowCount);

    /// <summary>Completes when the system has terminated.</summary>
    public Task WhenTerminated => _whenTerminated.Task;

    /// <summary>Creates a top-level actor (a child of <c>/user</c>).</summary>
    /// <exception cref="InvalidActorNameException">The name is invalid or taken.</exception>
    /// <exception cref="InvalidOperationException">The system is terminating.</exception>
    public IActorRef ActorOf(Props props, string? name = null) => _userGuardian.AttachChild(props, name, systemService: false);

    /// <summary>Creates an actor under <c>/system</c>, for infrastructure (the remote layer's endpoints, for example).</summary>
    public IActorRef SystemActorOf(Props props, string? name = null) => _systemGuardian.AttachChild(props, name, systemService: false);

    /// <summary>Stops <paramref name="actor"/> (asynchronously, after its current message).</summary>
    public void Stop(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor is LocalActorRef local) local.SendSystem(Dispatch.Terminate.Instance);
    }

    /// <summary>Stops every actor (children before parents) and then the system. Returns <see cref="WhenTerminated"/>.</summary>
    public Task Terminate()
    {
        if (Interlocked.Exchange(ref _terminateRequested, 1) == 0) _root.Self.SendSystem(Dispatch.Terminate.Instance);
        return WhenTerminated;
    }

    /// <summary>Terminates and, on the thread-pool dispatcher, waits up to 10 seconds for it.</summary>
    public void Dispose()
    {
        var task = Terminate();
        if (Simulation is null) task.Wait(TimeSpan.FromSeconds(10));
    }

    /// <summary>Registers the remote layer: it resolves paths of other systems and gives this one its public address.</summary>
    /// <exception cref="InvalidOperationException">A provider is already registered.</exception>
    public void RegisterRemoteProvider(IRemoteActorRefProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (Interlocked.CompareExchange(ref _remote, provider, null) is not null)
            throw new InvalidOperationException($"actor system {Name} already has a remote provider");
    }

    /// <summary>True when <paramref name="address"/> is this system's local or public address.</summary>
    public bool IsLocalAddress(Address address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.Equals(Address) || (_remote is { } r && address.Equals(r.Address));
    }

    /// <summary>Parses <paramref name="path"/> and resolves it (see <see cref="ResolveActorRef(ActorPath)"/>).</summary>
    /// <exception cref="FormatException">The text is not an actor path.</exception>
    public IActorRef ResolveActorRef(string path) => ResolveActorRef(ActorPath.Parse(path));

    /// <summary>
    /// The ref for <paramref name="path"/>. A local path resolves to the live actor (a uid in the path must match its
    /// incarnation) or to a ref whose messages go to dead letters; a path of another system goes to the registered
    /// <see cref="IRemoteActorRefProvider"/>; without one it resolves to a dead-letter ref.
    /// </summary>
    public IActorRef ResolveActorRef(ActorPath path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!IsLocalAddress(path.Address)) return _remote?.ResolveActorRef(path) ?? new EmptyLocalActorRef(this, path);
        var elements = path.Elements;
        if (elements.Count == 0) return _root.Self;
        if (elements.Count == 1 && elements[0] == "deadLetters") return DeadLetters;
        if (elements.Count == 2 && elements[0] == "temp")
            return _tempRefs.TryGetValue(elements[1], out var temp) ? temp : new EmptyLocalActorRef(this, path);
        var cell = _root;
        foreach (var name in elements)
        {
            var child = cell.ChildByName(name);
            if (child is null) return new EmptyLocalActorRef(this, path);
            cell = child.Cell;
        }
        if (path.Uid != 0 && path.Uid != cell.Self.Path.Uid) return new EmptyLocalActorRef(this, path);
        return cell.Self;
    }

    /// <summary>
    /// Delivers a message that arrived from another process to the local actor at <paramref name="recipient"/>, with
    /// <paramref name="sender"/> (usually a remote ref) as its sender. Unknown recipients give a dead letter.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="recipient"/> is not a path of this system.</exception>
    public void Deliver(ActorPath recipient, object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(message);
        if (!IsLocalAddress(recipient.Address)) throw new ArgumentException($"{recipient} is not a path of actor system {Name} ({PublicAddress})", nameof(recipient));
        ResolveActorRef(recipient).Tell(message, sender);
    }

    /// <summary>
    /// Tells the kernel that the non-local actor <paramref name="actor"/> stopped (or its node is gone): every local
    /// actor watching it receives <see cref="Terminated"/>. Called by the remote layer; a no-op for refs nobody watches.
    /// </summary>
    public void NotifyTerminated(IActorRef actor, bool existenceConfirmed = true, bool addressTerminated = false)
    {
        ArgumentNullException.ThrowIfNull(actor);
        List<IActorRef>? watchers;
        lock (_watchGate)
        {
            if (!_nonLocalWatchers.Remove(actor, out watchers)) return;
        }
        foreach (var watcher in watchers)
        {
            if (watcher is LocalActorRef local) local.SendSystem(new DeathWatchNotification(actor, existenceConfirmed, addressTerminated));
        }
    }

    /// <summary>
    /// Makes the non-local <paramref name="watcher"/> watch the local actor <paramref name="watchee"/> (an inbound
    /// remote watch). When the watchee stops, the kernel calls <c>watcher.Tell(new Terminated(watchee, ...), watchee)</c>;
    /// if it had already stopped, that happens at once.
    /// </summary>
    public void WatchOnBehalf(IActorRef watchee, IActorRef watcher)
    {
        ArgumentNullException.ThrowIfNull(watchee);
        ArgumentNullException.ThrowIfNull(watcher);
        if (watchee is LocalActorRef local) local.SendSystem(new Dispatch.Watch(local, watcher));
        else watcher.Tell(new Terminated(watchee, ExistenceConfirmed: false, AddressTerminated: false), watchee);
    }

    /// <summary>Cancels <see cref="WatchOnBehalf"/>.</summary>
    public void UnwatchOnBehalf(IActorRef watchee, IActorRef watcher)
    {
        ArgumentNullException.ThrowIfNull(watchee);
        ArgumentNullException.ThrowIfNull(watcher);
        if (watchee is LocalActorRef local) local.SendSystem(new Dispatch.Unwatch(local, watcher));
    }

    internal void WatchNonLocal(IActorRef subject, IActorRef watcher)
    {
        lock (_watchGate)
        {
            if (!_nonLocalWatchers.TryGetValue(subject, out var list)) _nonLocalWatchers[subject] = list = [];
            if (!list.Contains(watcher)) list.Add(watcher);
        }
        (subject as IWatchableActorRef)?.AddWatcher(watcher);
    }

    internal void UnwatchNonLocal(IActorRef subject, IActorRef watcher)
    {
        lock (_watchGate)
        {
            if (_nonLocalWatchers.TryGetValue(subject, out var list))
            {
                list.Remove(watcher);
                if (list.Count == 0) _nonLocalWatchers.Remove(subject);
            }
        }
        (subject as IWatchableActorRef)?.RemoveWatcher(watcher);
    }

    /// <summary>True once every actor stopped (set before <see cref="WhenTerminated"/> completes).</summary>
    internal bool HasTerminated => _hasTerminated;

    internal long NextActorUid() => Interlocked.Increment(ref _nextUid);

    internal MessageDispatcher LookupDispatcher(string? id)
    {
        if (id is null) return _defaultDispatcher;
        if (_dispatchers.TryGetValue(id, out var dispatcher)) return dispatcher;
        throw new ActorSystemConfigurationException(
            $"unknown dispatcher [{id}]; configured dispatchers: {string.Join(", ", _dispatchers.Keys.Order(StringComparer.Ordinal))} (akkaraft.actor.dispatchers)");
    }

    internal (ActorPath Path, string Name) NextTempPath()
    {
        var name = "$" + Interlocked.Increment(ref _nextTempId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return (ActorPath.Root(Address) / "temp" / name, name);
    }

    internal void RegisterTemp(string name, IActorRef actor) => _tempRefs[name] = actor;

    internal void UnregisterTemp(string name) => _tempRefs.TryRemove(name, out _);

    internal void PublishMailboxOverflow(object message, IActorRef? sender, IActorRef recipient)
    {
        Interlocked.Increment(ref _overflowCount);
        PublishDeadLetter(message, sender, recipient);
    }

    internal void PublishDeadLetter(object message, IActorRef? sender, IActorRef recipient)
    {
        if (message is DeadLetter)
        {
            // A dead-letter event that could not reach its subscriber (stopping as it was published): publishing it
            // again would reach the same subscriber, and so on without end.
            return;
        }

        var count = Interlocked.Increment(ref _deadLetterCount);
        EventStream.Publish(new DeadLetter(message, sender, recipient));
        if (Settings.DeadLetterLogMax == 0 || !Log.IsEnabled(LogLevel.Info)) return;
        long suppressed = 0;
        bool log;
        lock (_deadLetterGate)
        {
            var now = Clock.Elapsed;
            if (now - _deadLetterWindowStart >= Settings.DeadLetterLogInterval)
            {
                suppressed = _deadLettersSuppressed;
                _deadLetterWindowStart = now;
                _deadLettersLoggedInWindow = 0;
                _deadLettersSuppressed = 0;
            }
            log = _deadLettersLoggedInWindow < Settings.DeadLetterLogMax;
            if (log) _deadLettersLoggedInWindow++;
            else _deadLettersSuppressed++;
        }
        if (suppressed > 0) Log.Info("{0} dead letters were not logged in the last {1}", suppressed, Settings.DeadLetterLogInterval);
        if (log)
        {
            Log.Info("message [{0}] from {1} to {2} was not delivered; {3} dead letters so far",
                message.GetType().Name, sender?.Path.ToString() ?? "NoSender", recipient.Path, count);
        }
    }

    internal void OnRootTerminated()
    {
        _hasTerminated = true;
        _ownScheduler?.Dispose();
        _stdoutLogger?.Dispose();
        // Asks still waiting would never time out now that the scheduler is gone: fail them.
        foreach (var name in _tempRefs.Keys.Order(StringComparer.Ordinal).ToList())
        {
            if (_tempRefs.TryGetValue(name, out var temp) && temp is IPromiseRef promise)
                promise.Fail(new AskTimeoutException($"actor system {Name} terminated before {temp.Path} got a reply"));
        }
        _whenTerminated.TrySetResult();
    }

    private static void ValidateSystemName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var valid = name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]);
        foreach (var c in name) valid &= char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
        if (!valid) throw new ArgumentException($"invalid actor system name [{name}]: use ASCII letters, digits, '-' and '_', starting with a letter or digit", nameof(name));
    }

    /// <inheritdoc />
    public override string ToString() => $"ActorSystem({Name})";

    /// <summary>The root, user and system guardians. They handle no messages of their own.</summary>
    private sealed class GuardianActor(bool stopChildren) : ActorBase
    {
        protected internal override bool Receive(object message) => false;

        protected internal override SupervisorStrategy SupervisorStrategy() =>
            stopChildren ? Actors.SupervisorStrategy.StoppingStrategy : Actors.SupervisorStrategy.DefaultStrategy;
    }
}
