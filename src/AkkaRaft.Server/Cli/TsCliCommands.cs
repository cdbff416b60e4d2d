using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace AkkaRaft.Server.Cli;

/// <summary><c>akkaraft ts put|get|list</c>: the time-series store through a node's HTTP API.</summary>
public static class TsCliCommands
{
    /// <summary>Builds the <c>ts</c> command group.</summary>
    public static Command Create()
    {
        var ts = new Command("ts", "Write and read time series through a node's HTTP API.");
        ts.Add(Put());
        ts.Add(Get());
        ts.Add(List());
        AkkaRaftCommandLine.ShowHelpWhenInvokedAlone(ts);
        return ts;
    }

    private static Option<bool> MillisecondsOption() => new("--ms") { Description = "Timestamps are Unix milliseconds (default: Unix seconds)." };

    private static Command Put()
    {
        var name = new Argument<string>("name") { Description = "The series." };
        var time = new Argument<long>("t") { Description = "The timestamp: Unix seconds (or milliseconds with --ms)." };
        var value = new Argument<double>("v") { Description = "The value." };
        var ms = MillisecondsOption();
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("put", "Append one point to a series (trr's PutTimeData).") { name, time, value, ms, endpoints, json };
        command.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var body = JsonSerializer.Serialize(new object[] { new object[] { result.GetValue(time), result.GetValue(value) } });
            var unit = result.GetValue(ms) ? "&unit=ms" : "";
            var answer = await client.SendAsync(HttpMethod.Post, $"/series/{Uri.EscapeDataString(result.GetValue(name)!)}?forward=true{unit}", body).ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            using var document = JsonDocument.Parse(answer.Body);
            await output.WriteLineAsync(result.GetValue(json)
                ? answer.Body.Trim()
                : document.RootElement.GetProperty("duplicates").GetUInt64() > 0
                    ? $"OK, already stored (index {document.RootElement.GetProperty("index").GetUInt64()})"
                    : $"OK (index {document.RootElement.GetProperty("index").GetUInt64()})").ConfigureAwait(false);
            return AkkaRaftCommandLine.ExitOk;
        }));
        return command;
    }

    private static Command Get()
    {
        var name = new Argument<string>("name") { Description = "The series." };
        var from = new Option<long?>("--from") { Description = "First timestamp included (Unix seconds, or ms with --ms)." };
        var to = new Option<long?>("--to") { Description = "First timestamp excluded." };
        var step = new Option<string?>("--step") { Description = "Downsample into buckets of this width: 60s, 5m, 1h, 500ms." };
        var agg = new Option<string?>("--agg") { Description = "Aggregate of each bucket: avg, min, max, sum, count, first, last." };
        agg.AcceptOnlyFromAmong("avg", "min", "max", "sum", "count", "first", "last");
        var level = new Option<string>("--level") { Description = "Read level: stale, default or consistent.", DefaultValueFactory = _ => "default" };
        level.AcceptOnlyFromAmong("stale", "default", "consistent");
        var ms = MillisecondsOption();
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("get", "Print a series' points in [--from, --to), raw or downsampled with --step and --agg.") { name, from, to, step, agg, level, ms, endpoints, json };
        command.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var query = new List<string> { "forward=true", $"level={result.GetValue(level)}" };
            if (result.GetValue(from) is { } f) query.Add($"from={f.ToString(CultureInfo.InvariantCulture)}");
            if (result.GetValue(to) is { } t) query.Add($"to={t.ToString(CultureInfo.InvariantCulture)}");
            if (result.GetValue(step) is { } s) query.Add($"step={Uri.EscapeDataString(s)}");
            if (result.GetValue(agg) is { } a) query.Add($"agg={a}");
            if (result.GetValue(ms)) query.Add("unit=ms");
            var answer = await client.SendAsync(HttpMethod.Get, $"/series/{Uri.EscapeDataString(result.GetValue(name)!)}?{string.Join('&', query)}").ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                await output.WriteLineAsync(answer.Body.Trim()).ConfigureAwait(false);
                return AkkaRaftCommandLine.ExitOk;
            }

            using var document = JsonDocument.Parse(answer.Body);
            foreach (var point in document.RootElement.GetProperty("points").EnumerateArray())
            {
                await output.WriteLineAsync($"{point[0].GetRawText()} {point[1].GetRawText().Trim('"')}").ConfigureAwait(false);
            }

            return AkkaRaftCommandLine.ExitOk;
        }));
        return command;
    }

    private static Command List()
    {
        var prefix = new Argument<string>("prefix") { Description = "List series whose names start with this (all when omitted).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "" };
        var level = new Option<string>("--level") { Description = "Read level: stale, default or consistent.", DefaultValueFactory = _ => "default" };
        level.AcceptOnlyFromAmong("stale", "default", "consistent");
        var endpoints = ApiClient.EndpointsOption();
        var json = ApiClient.JsonOption();
        var command = new Command("list", "List series under a prefix with their points, blocks and bytes per point.") { prefix, level, endpoints, json };
        command.SetAction((result, _) => ApiClient.RunAsync(result, endpoints, async (client, output, error) =>
        {
            var answer = await client.SendAsync(HttpMethod.Get, $"/series?prefix={Uri.EscapeDataString(result.GetValue(prefix) ?? "")}&level={result.GetValue(level)}&forward=true").ConfigureAwait(false);
            if (!answer.Ok) return await ApiClient.FailAsync(error, answer).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                await output.WriteLineAsync(answer.Body.Trim()).ConfigureAwait(false);
                return AkkaRaftCommandLine.ExitOk;
            }

            using var document = JsonDocument.Parse(answer.Body);
            foreach (var s in document.RootElement.GetProperty("series").EnumerateArray())
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{s.GetProperty("name").GetString()}  {s.GetProperty("points").GetUInt64()} points  {s.GetProperty("blocks").GetUInt64()} blocks  {s.GetProperty("bytesPerPoint").GetDouble():0.00} bytes/point  last {s.GetProperty("last").GetInt64()} {s.GetProperty("unit").GetString()}")).ConfigureAwait(false);
            }

            return AkkaRaftCommandLine.ExitOk;
        }));
        return command;
    }
}
