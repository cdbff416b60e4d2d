using System.CommandLine;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using AkkaRaft.Configuration;
using AkkaRaft.Raft.Core;
using AkkaRaft.Server.Grpc;
using AkkaRaft.Server.Http;
using AkkaRaft.Server.Node;
using AkkaRaft.Server.Security;

namespace AkkaRaft.Server.Cli;

/// <summary>
/// <c>akkaraft serve</c> (also <c>akkaraft</c> alone): runs a node until SIGTERM or Ctrl+C. Options override the
/// configuration (reference.conf &lt; --config file &lt; AKKARAFT__* environment &lt; options); raftdb's spellings
/// <c>-id -haddr -raddr -join</c> and a positional data directory work too.
/// </summary>
public static class ServeCommand
{
    /// <summary>Exit code of a node that could not start (an address in use, an unreadable data directory).</summary>
    public const int ExitStartFailed = 1;

    /// <summary>The options of serve, made fresh for each command that carries them.</summary>
    private sealed class ServeOptions
    {
        public Option<string?> Id { get; } = new("--id", "-id") { Description = "This node's id, unique in its cluster (akkaraft.node.id).", HelpName = "id" };
        public Option<string?> Http { get; } = new("--http", "-haddr") { Description = "host:port of the HTTP API (akkaraft.http.address).", HelpName = "host:port" };
        public Option<string?> Grpc { get; } = new("--grpc", "-gaddr") { Description = "host:port of the gRPC API, TLS with akkaraft.http.tls, h2c otherwise (akkaraft.grpc.address; \"\" turns it off).", HelpName = "host:port" };
        public Option<string?> Raft { get; } = new("--raft", "-raddr") { Description = "host:port of the Raft peer (akkaraft.node.raft-address).", HelpName = "host:port" };
        public Option<string?> Data { get; } = new("--data", "-data") { Description = "Data directory: journal and snapshots (akkaraft.node.data-dir).", HelpName = "dir" };
        public Option<string?> Config { get; } = new("--config", "-config") { Description = "A HOCON file with your settings, over reference.conf.", HelpName = "path" };
        public Option<string?> Join { get; } = new("--join", "-join") { Description = "HTTP address of any running member to join through (akkaraft.node.join).", HelpName = "host:port" };
        public Option<bool> Learner { get; } = new("--learner") { Description = "With --join: stay a learner, never promoted to voter (akkaraft.node.learner)." };
        public Option<string?> Peers { get; } = new("--peers", "-peers") { Description = "Static founding members: id=raft-host:port,... (akkaraft.node.peers).", HelpName = "list" };
        public Option<string[]> Set { get; } = new("--set", "-s") { Description = "Override any setting: --set akkaraft.raft.election-timeout=1s (repeatable).", HelpName = "path=value", Arity = ArgumentArity.ZeroOrMore };
        public Argument<string?> DataArgument { get; } = new("data-dir") { Description = "The data directory, as raftdb takes it (same as --data).", Arity = ArgumentArity.ZeroOrOne };

        public void AddTo(Command command, bool positionalDataDir)
        {
            command.Add(Id);
            command.Add(Http);
            command.Add(Grpc);
            command.Add(Raft);
            command.Add(Data);
            command.Add(Config);
            command.Add(Join);
            command.Add(Learner);
            command.Add(Peers);
            command.Add(Set);
            if (positionalDataDir) command.Add(DataArgument);
        }

        /// <summary>The overrides the options stand for, HOCON path → HOCON value.</summary>
        public Dictionary<string, string> Overrides(ParseResult result)
        {
            var overrides = new Dictionary<string, string>(ConfigCommands.ParseOverrides(result.GetValue(Set) ?? []), StringComparer.Ordinal);
            void Put(string path, string? value)
            {
                if (value is not null) overrides[path] = JsonSerializer.Serialize(value);
            }

            Put(NodeSettings.SectionPath + ".id", result.GetValue(Id));
            Put(NodeSettings.SectionPath + ".data-dir", (result.CommandResult.Command.Arguments.Contains(DataArgument) ? result.GetValue(DataArgument) : null) ?? result.GetValue(Data));
            Put(ServerSettings.HttpSectionPath + ".address", result.GetValue(Http));
            Put(ServerSettings.GrpcSectionPath + ".address", result.GetValue(Grpc));
            Put(NodeSettings.SectionPath + ".raft-address", result.GetValue(Raft));
            Put(NodeSettings.SectionPath + ".join", result.GetValue(Join));
            if (result.GetValue(Learner)) overrides[NodeSettings.SectionPath + ".learner"] = "on";
            Put(NodeSettings.SectionPath + ".peers", result.GetValue(Peers));
            return overrides;
        }
    }

    /// <summary>The configuration a parsed serve command line stands for (reference.conf, --config file, environment, options).</summary>
    /// <exception cref="ConfigException">A source is malformed or a setting unknown.</exception>
    public static Config LoadConfig(ParseResult result, IDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(result);
        var command = result.CommandResult.Command;
        var options = OptionsOf.TryGetValue(command, out var found) ? found : throw new ArgumentException($"'{command.Name}' is not a serve command", nameof(result));
        return AkkaRaftConfig.Load(result.GetValue(options.Config), environment, options.Overrides(result));
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Command, ServeOptions> OptionsOf = new();

    /// <summary>Builds <c>serve</c>.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var serve = new Command("serve", "Run a node: HTTP API, Raft peer, journal under the data directory. Stops on SIGTERM or Ctrl+C.");
        Configure(serve, environment, positionalDataDir: true);
        return serve;
    }

    /// <summary>
    /// Gives <paramref name="command"/> the serve options and action (the root command runs a node too, but without
    /// the positional data directory, so that a mistyped command is reported rather than taken for a directory).
    /// </summary>
    public static void Configure(Command command, CliEnvironment environment, bool positionalDataDir)
    {
        var options = new ServeOptions();
        options.AddTo(command, positionalDataDir);
        OptionsOf.AddOrUpdate(command, options);
        command.SetAction(async (parseResult, _) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            Config config;
            try
            {
                config = LoadConfig(parseResult, environment.Variables);
                ConfigCommands.Validate(config);
            }
            catch (ConfigException e)
            {
                await error.WriteLineAsync($"akkaraft: {e.Message}").ConfigureAwait(false);
                return AkkaRaftCommandLine.ExitBadInput;
            }

            using var stop = new CancellationTokenSource();
            // A handler already dispatched when the node finishes stopping may run after the source is disposed: the
            // node is stopping anyway, so a late second signal is ignored rather than crashing the process (exit 134).
            void Stop(PosixSignalContext c)
            {
                c.Cancel = true;
                try
                {
                    stop.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // Already stopped.
                }
            }

            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            return await RunAsync(config, output, error, stop.Token).ConfigureAwait(false);
        });
    }

    /// <summary>Runs a node with <paramref name="config"/> until <paramref name="stop"/> fires; returns the exit code.</summary>
    public static async Task<int> RunAsync(Config config, TextWriter output, TextWriter error, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(config);
        AkkaRaftNode node;
        try
        {
            node = await AkkaRaftNode.StartAsync(config, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"akkaraft: the node could not start: {e.Message}").ConfigureAwait(false);
            return ExitStartFailed;
        }

        HttpFrontEnd http;
        try
        {
            http = await HttpFrontEnd.StartAsync(node, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            await error.WriteLineAsync($"akkaraft: the HTTP API could not listen on {node.Settings.HttpAddress}: {e.Message}").ConfigureAwait(false);
            await node.DisposeAsync().ConfigureAwait(false);
            return ExitStartFailed;
        }

        GrpcFrontEnd? grpc;
        try
        {
            grpc = await GrpcFrontEnd.StartAsync(node, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            await error.WriteLineAsync($"akkaraft: the gRPC API could not listen on {node.Settings.Grpc.Address}: {e.Message}").ConfigureAwait(false);
            await http.DisposeAsync().ConfigureAwait(false);
            await node.DisposeAsync().ConfigureAwait(false);
            return ExitStartFailed;
        }

        var security = node.Settings.Security;
        var grpcText = grpc is null ? "gRPC off" : security.Tls is null ? $"gRPC h2c://{grpc.Address}" : $"gRPC https://{grpc.Address}";
        // Counts only: a token never reaches the output.
        var tokensText = security.Tokens.Enabled ? $"tokens: {security.Tokens.Describe()}" : "tokens: none, anonymous requests accepted";
        // The Raft port and the snapshot port speak TLS together (akkaraft.remote.tls).
        var raftText = node.Snapshots is { Encrypted: true } ? $"Raft {node.RaftAddress} (TLS)" : $"Raft {node.RaftAddress}";
        await output.WriteLineAsync(
            $"akkaraft: node {node.Id} listening: HTTP {ClientPorts.Url(security, http.Address.ToString())}  {grpcText}  {raftText}  data {node.Settings.Node.DataDirectoryFullPath}  {tokensText}").ConfigureAwait(false);
        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        var raftSettings = AkkaRaft.Raft.Peer.RaftPeerSettings.FromConfig(config);
        // The fault harness's deliberate bugs: say so where nobody can miss them.
        if (raftSettings.UnsafeStaleConsistentReads)
        {
            await error.WriteLineAsync("akkaraft: WARNING: akkaraft.raft.unsafe-stale-consistent-reads is on: consistent reads are served from local state and may be stale (for the fault harness only)").ConfigureAwait(false);
        }

        if (raftSettings.UnsafeAckBeforeFsync)
        {
            await error.WriteLineAsync("akkaraft: WARNING: akkaraft.raft.unsafe-ack-before-fsync is on: this follower acknowledges entries before they are durable, and acknowledged writes may be lost (for the fault harness only)").ConfigureAwait(false);
        }

        var join = node.Settings.Join.Length > 0 ? JoinAsync(node, http, output, error, stop) : Task.CompletedTask;
        await WatchLeaderAsync(node, output, stop).ConfigureAwait(false);
        await join.ConfigureAwait(false);

        await output.WriteLineAsync($"akkaraft: node {node.Id} stopping").ConfigureAwait(false);
        if (grpc is not null) await grpc.DisposeAsync().ConfigureAwait(false);
        await http.DisposeAsync().ConfigureAwait(false);
        await node.DisposeAsync().ConfigureAwait(false);
        await output.WriteLineAsync($"akkaraft: node {node.Id} stopped").ConfigureAwait(false);
        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return AkkaRaftCommandLine.ExitOk;
    }

    /// <summary>Prints who leads whenever it changes, until <paramref name="stop"/>.</summary>
    private static async Task WatchLeaderAsync(AkkaRaftNode node, TextWriter output, CancellationToken stop)
    {
        string? lastText = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var status = await node.StatusAsync(stop).ConfigureAwait(false);
                var text = status.Leader == RaftIds.None ? "no leader yet"
                    : status.Leader == node.RaftId ? $"this node ({node.Id}) leads, term {status.Term}"
                    : $"leader is {node.Directory.Find(status.Leader)?.Id ?? status.Leader.ToString(System.Globalization.CultureInfo.InvariantCulture)}, term {status.Term}";
                if (text != lastText)
                {
                    lastText = text;
                    await output.WriteLineAsync($"akkaraft: {text}").ConfigureAwait(false);
                    await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }

                await Task.Delay(100, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Akka.Actor.AskTimeoutException)
            {
                // A busy peer: ask again.
            }
        }
    }

    /// <summary>Asks the member at --join to add this node, until it is accepted or the node stops.</summary>
    private static async Task JoinAsync(AkkaRaftNode node, HttpFrontEnd http, TextWriter output, TextWriter error, CancellationToken stop)
    {
        var security = node.Settings.Security;
        var target = node.Settings.Join.Contains("://", StringComparison.Ordinal) ? node.Settings.Join : ClientPorts.Url(security, node.Settings.Join);
        using var client = ClientPorts.MemberClient(security, node.Settings.RequestTimeout * 3);
        var request = new { id = node.Id, addr = node.RaftAddress.ToString(), http = http.Address.ToString(), learner = node.Settings.Learner, grpc = node.GrpcAddress?.ToString() };
        string? lastProblem = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, $"{target.TrimEnd('/')}/join") { Content = JsonContent.Create(request) };
                // Joining needs role admin on the member asked: this node's own token (akkaraft.http.auth.node-token-path).
                ClientPorts.AddNodeToken(message, security);
                using var response = await client.SendAsync(message, stop).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(stop).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    using var document = JsonDocument.Parse(body);
                    foreach (var member in document.RootElement.GetProperty("members").EnumerateArray())
                    {
                        if (Member.TryParse(System.Text.Encoding.UTF8.GetBytes(member.GetRawText())) is { } m) node.Directory.Upsert(m);
                    }

                    var role = document.RootElement.TryGetProperty("role", out var r) ? r.GetString() : "voter";
                    await output.WriteLineAsync($"akkaraft: joined the cluster through {node.Settings.Join} as a {role}").ConfigureAwait(false);
                    return;
                }

                lastProblem = $"{(int)response.StatusCode} {body.Trim()}";
                if (response.StatusCode is System.Net.HttpStatusCode.BadRequest or System.Net.HttpStatusCode.Conflict
                    or System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
                {
                    // Refused for good (an invalid request, --learner for a node that is a voter, or a node token missing or
                    // without role admin): asking again changes nothing.
                    await error.WriteLineAsync($"akkaraft: joining through {node.Settings.Join} was refused ({lastProblem}); not retrying").ConfigureAwait(false);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
            {
                if (stop.IsCancellationRequested) return;
                lastProblem = e.Message;
            }

            await error.WriteLineAsync($"akkaraft: joining through {node.Settings.Join} failed ({lastProblem}); retrying").ConfigureAwait(false);
            try
            {
                await Task.Delay(node.Settings.JoinRetryInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
