using System.CommandLine;
using System.Text.Json;

namespace AkkaRaft.Server.Cli;

/// <summary><c>akkaraft kv put|get|del|list</c>: the key/value store through a node's HTTP API.</summary>
public static class KvCliCommands
{
    /// <summary>Builds the <c>kv</c> command group.</summary>
    public static Command Create()
    {
        var kv = new Command("kv", "Read and write keys through a node's HTTP API.");
        kv.Add(Put());
        kv.Add(Get());
        kv.Add(Delete());
        kv.Add(List());
        kv.Add(CoordinationCliCommands.Watch());
        AkkaRaftCommandLine.ShowHelpWhenInvokedAlone(kv);
        return kv;
    }

    private static Command Put()
    {
        var key = new Argument<string>("key") { Description = "The key." };
        var value = new Argument<string>("value") { Description = "The value (text)." };
        var ifIndex = new Option<ulong?>("--if-index") { Description = "Write only if the key's last index is still this (compare-and-swap)." };
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("put", "Set a key.") { key, value, ifIndex, endpoints, json };
        command.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var path = "/key?forward=true";
            var body = JsonSerializer.Serialize(new Dictionary<string, string> { [result.GetValue(key)!] = result.GetValue(value)! });
            var ifMatch = result.GetValue(ifIndex) is { } index ? $"\"{index}\"" : null;
            var answer = await client.SendAsync(HttpMethod.Post, path, body, ifMatch).ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            await output.WriteLineAsync(result.GetValue(json) ? answer.Body.Trim() : $"OK (index {answer.ETag})").ConfigureAwait(false);
            return AkkaRaftCommandLine.ExitOk;
        }));
        return command;
    }

    private static Command Get()
    {
        var key = new Argument<string>("key") { Description = "The key." };
        var level = new Option<string>("--level") { Description = "Read level: stale, default or consistent.", DefaultValueFactory = _ => "default" };
        level.AcceptOnlyFromAmong("stale", "default", "consistent");
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("get", "Print a key's value.") { key, level, endpoints, json };
        command.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var k = result.GetValue(key)!;
            var answer = await client.SendAsync(HttpMethod.Get, $"/key/{Uri.EscapeDataString(k)}?level={result.GetValue(level)}&forward=true").ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                await output.WriteLineAsync(answer.Body.Trim()).ConfigureAwait(false);
            }
            else
            {
                using var document = JsonDocument.Parse(answer.Body);
                await output.WriteLineAsync(document.RootElement.GetProperty(k).GetString()).ConfigureAwait(false);
            }

            return AkkaRaftCommandLine.ExitOk;
        }));
        return command;
    }

    private static Command Delete()
    {
        var key = new Argument<string>("key") { Description = "The key." };
        var prefix = new Option<bool>("--prefix") { Description = "Delete every key that starts with KEY (delete tree)." };
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("del", "Delete a key (or, with --prefix, every key under a prefix).") { key, prefix, endpoints, json };
        command.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var k = result.GetValue(key)!;
            var tree = result.GetValue(prefix);
            var path = tree ? $"/keys?prefix={Uri.EscapeDataString(k)}&forward=true" : $"/key/{Uri.EscapeDataString(k)}?forward=true";
            var answer = await client.SendAsync(HttpMethod.Delete, path).ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                await output.WriteLineAsync(answer.Body.Trim()).ConfigureAwait(false);
            }
            else
            {
                using var document = JsonDocument.Parse(answer.Body);
                await output.WriteLineAsync(tree ? $"deleted {document.RootElement.GetProperty("deleted").GetUInt64()} keys" : $"deleted {k}").ConfigureAwait(false);
            }

            return AkkaRaftCommandLine.ExitOk;
        }));
        return command;
    }

    private static Command List()
    {
        var prefix = new Argument<string>("prefix") { Description = "List keys that start with this (all keys when omitted).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "" };
        var level = new Option<string>("--level") { Description = "Read level: stale, default or consistent.", DefaultValueFactory = _ => "default" };
        level.AcceptOnlyFromAmong("stale", "default", "consistent");
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("list", "List keys and values under a prefix.") { prefix, level, endpoints, json };
        command.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var answer = await client.SendAsync(HttpMethod.Get, $"/keys?prefix={Uri.EscapeDataString(result.GetValue(prefix) ?? "")}&level={result.GetValue(level)}&forward=true")
                .ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                await output.WriteLineAsync(answer.Body.Trim()).ConfigureAwait(false);
                return AkkaRaftCommandLine.ExitOk;
            }

            using var document = JsonDocument.Parse(answer.Body);
            foreach (var pair in document.RootElement.GetProperty("pairs").EnumerateArray())
            {
                await output.WriteLineAsync($"{pair.GetProperty("key").GetString()} = {pair.GetProperty("value").GetString()}").ConfigureAwait(false);
            }

            if (document.RootElement.GetProperty("truncated").GetBoolean()) await output.WriteLineAsync("(more keys follow)").ConfigureAwait(false);
            return AkkaRaftCommandLine.ExitOk;
        }));
        return command;
    }
}
