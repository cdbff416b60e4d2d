using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace AkkaRaft.Server.Cli;

/// <summary>
/// <c>akkaraft kv watch KEY</c> (wait for one change) and <c>akkaraft lock NAME -- COMMAND</c> (run a command while holding
/// a lock), through a node's HTTP API.
/// </summary>
public static class CoordinationCliCommands
{
    /// <summary><c>kv watch KEY [--prefix] [--index N] [--timeout 30s]</c>: prints what fired; exit 1 when nothing did in time.</summary>
    public static Command Watch()
    {
        var key = new Argument<string>("key") { Description = "The key (or, with --prefix, the prefix)." };
        var prefix = new Option<bool>("--prefix") { Description = "Watch every key that starts with KEY." };
        var index = new Option<ulong?>("--index") { Description = "Fire on the first change after this log index (a read's ETag); from now when omitted." };
        var timeout = new Option<string>("--timeout") { Description = "How long to wait for a change (such as 30s, 2m).", DefaultValueFactory = _ => "30s" };
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("watch", "Wait for the next change of a key (or of any key under a prefix), once.") { key, prefix, index, timeout, endpoints, json };
        command.SetAction((result, _) =>
        {
            var wait = Duration(result.GetValue(timeout)!);
            return ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
            {
                if (wait is null) return await BadAsync(error, $"--timeout must be a duration such as 30s or 2m, got '{result.GetValue(timeout)}'").ConfigureAwait(false);
                var query = $"?forward=true&timeout={Millis(wait.Value)}ms" + (result.GetValue(prefix) ? "&prefix=true" : "")
                            + (result.GetValue(index) is { } after ? $"&index={after}" : "");
                var answer = await client.SendAsync(HttpMethod.Get, $"/watch/{Uri.EscapeDataString(result.GetValue(key)!)}{query}").ConfigureAwait(false);
                if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
                if (result.GetValue(json))
                {
                    await output.WriteLineAsync(answer.Body.Trim()).ConfigureAwait(false);
                    return AkkaRaftCommandLine.ExitOk;
                }

                using var document = JsonDocument.Parse(answer.Body);
                var reason = document.RootElement.GetProperty("reason").GetString();
                await output.WriteLineAsync(reason == "data_changed"
                    ? $"data_changed {document.RootElement.GetProperty("key").GetString()} at index {document.RootElement.GetProperty("index").GetUInt64()} ({document.RootElement.GetProperty("event").GetString()})"
                    : reason).ConfigureAwait(false);
                return AkkaRaftCommandLine.ExitOk;
            }, wait + TimeSpan.FromSeconds(15));
        });
        return command;
    }

    /// <summary>
    /// <c>session list [--limit N] [--json]</c>: the leader's open sessions (ttl, time left), held locks (holder, fencing
    /// token, waiters) and the watches waiting on it, from <c>GET /sessions</c>.
    /// </summary>
    public static Command Session()
    {
        var limit = new Option<int?>("--limit") { Description = "Most entries of each kind to list (at most akkaraft.sessions.max-listed)." };
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var list = new Command("list", "List the open sessions, held locks and waiting watches, as the leader knows them.") { limit, endpoints, json };
        list.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var query = "?forward=true" + (result.GetValue(limit) is { } most ? $"&limit={most.ToString(CultureInfo.InvariantCulture)}" : "");
            var answer = await client.SendAsync(HttpMethod.Get, "/sessions" + query).ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                await output.WriteLineAsync(answer.Body.Trim()).ConfigureAwait(false);
                return AkkaRaftCommandLine.ExitOk;
            }

            using var document = JsonDocument.Parse(answer.Body);
            var root = document.RootElement;
            await output.WriteLineAsync($"sessions: {root.GetProperty("sessionCount").GetInt32()} open").ConfigureAwait(false);
            foreach (var s in root.GetProperty("sessions").EnumerateArray())
            {
                var left = s.GetProperty("expiresInMs") is { ValueKind: JsonValueKind.Number } ms
                    ? (ms.GetInt64() / 1000.0).ToString("F1", CultureInfo.InvariantCulture) + "s"
                    : "not known yet";
                await output.WriteLineAsync($"  {s.GetProperty("id").GetString()}  ttl {s.GetProperty("ttl").GetString()}  expires in {left}").ConfigureAwait(false);
            }

            await output.WriteLineAsync($"locks: {root.GetProperty("lockCount").GetInt32()} held").ConfigureAwait(false);
            foreach (var l in root.GetProperty("locks").EnumerateArray())
            {
                var waiters = l.GetProperty("waiters").EnumerateArray().Select(w => w.GetString()).ToList();
                await output.WriteLineAsync($"  {l.GetProperty("name").GetString()}  holder {l.GetProperty("holder").GetString()}  token {l.GetProperty("fencingToken").GetUInt64()}"
                    + $"  waiters {(waiters.Count == 0 ? "none" : string.Join(",", waiters))}").ConfigureAwait(false);
            }

            await output.WriteLineAsync($"watches: {root.GetProperty("watchCount").GetInt32()} waiting").ConfigureAwait(false);
            foreach (var w in root.GetProperty("watches").EnumerateArray())
            {
                var session = w.GetProperty("session") is { ValueKind: JsonValueKind.String } id ? id.GetString() : "none";
                await output.WriteLineAsync($"  {w.GetProperty("id").GetInt64()}  {(w.GetProperty("prefix").GetBoolean() ? "prefix" : "key")} {w.GetProperty("key").GetString()}"
                    + $"  session {session}  after {w.GetProperty("afterIndex").GetUInt64()}").ConfigureAwait(false);
            }

            return AkkaRaftCommandLine.ExitOk;
        }));
        var command = new Command("session", "Inspect client sessions, their locks and watches.");
        command.Add(list);
        return command;
    }

    /// <summary>
    /// <c>lock NAME [--ttl 10s] [--wait 1h] -- COMMAND [ARGS]</c>: opens a session, keeps it alive, acquires the lock, runs
    /// the command (with <c>AKKARAFT_LOCK_TOKEN</c>, the fencing token, and <c>AKKARAFT_SESSION</c> in its environment),
    /// releases the lock and closes the session. Exits with the command's exit code; 1 when the lock was not acquired,
    /// or was lost (the session ended: the command is killed).
    /// </summary>
    public static Command Lock()
    {
        var name = new Argument<string>("name") { Description = "The lock's name." };
        var commandLine = new Argument<string[]>("command") { Description = "The command to run while the lock is held (after --).", Arity = ArgumentArity.OneOrMore };
        var ttl = new Option<string>("--ttl") { Description = "The session's time to live; it is kept alive every third of it.", DefaultValueFactory = _ => "10s" };
        var wait = new Option<string>("--wait") { Description = "How long to wait for the lock.", DefaultValueFactory = _ => "1h" };
        var endpoints = ApiClient.EndpointsOption();
        var command = new Command("lock", "Run a command while holding a lock (its session is kept alive until the command ends).") { name, commandLine, ttl, wait, endpoints };
        command.SetAction((result, cancellation) =>
        {
            var ttlValue = Duration(result.GetValue(ttl)!);
            var waitValue = Duration(result.GetValue(wait)!);
            return ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
            {
                if (ttlValue is null || waitValue is null) return await BadAsync(error, "--ttl and --wait must be durations such as 10s or 2m").ConfigureAwait(false);
                return await HoldAndRunAsync(client, result.GetValue(name)!, result.GetValue(commandLine)!, ttlValue.Value, waitValue.Value, output, error, cancellation).ConfigureAwait(false);
            }, waitValue + TimeSpan.FromSeconds(30));
        });
        return command;
    }

    private static async Task<int> HoldAndRunAsync(ApiClient client, string name, string[] commandLine, TimeSpan ttl, TimeSpan wait, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var opened = await client.SendAsync(HttpMethod.Post, "/session?forward=true", $"{{\"ttl\":\"{Millis(ttl)}ms\"}}", cancellationToken: cancellation).ConfigureAwait(false);
        if (!opened.Ok) return await ApiClient.FailAsync(error, opened).ConfigureAwait(false);
        string session;
        using (var document = JsonDocument.Parse(opened.Body)) session = document.RootElement.GetProperty("id").GetString()!;

        using var running = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Process? child = null;
        var lost = false;
        var keeper = Task.Run(async () =>
        {
            while (!running.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(ttl / 3, running.Token).ConfigureAwait(false);
                    var kept = await client.SendAsync(HttpMethod.Put, $"/session/{session}?forward=true", cancellationToken: running.Token).ConfigureAwait(false);
                    if (kept.Status != HttpStatusCode.NotFound) continue;
                    // The session ended, and the lock with it: the command must not go on as if it held it.
                    lost = true;
                    await error.WriteLineAsync($"akkaraft: session {session} ended; lock '{name}' is lost, stopping the command").ConfigureAwait(false);
                    try
                    {
                        child?.Kill(entireProcessTree: true);
                    }
                    catch (InvalidOperationException)
                    {
                    }

                    return;
                }
                catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
                {
                    // Stopped, or no node answered this time: the next round tries again within the TTL.
                }
            }
        }, CancellationToken.None);

        try
        {
            var acquired = await client.SendAsync(HttpMethod.Post, $"/lock/{Uri.EscapeDataString(name)}?session={session}&wait={Millis(wait)}ms&forward=true", cancellationToken: cancellation)
                .ConfigureAwait(false);
            if (!acquired.Ok) return await ApiClient.FailAsync(error, acquired).ConfigureAwait(false);
            string token;
            using (var document = JsonDocument.Parse(acquired.Body)) token = document.RootElement.GetProperty("fencingToken").GetUInt64().ToString(CultureInfo.InvariantCulture);
            await error.WriteLineAsync($"akkaraft: holding lock '{name}' (fencing token {token}, session {session})").ConfigureAwait(false);

            var start = new ProcessStartInfo(commandLine[0]) { UseShellExecute = false };
            foreach (var argument in commandLine.Skip(1)) start.ArgumentList.Add(argument);
            start.Environment["AKKARAFT_LOCK_TOKEN"] = token;
            start.Environment["AKKARAFT_SESSION"] = session;
            child = Process.Start(start) ?? throw new InvalidOperationException($"'{commandLine[0]}' did not start");
            await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            return lost ? ApiClient.ExitFailed : child.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            await error.WriteLineAsync($"akkaraft: cannot run '{commandLine[0]}': {e.Message}").ConfigureAwait(false);
            return ApiClient.ExitFailed;
        }
        finally
        {
            await running.CancelAsync().ConfigureAwait(false);
            await keeper.ConfigureAwait(false);
            child?.Dispose();
            // Release, then end the session (which would release the lock too, through the log).
            await TryAsync(() => client.SendAsync(HttpMethod.Delete, $"/lock/{Uri.EscapeDataString(name)}?session={session}&forward=true")).ConfigureAwait(false);
            await TryAsync(() => client.SendAsync(HttpMethod.Delete, $"/session/{session}?forward=true")).ConfigureAwait(false);
        }
    }

    private static async Task TryAsync(Func<Task<ApiClient.Answer>> send)
    {
        try
        {
            await send().ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            // The session's TTL ends it anyway, and the lock with it.
        }
    }

    private static async Task<int> BadAsync(TextWriter error, string message)
    {
        await error.WriteLineAsync($"akkaraft: {message}").ConfigureAwait(false);
        return AkkaRaftCommandLine.ExitBadInput;
    }

    private static long Millis(TimeSpan duration) => (long)duration.TotalMilliseconds;

    /// <summary>A duration with a unit (ms, s, m, h), or null.</summary>
    private static TimeSpan? Duration(string text)
    {
        var s = text.Trim();
        var end = 0;
        while (end < s.Length && char.IsAsciiDigit(s[end])) end++;
        if (end == 0 || !long.TryParse(s[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var number)) return null;
        return s[end..] switch
        {
            "ms" => TimeSpan.FromMilliseconds(number),
            "s" => TimeSpan.FromSeconds(number),
            "m" => TimeSpan.FromMinutes(number),
            "h" => TimeSpan.FromHours(number),
            _ => null,
        };
    }
}
