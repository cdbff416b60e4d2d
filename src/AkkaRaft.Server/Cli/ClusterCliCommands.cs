using System.CommandLine;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Server.Cli;

/// <summary><c>akkaraft cluster status|join|remove|set-voters|transfer-leader</c> through a node's HTTP API.</summary>
public static class ClusterCliCommands
{
    /// <summary>Builds the <c>cluster</c> command group.</summary>
    public static Command Create()
    {
        var cluster = new Command("cluster", "Inspect and change the cluster's membership and leadership.");
        cluster.Add(Status());
        cluster.Add(Join());
        cluster.Add(Remove());
        cluster.Add(SetVoters());
        cluster.Add(Transfer());
        AkkaRaftCommandLine.ShowHelpWhenInvokedAlone(cluster);
        return cluster;
    }

    private static Command Status()
    {
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("status", "Print the node's view: role, term, leader, indexes, members.") { endpoints, json };
        command.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var answer = await client.SendAsync(HttpMethod.Get, "/status").ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            await output.WriteAsync(result.GetValue(json) ? answer.Body : Describe(answer.Body)).ConfigureAwait(false);
            return AkkaRaftCommandLine.ExitOk;
        }));
        return command;
    }

    /// <summary>The human form of a /status answer.</summary>
    internal static string Describe(string statusJson)
    {
        using var document = JsonDocument.Parse(statusJson);
        var root = document.RootElement;
        var text = new StringBuilder();
        text.Append($"node {root.GetProperty("id").GetString()}: {root.GetProperty("role").GetString()}, term {root.GetProperty("term").GetUInt64()}, ");
        text.Append($"leader {(root.GetProperty("leader").ValueKind == JsonValueKind.Null ? "(none)" : root.GetProperty("leader").GetString())}\n");
        text.Append($"commit index {root.GetProperty("commitIndex").GetUInt64()}, applied index {root.GetProperty("appliedIndex").GetUInt64()}, ");
        text.Append($"journal {root.GetProperty("journalBytes").GetInt64()} bytes, last snapshot at {root.GetProperty("lastSnapshot").GetProperty("index").GetUInt64()}\n");
        var progressFrom = root.TryGetProperty("progressFrom", out var from) && from.ValueKind == JsonValueKind.String ? from.GetString() : null;
        text.Append(progressFrom is null ? "members (match indexes unknown: no leader answered):\n" : $"members (match indexes as leader {progressFrom} sees them):\n");
        foreach (var member in root.GetProperty("members").EnumerateArray())
        {
            string Field(string name) => !member.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? "?" : value.ToString();
            text.Append($"  {Field("id"),-16} {Field("role"),-9} match {Field("matchIndex"),-8} lag {Field("lag"),-6} raft {Field("raftAddress"),-22} http {Field("httpAddress")}\n");
        }

        return text.ToString();
    }

    private static Command Join()
    {
        var id = new Argument<string>("id") { Description = "The new node's id." };
        var raft = new Argument<string>("raft-address") { Description = "The new node's Raft address, host:port." };
        var http = new Option<string?>("--http") { Description = "The new node's HTTP address, host:port (for redirects to it when it leads)." };
        var learner = new Option<bool>("--learner") { Description = "Keep it a learner (it receives the log but never votes) instead of promoting it to voter once caught up." };
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("join", "Add a node: a learner first, made a voter once caught up unless --learner (the node itself does this when started with --join).")
        {
            id, raft, http, learner, endpoints, json,
        };
        command.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var body = JsonSerializer.Serialize(new { id = result.GetValue(id), addr = result.GetValue(raft), http = result.GetValue(http), learner = result.GetValue(learner) });
            var answer = await client.SendAsync(HttpMethod.Post, "/join", body).ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            using var document = JsonDocument.Parse(answer.Body);
            var role = document.RootElement.TryGetProperty("role", out var r) ? r.GetString() : "voter";
            await output.WriteLineAsync(result.GetValue(json) ? answer.Body.Trim() : $"{result.GetValue(id)} is a {role}").ConfigureAwait(false);
            return AkkaRaftCommandLine.ExitOk;
        }));
        return command;
    }

    private static Command Remove()
    {
        var id = new Argument<string>("id") { Description = "The node to remove." };
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("remove", "Remove a node from the cluster's configuration.") { id, endpoints, json };
        command.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var answer = await client.SendAsync(HttpMethod.Delete, $"/join/{Uri.EscapeDataString(result.GetValue(id)!)}").ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            await output.WriteLineAsync(result.GetValue(json) ? answer.Body.Trim() : $"{result.GetValue(id)} removed").ConfigureAwait(false);
            return AkkaRaftCommandLine.ExitOk;
        }));
        return command;
    }

    private static Command SetVoters()
    {
        var voters = new Argument<string[]>("id") { Description = "The voters the cluster is to have, by node id.", Arity = ArgumentArity.OneOrMore };
        var learners = new Option<string[]>("--learners") { Description = "The learners it is to have (none when omitted); every other member is removed.", AllowMultipleArgumentsPerToken = true };
        var expect = new Option<string[]>("--expect") { Description = "Change only if the voters now are exactly these.", AllowMultipleArgumentsPerToken = true };
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("set-voters", "Move the cluster to exactly these voters (and --learners) in one change; answers once the final configuration committed.")
        {
            voters, learners, expect, endpoints, json,
        };
        command.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var expected = result.GetValue(expect);
            var body = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["voters"] = result.GetValue(voters) ?? [],
                ["learners"] = result.GetValue(learners) ?? [],
                ["expect"] = expected is { Length: > 0 } ? new Dictionary<string, object> { ["voters"] = expected } : null!,
            }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value));
            var answer = await client.SendAsync(HttpMethod.Post, "/config", body).ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            using var document = JsonDocument.Parse(answer.Body);
            var root = document.RootElement;
            string Names(string field) => string.Join(" ", root.GetProperty(field).EnumerateArray().Select(e => e.GetString()));
            await output.WriteLineAsync(result.GetValue(json)
                ? answer.Body.Trim()
                : $"voters {Names("voters")}; learners {(root.GetProperty("learners").GetArrayLength() == 0 ? "(none)" : Names("learners"))} (committed at index {root.GetProperty("index").GetUInt64()})").ConfigureAwait(false);
            return AkkaRaftCommandLine.ExitOk;
        }));
        return command;
    }

    private static Command Transfer()
    {
        var id = new Argument<string?>("id") { Description = "The voter to hand leadership to (any other voter when omitted).", Arity = ArgumentArity.ZeroOrOne };
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("transfer-leader", "Ask the leader to hand leadership to another voter.") { id, endpoints, json };
        command.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var target = result.GetValue(id);
            var answer = await client.SendAsync(HttpMethod.Post, "/leader", target is null ? "{}" : JsonSerializer.Serialize(new { id = target })).ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            using var document = JsonDocument.Parse(answer.Body);
            await output.WriteLineAsync(result.GetValue(json) ? answer.Body.Trim() : $"transferring leadership to {document.RootElement.GetProperty("transferringTo").GetString()}")
                .ConfigureAwait(false);
            return AkkaRaftCommandLine.ExitOk;
        }));
        return command;
    }
}
