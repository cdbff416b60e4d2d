using System.Globalization;
using AkkaRaft.Actors;
using AkkaRaft.Persistence.Sql;
using AkkaRaft.Persistence.Tests.Actors;

namespace AkkaRaft.Persistence.Tests.Crash;

/// <summary>
/// The child process of the PersistentActor crash test: a node with the SQLite plugin under a data directory, and
/// several <see cref="Account"/> actors that each persist one deposit of 1 per command. After each reply (sent by the
/// persist handler, so after the journal acknowledged) it prints <c>ACK &lt;persistence id&gt; &lt;sequence number&gt;</c>.
/// </summary>
internal static class ActorCrashHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var dataDirectory = args[0];
        var writers = int.Parse(args[2], CultureInfo.InvariantCulture);
        var plugins = new PersistencePlugins(PersistenceSettings.Default, dataDirectory);
        var system = ActorSystem.Create("crash-host");
        PersistenceExtension.Register(system, plugins, PersistentActorTests.Serialization(), plugins.Settings);
        var accounts = Enumerable.Range(0, writers)
            .Select(w => system.ActorOf(Account.Props(PersistenceId(w), ActorRefs.Nobody)))
            .ToArray();
        CrashHost.Print("READY");
        await Task.WhenAll(accounts.Select((account, w) => DepositForeverAsync(account, PersistenceId(w))));
        return 0;
    }

    public static string PersistenceId(int writer) => $"actor-{writer}";

    private static async Task DepositForeverAsync(IActorRef account, string persistenceId)
    {
        while (true)
        {
            var acked = await account.Ask<Acked>(new Deposit(1), TimeSpan.FromSeconds(30));
            CrashHost.Print($"ACK {persistenceId} {acked.SequenceNr}");
        }
    }
}
