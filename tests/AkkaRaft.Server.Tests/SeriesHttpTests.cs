using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Server.Tests;

/// <summary>One single-node cluster with small time-series limits, shared by <see cref="SeriesHttpTests"/>.</summary>
public sealed class SeriesNodeFixture() : NodeFixture("series", new Dictionary<string, string>
{
    ["akkaraft.time-series.block-window-seconds"] = "60",
    ["akkaraft.time-series.max-points-per-command"] = "100",
    ["akkaraft.time-series.max-series-name-bytes"] = "40",
});

/// <summary>The time-series HTTP API of one node: writes, range and downsampled reads, list, stats, and the problems.</summary>
public sealed class SeriesHttpTests(SeriesNodeFixture fixture) : IClassFixture<SeriesNodeFixture>
{
    private readonly HttpClient _client = fixture.Client;

    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}"[..(name.Length + 13)];

    private Task<HttpResponseMessage> PostAsync(string path, string body) =>
        _client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailPart)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonAsync(response);
        Assert.Contains(detailPart, problem.GetProperty("detail").GetString());
        return problem;
    }

    [Fact]
    public async Task Points_posted_to_a_series_are_read_back_as_trr_puts_and_gets_them()
    {
        var name = Unique("t1");
        var post = await PostAsync($"/series/{name}", "[[1427162400, 10], [1427162462, 12], [1427162524, 14]]");
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(3, (await JsonAsync(post)).GetProperty("appended").GetInt32());

        var get = await _client.GetAsync($"/series/{name}?from=1427162400&to=1427162525");

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal($"{{\"name\":\"{name}\",\"unit\":\"s\",\"points\":[[1427162400,10],[1427162462,12],[1427162524,14]]}}", (await get.Content.ReadAsStringAsync()).Trim());
    }

    [Theory]
    [InlineData("stale")]
    [InlineData("default")]
    [InlineData("consistent")]
    public async Task Every_read_level_sees_an_acknowledged_write(string level)
    {
        var name = Unique("lv");
        (await PostAsync($"/series/{name}", "[[100, 1.5]]")).EnsureSuccessStatusCode();

        var get = await JsonAsync(await _client.GetAsync($"/series/{name}?level={level}"));

        Assert.Equal(1.5, get.GetProperty("points")[0][1].GetDouble());
    }

    [Fact]
    public async Task Many_series_in_one_body_are_one_write_and_downsample_with_step_and_agg()
    {
        var a = Unique("a");
        var b = Unique("b");
        var post = await PostAsync("/series", $"{{\"{a}\": [[0, 1], [30, 3], [60, 5], [90, 7]], \"{b}\": [[0, 2]]}}");
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(5, (await JsonAsync(post)).GetProperty("appended").GetInt32());

        var avg = await JsonAsync(await _client.GetAsync($"/series/{a}?from=0&to=120&step=1m&agg=avg"));
        var count = await JsonAsync(await _client.GetAsync($"/series/{a}?step=60s&agg=count"));

        Assert.Equal("[[0,2],[60,6]]", avg.GetProperty("points").GetRawText());
        Assert.Equal("[[0,2],[60,2]]", count.GetProperty("points").GetRawText());
        Assert.Equal("[[0,2]]", (await JsonAsync(await _client.GetAsync($"/series/{b}"))).GetProperty("points").GetRawText());
    }

    [Fact]
    public async Task Milliseconds_are_taken_with_unit_ms()
    {
        var name = Unique("ms");
        (await PostAsync($"/series/{name}?unit=ms", "[[1700000000123, 1], [1700000000456, 2]]")).EnsureSuccessStatusCode();

        var get = await JsonAsync(await _client.GetAsync($"/series/{name}?unit=ms&from=1700000000200"));

        Assert.Equal("ms", get.GetProperty("unit").GetString());
        Assert.Equal("[[1700000000456,2]]", get.GetProperty("points").GetRawText());
    }

    [Fact]
    public async Task Series_are_listed_by_prefix_and_their_stats_show_blocks_and_bytes()
    {
        var prefix = Unique("host");
        (await PostAsync("/series", $"{{\"{prefix}/cpu\": [[0, 1], [61, 2], [122, 3]], \"{prefix}/mem\": [[0, 1]]}}")).EnsureSuccessStatusCode();

        var list = await JsonAsync(await _client.GetAsync($"/series?prefix={prefix}/"));
        var stats = await JsonAsync(await _client.GetAsync($"/series/{prefix}/cpu/stats"));

        Assert.Equal([$"{prefix}/cpu", $"{prefix}/mem"], list.GetProperty("series").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(3, stats.GetProperty("points").GetInt32());
        Assert.Equal(2, stats.GetProperty("sealedBlocks").GetInt32());
        Assert.Equal(3, stats.GetProperty("blocks").GetInt32());
        Assert.True(stats.GetProperty("bytes").GetInt32() > 0);
        Assert.True(stats.GetProperty("bytesPerPoint").GetDouble() > 0);
    }

    [Fact]
    public async Task A_point_older_than_the_open_block_is_a_409_naming_the_series_and_the_oldest_time_accepted()
    {
        var name = Unique("old");
        (await PostAsync($"/series/{name}", "[[100, 1], [130, 2]]")).EnsureSuccessStatusCode();

        var late = await PostAsync($"/series/{name}", "[[119, 9], [140, 3]]");

        var problem = await ProblemAsync(late, HttpStatusCode.Conflict, $"'{name}'");
        Assert.Equal(120, problem.GetProperty("oldestAccepted").GetInt64());
        Assert.Equal(name, problem.GetProperty("series").GetString());
        Assert.Equal("[[100,1],[130,2]]", (await JsonAsync(await _client.GetAsync($"/series/{name}"))).GetProperty("points").GetRawText());
    }

    [Fact]
    public async Task An_unknown_series_is_a_404()
    {
        await ProblemAsync(await _client.GetAsync($"/series/{Unique("none")}"), HttpStatusCode.NotFound, "does not exist");
        await ProblemAsync(await _client.GetAsync($"/series/{Unique("none")}/stats"), HttpStatusCode.NotFound, "does not exist");
    }

    [Fact]
    public async Task Too_many_points_or_too_long_a_name_is_a_413_and_writes_nothing()
    {
        var name = Unique("big");
        var points = string.Join(",", Enumerable.Range(0, 101).Select(i => $"[{i}, 1]"));

        await ProblemAsync(await PostAsync($"/series/{name}", $"[{points}]"), HttpStatusCode.RequestEntityTooLarge, "max-points-per-command");
        await ProblemAsync(await PostAsync($"/series/{new string('x', 41)}", "[[1, 1]]"), HttpStatusCode.RequestEntityTooLarge, "max-series-name-bytes");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/series/{name}")).StatusCode);
    }

    [Theory]
    [InlineData("{\"a\": 1}", "JSON array of [t, v] pairs")]
    [InlineData("[[1]]", "must be a [t, v] pair")]
    [InlineData("[[1.5, 2]]", "must be an integer")]
    [InlineData("[[1, \"x\"]]", "must be a number")]
    [InlineData("[[1, 2]", "not valid JSON")]
    [InlineData("[[\"1\", 2]]", "must be an integer")]
    [InlineData("[[1, 2, 3]]", "must be a [t, v] pair")]
    [InlineData("[[1.5]]", "must be a [t, v] pair")]
    [InlineData("[[1, [2]]]", "got [2]")]
    [InlineData("[]", "has no points")]
    [InlineData("[[1, 2]] [[3, 4]]", "not valid JSON")]
    [InlineData("[[1.5, 2], [3, 4}", "not valid JSON")]
    [InlineData("", "not valid JSON")]
    public async Task A_malformed_body_is_a_400(string body, string detail)
    {
        await ProblemAsync(await PostAsync($"/series/{Unique("bad")}", body), HttpStatusCode.BadRequest, detail);
    }

    [Theory]
    [InlineData("[[0, 1]]", "JSON object of series")]
    [InlineData("{}", "names no series")]
    [InlineData("{\"a\": [[0, 1]], \"b\": [[\"x\", 1]]}", "the timestamp of point 1 of series 'b' must be an integer")]
    [InlineData("{\"a\": [[0, 1]], \"b\": [[\"x\", 1]]", "not valid JSON")]
    public async Task A_malformed_many_series_body_is_a_400_and_writes_nothing(string body, string detail)
    {
        await ProblemAsync(await PostAsync("/series", body), HttpStatusCode.BadRequest, detail);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/series/a")).StatusCode);
    }

    [Theory]
    [InlineData("step=60s", "step needs agg")]
    [InlineData("step=1x&agg=avg", "step must be a positive duration")]
    [InlineData("step=60s&agg=median", "agg must be")]
    [InlineData("from=yesterday", "from must be an integer")]
    public async Task A_bad_query_is_a_400(string query, string detail)
    {
        await ProblemAsync(await _client.GetAsync($"/series/whatever?{query}"), HttpStatusCode.BadRequest, detail);
    }

    [Fact]
    public async Task Keys_and_series_live_side_by_side_in_one_log()
    {
        var name = Unique("side");
        var key = await PostAsync("/key", $"{{\"{name}\": \"v\"}}");
        var series = await PostAsync($"/series/{name}", "[[1, 1]]");

        var keyIndex = (await JsonAsync(key)).GetProperty("index").GetProperty(name).GetUInt64();
        var seriesIndex = (await JsonAsync(series)).GetProperty("index").GetUInt64();
        Assert.True(seriesIndex > keyIndex, "the series write should follow the key write in the same log");
        Assert.Equal("v", (await JsonAsync(await _client.GetAsync($"/key/{name}"))).GetProperty(name).GetString());
        Assert.Equal("[[1,1]]", (await JsonAsync(await _client.GetAsync($"/series/{name}"))).GetProperty("points").GetRawText());
    }
}
