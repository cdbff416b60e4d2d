using System.Text;
using System.Text.Json;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Server.Http;

// The bodies of the time-series writes, read in one pass with Utf8JsonReader:
//   POST /series/{name}   [[t, v], …]
//   POST /series          {"name": [[t, v], …], …}
// A 1,000-point body is about 20 KB; building a JsonDocument of it and then walking its elements cost more than
// everything else the leader does with the batch but replicate it (BENCHMARKS.md, "Ingestion through a 3-node
// cluster"), so the points are taken straight from the reader's tokens. The answers are those of a parse-then-walk:
// a body that is not valid JSON anywhere is refused as such, even when an earlier point is also wrong.
public sealed partial class HttpFrontEnd
{
    /// <summary>The points of <c>POST /series/{name}</c>: the whole body is one <c>[[t, v], …]</c> array.</summary>
    private static List<TimePoint> ParseSeriesBody(byte[] body, string series)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            ReadToken(ref reader);
            var points = ReadPoints(ref reader, body, series);
            ReadEnd(ref reader);
            return points;
        }
        catch (BadRequestException) when (InvalidJson(body) is { } invalid)
        {
            throw invalid;
        }
    }

    /// <summary>The series of <c>POST /series</c>: a JSON object of series names and their <c>[[t, v], …]</c>.</summary>
    private List<KeyValuePair<string, IReadOnlyList<TimePoint>>> ParseManySeriesBody(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            ReadToken(ref reader);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new BadRequestException(400, "the body must be a JSON object of series and their points, such as {\"cpu\": [[1700000000, 0.5]]}");
            }

            var series = new List<KeyValuePair<string, IReadOnlyList<TimePoint>>>();
            var total = 0;
            while (ReadToken(ref reader) == JsonTokenType.PropertyName)
            {
                var name = SeriesNameOf(ref reader);
                CheckSeriesName(name);
                ReadToken(ref reader);
                var points = ReadPoints(ref reader, body, name);
                total += points.Count;
                CheckPointCount(total, name);
                series.Add(new(name, points));
            }

            ReadEnd(ref reader);
            if (series.Count == 0) throw new BadRequestException(400, "the body names no series: send a JSON object such as {\"cpu\": [[1700000000, 0.5]]}");
            return series;
        }
        catch (BadRequestException) when (InvalidJson(body) is { } invalid)
        {
            throw invalid;
        }
    }

    /// <summary>
    /// Reads <c>[[t, v], …]</c> from the reader, whose current token starts the value: t an integer, v a number.
    /// Leaves the reader on the array's end.
    /// </summary>
    private static List<TimePoint> ReadPoints(ref Utf8JsonReader reader, byte[] body, string series)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new BadRequestException(400, $"the points of series '{ClientText.Shown(series)}' must be a JSON array of [t, v] pairs, such as [[1700000000, 0.5]]; got a {KindOf(reader.TokenType)}");
        }

        var points = new List<TimePoint>();
        var i = 0;
        while (ReadToken(ref reader) != JsonTokenType.EndArray)
        {
            i++;
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new BadRequestException(400, $"point {i} of series '{ClientText.Shown(series)}' must be a [t, v] pair of two numbers");
            }

            // The pair's shape is checked before its members, as a parse-then-walk would: [1.5] is a wrong pair,
            // not a wrong timestamp. So both members are read (and remembered) before either is judged.
            var count = 0;
            var t = 0L;
            var v = 0.0;
            var tIsInteger = false;
            var vIsNumber = false;
            Range tText = default, vText = default;
            while (ReadToken(ref reader) != JsonTokenType.EndArray)
            {
                count++;
                var start = (int)reader.TokenStartIndex;
                var number = reader.TokenType == JsonTokenType.Number;
                if (count == 1) tIsInteger = number && reader.TryGetInt64(out t);
                else if (count == 2) vIsNumber = number && reader.TryGetDouble(out v);
                SkipValue(ref reader);
                var text = start..(int)reader.BytesConsumed;
                if (count == 1) tText = text;
                else if (count == 2) vText = text;
            }

            if (count != 2)
            {
                throw new BadRequestException(400, $"point {i} of series '{ClientText.Shown(series)}' must be a [t, v] pair of two numbers");
            }

            if (!tIsInteger)
            {
                throw new BadRequestException(400, $"the timestamp of point {i} of series '{ClientText.Shown(series)}' must be an integer (Unix seconds, or milliseconds with ?unit=ms), got {Encoding.UTF8.GetString(body.AsSpan(tText))}");
            }

            if (!vIsNumber)
            {
                throw new BadRequestException(400, $"the value of point {i} of series '{ClientText.Shown(series)}' must be a number, got {Encoding.UTF8.GetString(body.AsSpan(vText))}");
            }

            points.Add(new TimePoint(t, v));
        }

        if (points.Count == 0) throw new BadRequestException(400, $"series '{ClientText.Shown(series)}' has no points; send [[t, v], …]");
        return points;
    }

    /// <summary>Moves to the next token; the body ending early is invalid JSON.</summary>
    private static JsonTokenType ReadToken(ref Utf8JsonReader reader)
    {
        try
        {
            if (!reader.Read()) throw new BadRequestException(400, "the body is not valid JSON: it ends before its value does");
            return reader.TokenType;
        }
        catch (JsonException e)
        {
            throw new BadRequestException(400, $"the body is not valid JSON: {e.Message}");
        }
    }

    /// <summary>Moves past the value whose first token the reader is on (an array or object to its end).</summary>
    private static void SkipValue(ref Utf8JsonReader reader)
    {
        try
        {
            reader.Skip();
        }
        catch (JsonException e)
        {
            throw new BadRequestException(400, $"the body is not valid JSON: {e.Message}");
        }
    }

    /// <summary>After the root value only whitespace may follow.</summary>
    private static void ReadEnd(ref Utf8JsonReader reader)
    {
        try
        {
            if (reader.Read()) throw new BadRequestException(400, "the body is not valid JSON: more follows its value");
        }
        catch (JsonException e)
        {
            throw new BadRequestException(400, $"the body is not valid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// The property name the reader is on, as a series name. The reader checks the JSON grammar but not that a name is
    /// valid UTF-8 (GetString does, with InvalidOperationException): a name that is not is the client's error.
    /// </summary>
    private static string SeriesNameOf(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new BadRequestException(400, "a series name in the body is not valid UTF-8; nothing was written");
        }
    }

    /// <summary>The "not valid JSON" answer when the body is not valid JSON as a whole, else null.</summary>
    private static BadRequestException? InvalidJson(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read()) return new BadRequestException(400, "the body is not valid JSON: it is empty");
            reader.Skip();
            return reader.Read() ? new BadRequestException(400, "the body is not valid JSON: more follows its value") : null;
        }
        catch (JsonException e)
        {
            return new BadRequestException(400, $"the body is not valid JSON: {e.Message}");
        }
    }

    private static string KindOf(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => token.ToString().ToLowerInvariant(),
    };
}
