using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using AkkaRaft.Client;

namespace AkkaRaft.ClientApp;

/// <summary>
/// An Akka app of its own that uses an AkkaRaft cluster with actor messages, in one of two ways:
/// <list type="bullet">
/// <item><c>selection host:port</c>: <c>ActorSelection</c> of the member's inbox, <c>akka.tcp://akkaraft@host:port/user/raft</c>;</item>
/// <item><c>cluster-client host:port,host:port,...</c>: <c>ClusterClient</c> with those members' receptionists as
/// initial contacts, <c>ClusterClient.Send("/user/raft", message)</c>, without knowing who leads.</item>
/// </list>
/// Either way it writes a key refusing to be forwarded (<see cref="NotLeaderPolicy.Reject"/>), follows a
/// <see cref="NotLeader"/> answer to the leader it names, and reads the key back at the three read levels; then a
/// <see cref="AkkaRaft.Client.Sessions.RaftSession"/> the same way in writes an ephemeral key, closes, and the key is gone.
/// </summary>
public static class Program
{
    /// <summary>The exit code of a run that did everything it says.</summary>
    public const int ExitOk = 0;

    /// <summary>The exit code of a run that gave up (no leader in time, a wrong answer).</summary>
    public const int ExitFailed = 1;

    /// <summary>The exit code of a command line that does not parse.</summary>
    public const int ExitUsage = 2;

    private const string Usage =
        "usage: AkkaRaft.ClientApp selection <raft-host:port> | cluster-client <raft-host:port>[,<raft-host:port>...]\n" +
        "         [--key <key>] [--value <value>] [--hostname <this app's host>] [--system <server actor system name>]";

    /// <summary>Runs the client against the cluster the command line names.</summary>
    public static async Task<int> Main(string[] args)
    {
        if (!ClientOptions.TryParse(args, out var options, out var problem))
        {
            await Console.Error.WriteLineAsync($"{problem}\n{Usage}");
            return ExitUsage;
        }

        var system = ActorSystem.Create("akkaraft-client-app", AkkaConfig(options));
        try
        {
            var entry = options.Mode == ClientMode.Selection
                ? (Endpoint)new SelectionEndpoint(system, options.Addresses[0], options.SystemName)
                : new ClusterClientEndpoint(system, options.Addresses, options.SystemName);
            var session = new ClientSession(system, entry, options, Console.Out);
            await session.RunAsync();
            return ExitOk;
        }
        catch (ClientGaveUpException e)
        {
            await Console.Out.WriteLineAsync($"failed: {e.Message}");
            return ExitFailed;
        }
        finally
        {
            await Console.Out.FlushAsync();
            await system.Terminate();
        }
    }

    /// <summary>
    /// What this app's actor system needs: remoting on a port of the OS's choice, AkkaRaft.Client's serializer
    /// binding (<see cref="ClientConfig.Default"/>), and ClusterClient's and DistributedPubSub's serializers (the
    /// client wraps each message in DistributedPubSub's <c>Send</c> for the receptionist). Those defaults must be in
    /// the configuration the system starts with: Akka binds serializers only then.
    /// </summary>
    public static Config AkkaConfig(ClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ConfigurationFactory.ParseString($$"""
                akka {
                  loglevel = WARNING
                  actor.provider = remote
                  remote.dot-netty.tcp { hostname = "{{options.Hostname}}", port = 0 }
                  # ClusterClient's own messages as Akka's protobuf, not the default JSON serializer.
                  cluster.client.use-legacy-serialization = off
                }
                """)
            .WithFallback(ClientConfig.Default)
            .WithFallback(ClusterClientReceptionist.DefaultConfig())
            .WithFallback(DistributedPubSub.DefaultConfig());
    }
}

/// <summary>How the app reaches the cluster.</summary>
public enum ClientMode
{
    /// <summary>ActorSelection of one member's inbox.</summary>
    Selection,

    /// <summary>ClusterClient through the members' receptionists.</summary>
    ClusterClient,
}

/// <summary>The parsed command line.</summary>
/// <param name="Mode">How to reach the cluster.</param>
/// <param name="Addresses">Raft addresses (host:port) of the members named.</param>
/// <param name="Key">The key to write and read.</param>
/// <param name="Value">The value to write.</param>
/// <param name="Hostname">The host this app's actor system binds to and advertises (the members answer it there).</param>
/// <param name="SystemName">The servers' actor system name (<c>akkaraft.node.actor-system-name</c>).</param>
public sealed record ClientOptions(ClientMode Mode, IReadOnlyList<string> Addresses, string Key, string Value, string Hostname, string SystemName)
{
    /// <summary>Parses <paramref name="args"/>; false with the problem when they are not a valid command line.</summary>
    public static bool TryParse(string[] args, out ClientOptions options, out string problem)
    {
        options = new ClientOptions(ClientMode.Selection, [], "from-another-akka-app", "hello over actor messages", "127.0.0.1", RaftPaths.SystemName);
        problem = "";
        if (args.Length < 2)
        {
            problem = "a mode and at least one member address are needed";
            return false;
        }

        var mode = args[0] switch
        {
            "selection" => ClientMode.Selection,
            "cluster-client" => ClientMode.ClusterClient,
            _ => (ClientMode?)null,
        };
        if (mode is null)
        {
            problem = $"unknown mode '{args[0]}'";
            return false;
        }

        var addresses = args[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (addresses.Length == 0 || addresses.Any(a => a.LastIndexOf(':') <= 0))
        {
            problem = $"'{args[1]}' is not a list of host:port";
            return false;
        }

        if (mode == ClientMode.Selection && addresses.Length != 1)
        {
            problem = "selection talks to one member: give one host:port";
            return false;
        }

        options = options with { Mode = mode.Value, Addresses = addresses };
        for (var i = 2; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                problem = $"{args[i]} needs a value";
                return false;
            }

            switch (args[i])
            {
                case "--key": options = options with { Key = args[i + 1] }; break;
                case "--value": options = options with { Value = args[i + 1] }; break;
                case "--hostname": options = options with { Hostname = args[i + 1] }; break;
                case "--system": options = options with { SystemName = args[i + 1] }; break;
                default:
                    problem = $"unknown option {args[i]}";
                    return false;
            }
        }

        return true;
    }
}

/// <summary>Somewhere to send client requests to.</summary>
internal abstract class Endpoint
{
    /// <summary>What it is, for the output.</summary>
    public abstract string Description { get; }

    /// <summary>Sends <paramref name="message"/> and waits for the one answer.</summary>
    /// <exception cref="AskTimeoutException">No answer within <paramref name="timeout"/>.</exception>
    public abstract Task<object> AskAsync(object message, TimeSpan timeout);

    /// <summary>The same way in, for a <see cref="AkkaRaft.Client.Sessions.RaftSession"/>.</summary>
    public abstract AkkaRaft.Client.Sessions.RaftContacts Contacts { get; }
}

/// <summary>One member's inbox, by ActorSelection: Akka.Remote connects on the first message.</summary>
internal sealed class SelectionEndpoint(ActorSystem system, string raftAddress, string systemName) : Endpoint
{
    private readonly ActorSelection _inbox = system.ActorSelection(RaftPaths.Inbox(raftAddress, systemName));

    public override string Description { get; } = RaftPaths.Inbox(raftAddress, systemName);

    public override Task<object> AskAsync(object message, TimeSpan timeout) => _inbox.Ask(message, timeout);

    /// <summary>This member, and the others it names.</summary>
    public override AkkaRaft.Client.Sessions.RaftContacts Contacts { get; } = AkkaRaft.Client.Sessions.RaftContacts.ReadFrom(raftAddress, systemName);
}

/// <summary>
/// A ClusterClient with the members' receptionists as initial contacts: it finds a receptionist and sends each
/// message to the service <c>/user/raft</c> on some member (DistributedPubSub routes it); the answer comes back
/// through the receptionist's response tunnel.
/// </summary>
internal sealed class ClusterClientEndpoint : Endpoint
{
    private readonly IActorRef _client;
    private readonly string _contacts;

    public ClusterClientEndpoint(ActorSystem system, IReadOnlyList<string> raftAddresses, string systemName)
    {
        var contacts = raftAddresses.Select(a => ActorPath.Parse(RaftPaths.Receptionist(a, systemName))).ToImmutableHashSet();
        _contacts = string.Join(", ", contacts.Select(c => c.ToString()));
        _client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(contacts)), "raft-cluster-client");
    }

    public override string Description => $"ClusterClient to {RaftPaths.InboxServicePath} through {_contacts}";

    public override Task<object> AskAsync(object message, TimeSpan timeout) => _client.Ask(new ClusterClient.Send(RaftPaths.InboxServicePath, message), timeout);

    /// <summary>Every message through the ClusterClient, to the service <c>/user/raft</c>.</summary>
    public override AkkaRaft.Client.Sessions.RaftContacts Contacts =>
        AkkaRaft.Client.Sessions.RaftContacts.Through(_client, m => new ClusterClient.Send(RaftPaths.InboxServicePath, m, localAffinity: true), Description);
}

/// <summary>The app gave up: what it could not do, in a sentence.</summary>
internal sealed class ClientGaveUpException(string message) : Exception(message);
