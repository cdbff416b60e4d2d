using System.Globalization;
using System.Text.Json;
using AkkaRaft.Client;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Server.Node;
using AkkaRaft.TimeSeries;

namespace AkkaRaft.Server.Http;

// The time-series API:
//   POST /series/{name}[?unit=ms]   body [[t, v], …]                    → {"appended":N,"duplicates":N,"index":I}
//   POST /series[?unit=ms]          body {"name": [[t, v], …], …}       → the same, over every series (one log entry)
//   GET  /series/{name}?from=&to=[&step=60s&agg=avg][&unit=ms][&level=] → {"name":"…","unit":"s","points":[[t, v], …]}
//   GET  /series/{name}/stats                                           → points, blocks, bytes, bytes per point
//   GET  /series?prefix=                                                → {"series":[{…stats…}, …]}
// Timestamps are Unix seconds unless ?unit=ms; a series keeps the unit of its first write, and points come back in it.
public sealed partial class HttpFrontEnd
{
    private void MapSeriesRoutes()
    {
        _app.MapPost("/series", Guard(PostManySeriesAsync));
        _app.MapPost("/series/{**name}", Guard(PostSeriesAsync));
        _app.MapGet("/series", Guard(ListSeriesAsync));
        // A name may hold '/', so one catch-all route serves both GET /series/{name} and GET /series/{name}/stats.
        _app.MapGet("/series/{**name}", Guard(GetSeriesAsync));
    }

    private async Task PostSeriesAsync(HttpContext context)
    {
        var name = SeriesNameOf(context);
        var unit = UnitOf(context);
        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        var points = ParseSeriesBody(body, name);
        CheckPointCount(points.Count, name);
        await AppendAsync(context, TsCommands.Append(name, points, unit)).ConfigureAwait(false);
    }

    private async Task PostManySeriesAsync(HttpContext context)
    {
        var unit = UnitOf(context);
        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        var series = ParseManySeriesBody(body);
        await AppendAsync(context, TsCommands.AppendMany(series, unit)).ConfigureAwait(false);
    }

    private async Task AppendAsync(HttpContext context, byte[] command)
    {
        var outcome = await ProposeAsync(context, command).ConfigureAwait(false);
        if (outcome is null) return;
        var result = TsResult.Decode(outcome.Response);
        if (!await AnswerSeriesFailureAsync(context, result).ConfigureAwait(false)) return;
        await WriteJsonAsync(context, 200, new Dictionary<string, object>
        {
            ["appended"] = result.Appended,
            ["duplicates"] = result.Duplicates,
            ["created"] = result.CreatedSeries,
            ["index"] = outcome.Index,
        }).ConfigureAwait(false);
    }

    private async Task GetSeriesAsync(HttpContext context)
    {
        var raw = Uri.UnescapeDataString(context.Request.RouteValues["name"] as string ?? "");
        if (raw.EndsWith("/stats", StringComparison.Ordinal) && raw.Length > "/stats".Length)
        {
            var statsName = raw[..^"/stats".Length];
            CheckSeriesName(statsName);
            var answer = await QuerySeriesAsync(context, TsQueries.Stats(statsName)).ConfigureAwait(false);
            if (answer is null) return;
            await WriteJsonAsync(context, 200, StatsJson(answer.Stats!)).ConfigureAwait(false);
            return;
        }

        CheckSeriesName(raw);
        var unit = UnitOf(context);
        var from = LongParameter(context, "from");
        var to = LongParameter(context, "to");
        var step = StepOf(context, unit);
        var aggregate = AggregateOf(context);
        if (step > 0 && aggregate == TsAggregateKind.None) throw new BadRequestException(400, "step needs agg (avg, min, max, sum, count, first or last)");
        if (step == 0 && aggregate != TsAggregateKind.None) throw new BadRequestException(400, "agg needs step (such as step=60s)");
        var range = await QuerySeriesAsync(context, TsQueries.Range(raw, from, to, step, aggregate, unit)).ConfigureAwait(false);
        if (range is null) return;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(PointsJson(raw, range)).ConfigureAwait(false);
    }

    private async Task ListSeriesAsync(HttpContext context)
    {
        var prefix = context.Request.Query["prefix"].ToString();
        if (TimeSeriesSettings().CheckName(prefix, out var problem, prefix: true) is var status && status != TsStatus.Ok)
        {
            throw new BadRequestException(status == TsStatus.NameTooLong ? 413 : 400, problem);
        }

        var answer = await QuerySeriesAsync(context, TsQueries.List(prefix)).ConfigureAwait(false);
        if (answer is null) return;
        await WriteJsonAsync(context, 200, new Dictionary<string, object> { ["series"] = answer.Series.Select(StatsJson).ToList() }).ConfigureAwait(false);
    }

    private async Task<TsResult?> QuerySeriesAsync(HttpContext context, byte[] query)
    {
        var response = await AskQueryAsync(context, query).ConfigureAwait(false);
        if (response is null) return null;
        var result = TsResult.Decode(response.Response);
        return await AnswerSeriesFailureAsync(context, result).ConfigureAwait(false) ? result : null;
    }

    /// <summary>Writes the problem of a failed time-series result; true when it is Ok and the caller answers.</summary>
    private static async Task<bool> AnswerSeriesFailureAsync(HttpContext context, TsResult result)
    {
        if (result.IsOk) return true;
        var status = result.Status switch
        {
            TsStatus.NotFound => 404,
            TsStatus.NameTooLong or TsStatus.TooManyPoints => 413,
            TsStatus.OutOfWindow or TsStatus.UnitMismatch or TsStatus.TooManySeries => 409,
            TsStatus.TooManyResults => 422,
            _ => 400,
        };
        var extensions = new Dictionary<string, object>();
        if (result.FailedSeries is { } series) extensions["series"] = series;
        if (result.Status == TsStatus.OutOfWindow) extensions["oldestAccepted"] = result.OldestAccepted;
        await Problems.WriteAsync(context, status, result.Message.Length > 0 ? result.Message : result.Status.ToString(), null, extensions).ConfigureAwait(false);
        return false;
    }

    private static Dictionary<string, object> StatsJson(TsSeriesStats stats) => new()
    {
        ["name"] = stats.Name,
        ["unit"] = stats.Unit == TimeUnit.Milliseconds ? "ms" : "s",
        ["points"] = stats.Points,
        ["blocks"] = stats.SealedBlocks + (stats.OpenPoints > 0 ? 1ul : 0ul),
        ["sealedBlocks"] = stats.SealedBlocks,
        ["openPoints"] = stats.OpenPoints,
        ["bytes"] = stats.Bytes,
        ["bytesPerPoint"] = Math.Round(stats.BytesPerPoint, 4),
        ["first"] = stats.First,
        ["last"] = stats.Last,
    };

    /// <summary>{"name":…,"unit":…,"points":[[t, v], …]} written point by point; a value JSON cannot hold (NaN, ±Inf) is a string, as Prometheus writes values.</summary>
    private static string PointsJson(string name, TsResult result)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = HttpJson.Options.Encoder }))
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("unit", result.Unit == TimeUnit.Milliseconds ? "ms" : "s");
            json.WriteStartArray("points");
            foreach (var p in result.Points)
            {
                json.WriteStartArray();
                json.WriteNumberValue(p.Timestamp);
                if (double.IsFinite(p.Value)) json.WriteNumberValue(p.Value);
                else json.WriteStringValue(p.Value.ToString(CultureInfo.InvariantCulture));
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private TimeSeriesSettings TimeSeriesSettings() => _node.TimeSeriesSettings;

    private string SeriesNameOf(HttpContext context)
    {
        var name = Uri.UnescapeDataString(context.Request.RouteValues["name"] as string ?? "");
        CheckSeriesName(name);
        return name;
    }

    private void CheckSeriesName(string name)
    {
        if (TimeSeriesSettings().CheckName(name, out var problem) is var status && status != TsStatus.Ok)
        {
            throw new BadRequestException(status == TsStatus.NameTooLong ? 413 : 400, problem);
        }
    }

    private void CheckPointCount(int count, string series)
    {
        var max = TimeSeriesSettings().MaxPointsPerCommand;
        if (count > max)
        {
            throw new BadRequestException(413, $"the body holds more than {max} points (akkaraft.time-series.max-points-per-command); the limit is passed in series '{ClientText.Shown(series)}'. Nothing was written.");
        }
    }

    private static TimeUnit UnitOf(HttpContext context)
    {
        var text = context.Request.Query["unit"].ToString();
        return text.ToLowerInvariant() switch
        {
            "" or "s" or "seconds" => TimeUnit.Seconds,
            "ms" or "milliseconds" => TimeUnit.Milliseconds,
            _ => throw new BadRequestException(400, $"unit must be s or ms, got '{text}'"),
        };
    }

    private static long? LongParameter(HttpContext context, string name)
    {
        var text = context.Request.Query[name].ToString();
        if (text.Length == 0) return null;
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new BadRequestException(400, $"{name} must be an integer timestamp (Unix seconds, or milliseconds with unit=ms), got '{text}'");
    }

    /// <summary>step=60s, 5m, 1h, 1d, 500ms, or a bare integer in the request's unit; 0 when absent.</summary>
    private static long StepOf(HttpContext context, TimeUnit unit)
    {
        var text = context.Request.Query["step"].ToString().Trim();
        if (text.Length == 0) return 0;
        var digits = text.TakeWhile(char.IsAsciiDigit).Count();
        if (digits == 0 || !long.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount == 0)
        {
            throw new BadRequestException(400, $"step must be a positive duration such as 60s, 5m, 1h or 500ms, got '{text}'");
        }

        long? millis = text[digits..] switch
        {
            "" => null,
            "ms" => amount,
            "s" => amount * 1000,
            "m" => amount * 60_000,
            "h" => amount * 3_600_000,
            "d" => amount * 86_400_000,
            _ => throw new BadRequestException(400, $"step must be a positive duration such as 60s, 5m, 1h or 500ms, got '{text}'"),
        };
        if (millis is null) return amount;
        if (unit == TimeUnit.Milliseconds) return millis.Value;
        return millis.Value % 1000 == 0 ? millis.Value / 1000 : throw new BadRequestException(400, $"step {text} is not a whole number of seconds; use unit=ms for finer steps");
    }

    private static TsAggregateKind AggregateOf(HttpContext context)
    {
        var text = context.Request.Query["agg"].ToString();
        return text.ToLowerInvariant() switch
        {
            "" => TsAggregateKind.None,
            "avg" or "mean" => TsAggregateKind.Avg,
            "min" => TsAggregateKind.Min,
            "max" => TsAggregateKind.Max,
            "sum" => TsAggregateKind.Sum,
            "count" => TsAggregateKind.Count,
            "first" => TsAggregateKind.First,
            "last" => TsAggregateKind.Last,
            _ => throw new BadRequestException(400, $"agg must be avg, min, max, sum, count, first or last, got '{text}'"),
        };
    }
}
