using Akka.Actor;
using Akka.Actor.Setup;
using Xunit.Abstractions;
using AkkaTestKit = Akka.TestKit.Xunit2.TestKit;

namespace AkkaRaft.Raft.Tests.Persistence;

/// <summary>
/// An Akka.TestKit system whose persistence is what <see cref="AkkaRaft.Raft.Persistence.RaftPersistence.AkkaConfig"/>
/// ships, on a database of the test's own; with an <see cref="SqlObserver"/> when the test reads what the plugins do.
/// </summary>
public abstract class SqlPersistenceTestKit : AkkaTestKit
{
    /// <summary>A system with the shipped configuration alone.</summary>
    protected SqlPersistenceTestKit(TestStorage storage, ITestOutputHelper output)
        : base(storage.AkkaConfig, "persistence", output)
    {
        Storage = storage;
    }

    /// <summary>A system with the shipped configuration whose connections <paramref name="observer"/> watches.</summary>
    protected SqlPersistenceTestKit(TestStorage storage, SqlObserver observer, ITestOutputHelper output)
        : base(Observed(storage, observer), "persistence", output)
    {
        Storage = storage;
        Observer = observer;
    }

    /// <summary>This test's database.</summary>
    protected TestStorage Storage { get; }

    /// <summary>What the plugins' connections did, when the system was made with an observer.</summary>
    protected SqlObserver? Observer { get; }

    /// <summary>The default journal (the Akka.Persistence.Sql journal).</summary>
    protected IActorRef Journal => Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);

    /// <summary>The default snapshot store (the Akka.Persistence.Sql snapshot store).</summary>
    protected IActorRef SnapshotStore => Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Storage.Dispose();
        }
    }

    private static ActorSystemSetup Observed(TestStorage storage, SqlObserver observer) =>
        BootstrapSetup.Create().WithConfig(storage.AkkaConfig).And(observer.Setup(storage));
}
