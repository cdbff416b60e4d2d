using AkkaRaft.Actors;
using AkkaRaft.Persistence.Snapshots;
using AkkaRaft.Persistence.Tests.Protos;
using Google.Protobuf.WellKnownTypes;

namespace AkkaRaft.Persistence.Tests.Actors;

/// <summary>
/// The persistent actor of the tests: a balance rebuilt from <see cref="Deposited"/> events, with an Int64Value
/// snapshot. Commands are plain records (never persisted); lifecycle facts go to <c>probe</c>.
/// </summary>
internal sealed class Account : ReceivePersistentActor
{
    private readonly string _id;
    private readonly IActorRef _probe;
    private readonly string? _journalPluginId;
    private readonly List<string> _log = new();
    private long _balance;

    public Account(string id, IActorRef probe, string? journalPluginId = null)
    {
        _id = id;
        _probe = probe;
        _journalPluginId = journalPluginId;

        Recover<SnapshotOffer>(offer =>
        {
            _balance = ((Int64Value)offer.Snapshot).Value;
            _log.Add($"snapshot@{offer.Metadata.SequenceNr}");
        });
        Recover<Deposited>(e =>
        {
            _balance += e.Amount;
            _log.Add($"replay@{LastSequenceNr}:{IsRecovering}");
        });
        Recover<RecoveryCompleted>(_ => _probe.Tell(new Recovered(_balance, LastSequenceNr, IsRecovering, _log.ToArray())));

        Command<Deposit>(d => Persist(new Deposited { Account = _id, Amount = d.Amount }, e =>
        {
            _balance += e.Amount;
            Sender.Tell(new Acked(_balance, LastSequenceNr));
        }));
        Command<DepositMany>(d => PersistAll(d.Amounts.Select(a => new Deposited { Account = _id, Amount = a }), e =>
        {
            _balance += e.Amount;
            Sender.Tell(new Acked(_balance, LastSequenceNr));
        }));
        Command<DepositNested>(_ =>
        {
            Persist(new Deposited { Account = _id, Amount = 1 }, e =>
            {
                _balance += e.Amount;
                Sender.Tell("outer-1");
                Persist(new Deposited { Account = _id, Amount = 10 }, inner =>
                {
                    _balance += inner.Amount;
                    Sender.Tell("inner-1");
                });
            });
            Persist(new Deposited { Account = _id, Amount = 2 }, e =>
            {
                _balance += e.Amount;
                Sender.Tell("outer-2");
                Persist(new Deposited { Account = _id, Amount = 20 }, inner =>
                {
                    _balance += inner.Amount;
                    Sender.Tell("inner-2");
                });
            });
            Defer("deferred", d => Sender.Tell(d));
        });
        Command<DepositAsync>(d => PersistAsync(new Deposited { Account = _id, Amount = d.Amount }, e =>
        {
            _balance += e.Amount;
            Sender.Tell(new Acked(_balance, LastSequenceNr));
        }));
        Command<DepositManyAsync>(d => PersistAllAsync(d.Amounts.Select(a => new Deposited { Account = _id, Amount = a }), e =>
        {
            _balance += e.Amount;
            Sender.Tell(new Acked(_balance, LastSequenceNr));
        }));
        Command<DeferReply>(d => DeferAsync(d.Text, text => Sender.Tell(text)));
        Command<DepositUnserializable>(_ => Persist(new Uri("http://not-serializable"), _ => Sender.Tell("unserializable handled")));
        Command<GetBalance>(_ => Sender.Tell(new Balance(_balance, LastSequenceNr, IsRecovering)));
        Command<TakeSnapshot>(_ => SaveSnapshot(new Int64Value { Value = _balance }));
        Command<DeleteEventsUpTo>(d => DeleteMessages(d.SequenceNr));
        Command<DeleteSnapshotsUpTo>(d => DeleteSnapshots(new SnapshotSelectionCriteria(d.SequenceNr)));
        Command<SaveSnapshotSuccess>(s => _probe.Tell(s));
        Command<SaveSnapshotFailure>(s => _probe.Tell(s));
        Command<DeleteMessagesSuccess>(s => _probe.Tell(s));
        Command<DeleteMessagesFailure>(s => _probe.Tell(s));
        Command<DeleteSnapshotsSuccess>(s => _probe.Tell(s));
        Command<DeleteSnapshotsFailure>(s => _probe.Tell(s));
    }

    public override string PersistenceId => _id;

    public override string? JournalPluginId => _journalPluginId;

    public override string? SnapshotPluginId => _journalPluginId;

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _probe.Tell(new PersistFailed(cause, sequenceNr));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _probe.Tell(new PersistRejected(cause, sequenceNr));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception cause, object? @event)
    {
        _probe.Tell(new RecoveryFailed(cause));
        base.OnRecoveryFailure(cause, @event);
    }

    public static Props Props(string id, IActorRef probe, string? journalPluginId = null) =>
        AkkaRaft.Actors.Props.Create(() => new Account(id, probe, journalPluginId));
}

internal sealed record Deposit(long Amount);

internal sealed record DepositMany(long[] Amounts);

internal sealed record DepositNested;

internal sealed record DepositAsync(long Amount);

internal sealed record DepositManyAsync(long[] Amounts);

internal sealed record DeferReply(string Text);

internal sealed record DepositUnserializable;

internal sealed record GetBalance;

internal sealed record TakeSnapshot;

internal sealed record DeleteEventsUpTo(long SequenceNr);

internal sealed record DeleteSnapshotsUpTo(long SequenceNr);

internal sealed record Acked(long Balance, long SequenceNr);

internal sealed record Balance(long Amount, long LastSequenceNr, bool IsRecovering);

internal sealed record Recovered(long Balance, long LastSequenceNr, bool IsRecovering, string[] Log);

internal sealed record PersistFailed(Exception Cause, long SequenceNr);

internal sealed record PersistRejected(Exception Cause, long SequenceNr);

internal sealed record RecoveryFailed(Exception Cause);
