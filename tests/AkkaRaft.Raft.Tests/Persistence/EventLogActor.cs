using Akka.Actor;
using Akka.Persistence;

namespace AkkaRaft.Raft.Tests.Persistence;

/// <summary>A persistent actor of the tests: persists the values it is told, tells the probe how its recovery went.</summary>
public sealed class EventLogActor : ReceivePersistentActor
{
    private readonly IActorRef _probe;
    private readonly List<string> _values = [];

    /// <summary>Creates the actor of <paramref name="persistenceId"/>, reporting to <paramref name="probe"/>.</summary>
    public EventLogActor(string persistenceId, IActorRef probe)
    {
        PersistenceId = persistenceId;
        _probe = probe;

        Recover<TestEvent>(e => _values.Add(e.Value));
        Recover<RecoveryCompleted>(_ => _probe.Tell(new Recovered([.. _values], LastSequenceNr)));

        Command<PersistAllOf>(command =>
        {
            var last = command.Values.Count;
            var handled = 0;
            PersistAll(command.Values.Select(v => new TestEvent(v)), e =>
            {
                _values.Add(e.Value);
                if (++handled == last)
                {
                    Sender.Tell(new Persisted(LastSequenceNr));
                }
            });
        });
    }

    /// <inheritdoc />
    public override string PersistenceId { get; }

    /// <summary>Props of the actor.</summary>
    public static Props Props(string persistenceId, IActorRef probe) => Akka.Actor.Props.Create(() => new EventLogActor(persistenceId, probe));

    /// <inheritdoc />
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _probe.Tell(new RecoveryFailed(reason, message, LastSequenceNr));
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>Persist these values, one event each, in one atomic write (PersistAll).</summary>
    public sealed record PersistAllOf(IReadOnlyList<string> Values);

    /// <summary>The last event of a PersistAll was persisted at this sequence number.</summary>
    public sealed record Persisted(long SequenceNr);

    /// <summary>Recovery replayed these values and ended at this sequence number.</summary>
    public sealed record Recovered(IReadOnlyList<string> Values, long LastSequenceNr);

    /// <summary>Recovery failed with this cause after replaying up to this sequence number.</summary>
    public sealed record RecoveryFailed(Exception Cause, object? Message, long LastSequenceNr);
}
