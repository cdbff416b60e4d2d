using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AkkaRaft.Client;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Server.Tests;

/// <summary>The HTTP API of a single node, in-process: raftdb's key API, the libkv operations, errors, status and metrics.</summary>
public sealed class HttpApiTests(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>
{
    private readonly HttpClient _client = fixture.Client;

    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}";

    private Task<HttpResponseMessage> PostAsync(string body, string path = "/key") =>
        _client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"));

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailPart)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonAsync(response);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detailPart, problem.GetProperty("detail").GetString());
        Assert.DoesNotContain(" at AkkaRaft.", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("", "must be a JSON object")]
    [InlineData("{\"voters\": [", "not valid JSON")]
    [InlineData("[\"n1\"]", "must be a JSON object")]
    [InlineData("{\"learners\": []}", "\"voters\" is missing")]
    [InlineData("{\"voters\": []}", "at least one voter")]
    [InlineData("{\"voters\": \"n1\"}", "must be an array")]
    [InlineData("{\"voters\": [1]}", "non-empty strings")]
    [InlineData("{\"voters\": [\"a b\"]}", "letters, digits")]
    [InlineData("{\"voters\": [\"n1\", \"n1\"]}", "listed twice")]
    [InlineData("{\"voters\": [\"n1\"], \"learners\": [\"n1\"]}", "both a voter and a learner")]
    [InlineData("{\"voters\": [\"n1\"], \"expect\": [\"n1\"]}", "\"expect\" must be")]
    [InlineData("{\"voters\": [\"n1\"], \"voter\": [\"n2\"]}", "unknown field \"voter\"")]
    public async Task A_malformed_configuration_should_be_a_bad_request_that_changes_nothing(string body, string detailPart)
    {
        var before = (await JsonAsync(await _client.GetAsync("/status"))).GetProperty("lastIndex").GetUInt64();
        await AssertProblemAsync(await _client.PostAsync("/config", new StringContent(body, Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, detailPart);
        Assert.Equal(before, (await JsonAsync(await _client.GetAsync("/status"))).GetProperty("lastIndex").GetUInt64());
    }

    [Fact]
    public async Task A_configuration_naming_an_unknown_node_or_expecting_other_voters_should_be_refused_and_the_same_one_answered()
    {
        var self = (await JsonAsync(await _client.GetAsync("/status"))).GetProperty("id").GetString();
        Task<HttpResponseMessage> Config(string json) => _client.PostAsync("/config", new StringContent(json, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(await Config($"{{\"voters\": [\"{self}\", \"stranger\"]}}"), HttpStatusCode.BadRequest, "unknown node 'stranger'");
        var mismatch = await Config($"{{\"voters\": [\"{self}\"], \"expect\": {{\"voters\": [\"other\"]}}}}");
        Assert.Equal(HttpStatusCode.Conflict, mismatch.StatusCode);
        Assert.Equal(self, (await JsonAsync(mismatch)).GetProperty("voters")[0].GetString());

        var same = await Config($"{{\"voters\": [\"{self}\"], \"expect\": {{\"voters\": [\"{self}\"]}}}}");
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        var answer = await JsonAsync(same);
        Assert.Equal(self, answer.GetProperty("voters")[0].GetString());
        Assert.Equal(0, answer.GetProperty("learners").GetArrayLength());
    }

    [Fact]
    public async Task Post_then_get_should_answer_the_value_as_raftdb_does()
    {
        var key = Unique("foo");
        // curl -d sends form encoding; the body is JSON all the same.
        var post = await PostAsync($"{{\"{key}\": \"bar\"}}");
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var get = await _client.GetAsync($"/key/{key}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal($"{{\"{key}\":\"bar\"}}", (await get.Content.ReadAsStringAsync()).Trim());
        Assert.NotNull(get.Headers.ETag);
    }

    [Theory]
    [InlineData("stale")]
    [InlineData("default")]
    [InlineData("consistent")]
    public async Task Every_read_level_should_see_an_acknowledged_write_on_the_leader(string level)
    {
        var key = Unique("level");
        (await PostAsync($"{{\"{key}\": \"{level}\"}}")).EnsureSuccessStatusCode();
        var get = await _client.GetAsync($"/key/{key}?level={level}");
        Assert.Equal(level, (await JsonAsync(get)).GetProperty(key).GetString());
    }

    [Fact]
    public async Task A_body_with_several_keys_should_write_them_all_in_one_entry_with_one_index()
    {
        var a = Unique("a");
        var b = Unique("b");
        var post = await PostAsync($"{{\"{a}\": \"1\", \"{b}\": \"2\"}}");
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var index = (await JsonAsync(post)).GetProperty("index");
        var n = index.GetProperty(a).GetUInt64();
        // Two entries could not share an index: the same index for both keys means one log entry.
        Assert.Equal(n, index.GetProperty(b).GetUInt64());
        var getA = await _client.GetAsync($"/key/{a}");
        var getB = await _client.GetAsync($"/key/{b}");
        Assert.Equal("1", (await JsonAsync(getA)).GetProperty(a).GetString());
        Assert.Equal("2", (await JsonAsync(getB)).GetProperty(b).GetString());
        Assert.Equal($"\"{n}\"", getA.Headers.ETag!.Tag);
        Assert.Equal($"\"{n}\"", getB.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task An_oversized_value_in_a_several_key_body_should_be_413_naming_its_key_and_write_none_of_the_keys()
    {
        var a = Unique("a");
        var big = Unique("big");
        var post = await PostAsync($"{{\"{a}\": \"1\", \"{big}\": \"{new string('x', 65)}\"}}");
        await AssertProblemAsync(post, HttpStatusCode.RequestEntityTooLarge, $"key '{big}'");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/key/{a}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/key/{big}")).StatusCode);
    }

    [Fact]
    public async Task A_body_with_more_keys_than_max_batch_keys_should_be_413_and_write_nothing()
    {
        // The fixture allows 3 keys per write.
        var keys = Enumerable.Range(0, 4).Select(i => Unique($"many{i}")).ToList();
        var post = await PostAsync("{" + string.Join(",", keys.Select(k => $"\"{k}\": \"v\"")) + "}");
        await AssertProblemAsync(post, HttpStatusCode.RequestEntityTooLarge, $"max-batch-keys = 3); the first over the limit is '{keys[3]}'");
        foreach (var key in keys) Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/key/{key}")).StatusCode);
    }

    [Fact]
    public async Task A_body_naming_a_key_twice_should_be_400()
    {
        var a = Unique("twice");
        await AssertProblemAsync(await PostAsync($"{{\"{a}\": \"1\", \"{a}\": \"2\"}}"), HttpStatusCode.BadRequest, "more than once");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/key/{a}")).StatusCode);
    }

    [Fact]
    public async Task A_missing_key_should_be_404_problem_json_naming_the_key()
    {
        var key = Unique("missing");
        await AssertProblemAsync(await _client.GetAsync($"/key/{key}"), HttpStatusCode.NotFound, key);
    }

    [Fact]
    public async Task Bodies_should_keep_quotes_and_non_ascii_text_readable_rather_than_escaped()
    {
        var key = Unique("café");
        await PostAsync($"{{\"{key}\": \"it's 5 €\"}}");

        var body = (await (await _client.GetAsync($"/key/{Uri.EscapeDataString(key)}")).Content.ReadAsStringAsync()).Trim();
        var missing = await (await _client.GetAsync($"/key/{Uri.EscapeDataString(key)}-gone")).Content.ReadAsStringAsync();

        Assert.Equal($"{{\"{key}\":\"it's 5 €\"}}", body);
        Assert.Contains($"key '{key}-gone' not found", missing);
    }

    [Theory]
    [InlineData("{\"foo\": 1", "not valid JSON")]
    [InlineData("[\"foo\"]", "JSON object")]
    [InlineData("{\"foo\": 42}", "must be a JSON string")]
    [InlineData("{}", "names no key")]
    [InlineData("{\"\": \"v\"}", "empty")]
    public async Task A_malformed_body_should_be_400_naming_the_problem(string body, string detailPart)
    {
        await AssertProblemAsync(await PostAsync(body), HttpStatusCode.BadRequest, detailPart);
    }

    [Fact]
    public async Task A_value_over_max_value_bytes_should_be_413_and_write_nothing()
    {
        var key = Unique("big");
        await AssertProblemAsync(await PostAsync($"{{\"{key}\": \"{new string('x', 65)}\"}}"), HttpStatusCode.RequestEntityTooLarge, "max-value-bytes");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/key/{key}")).StatusCode);
    }

    [Fact]
    public async Task A_body_over_max_body_bytes_should_be_413()
    {
        await AssertProblemAsync(await PostAsync($"{{\"k\": \"{new string('x', 5000)}\"}}"), HttpStatusCode.RequestEntityTooLarge, "max-body-bytes");
    }

    [Fact]
    public async Task An_unknown_read_level_should_be_400()
    {
        await AssertProblemAsync(await _client.GetAsync("/key/foo?level=fresh"), HttpStatusCode.BadRequest, "stale, default or consistent");
    }

    [Fact]
    public async Task Delete_should_remove_the_key_and_a_second_delete_should_be_404()
    {
        var key = Unique("gone");
        (await PostAsync($"{{\"{key}\": \"v\"}}")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await _client.DeleteAsync($"/key/{key}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/key/{key}")).StatusCode);
        await AssertProblemAsync(await _client.DeleteAsync($"/key/{key}"), HttpStatusCode.NotFound, key);
    }

    [Fact]
    public async Task Compare_and_swap_should_write_only_with_the_current_last_index()
    {
        var key = Unique("cas");
        var first = await PostAsync($"{{\"{key}\": \"v1\"}}");
        var index = first.Headers.ETag!.Tag;

        var stale = new HttpRequestMessage(HttpMethod.Post, "/key") { Content = new StringContent($"{{\"{key}\": \"v2\"}}") };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        await AssertProblemAsync(await _client.SendAsync(stale), HttpStatusCode.Conflict, "compare failed");

        var current = new HttpRequestMessage(HttpMethod.Post, "/key") { Content = new StringContent($"{{\"{key}\": \"v3\"}}") };
        current.Headers.IfMatch.Add(new EntityTagHeaderValue(index));
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(current)).StatusCode);
        Assert.Equal("v3", (await JsonAsync(await _client.GetAsync($"/key/{key}"))).GetProperty(key).GetString());
    }

    [Fact]
    public async Task Create_only_with_If_None_Match_star_should_refuse_an_existing_key_with_409()
    {
        var key = Unique("create");
        HttpRequestMessage Create() => new(HttpMethod.Post, "/key")
        {
            Content = new StringContent($"{{\"{key}\": \"v\"}}"),
            Headers = { IfNoneMatch = { EntityTagHeaderValue.Any } },
        };
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(Create())).StatusCode);
        await AssertProblemAsync(await _client.SendAsync(Create()), HttpStatusCode.Conflict, "already exists");
    }

    [Fact]
    public async Task Delete_with_a_stale_If_Match_should_be_409_and_keep_the_key()
    {
        var key = Unique("keep");
        (await PostAsync($"{{\"{key}\": \"v\"}}")).EnsureSuccessStatusCode();
        (await PostAsync($"{{\"{key}\": \"w\"}}")).EnsureSuccessStatusCode();
        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/key/{key}");
        delete.Headers.TryAddWithoutValidation("If-Match", "1");
        await AssertProblemAsync(await _client.SendAsync(delete), HttpStatusCode.Conflict, "modified");
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/key/{key}")).StatusCode);
    }

    [Fact]
    public async Task Head_should_answer_whether_a_key_exists()
    {
        var key = Unique("head");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/key/{key}"))).StatusCode);
        (await PostAsync($"{{\"{key}\": \"v\"}}")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/key/{key}"))).StatusCode);
    }

    [Fact]
    public async Task List_should_return_the_keys_under_a_prefix_and_delete_tree_should_remove_them()
    {
        var prefix = Unique("dir") + "/";
        (await PostAsync($"{{\"{prefix}a\": \"1\", \"{prefix}b\": \"2\", \"{prefix}c/d\": \"3\"}}")).EnsureSuccessStatusCode();
        var list = await JsonAsync(await _client.GetAsync($"/keys?prefix={Uri.EscapeDataString(prefix)}"));
        var keys = list.GetProperty("pairs").EnumerateArray().Select(p => p.GetProperty("key").GetString()).ToList();
        Assert.Equal([prefix + "a", prefix + "b", prefix + "c/d"], keys);
        Assert.Equal("3", (await JsonAsync(await _client.GetAsync($"/key/{prefix}c/d"))).GetProperty(prefix + "c/d").GetString());

        var deleted = await JsonAsync(await _client.DeleteAsync($"/keys?prefix={Uri.EscapeDataString(prefix)}"));
        Assert.Equal(3UL, deleted.GetProperty("deleted").GetUInt64());
        Assert.Empty((await JsonAsync(await _client.GetAsync($"/keys?prefix={Uri.EscapeDataString(prefix)}"))).GetProperty("pairs").EnumerateArray());
    }

    [Fact]
    public async Task Delete_tree_without_a_prefix_parameter_should_be_refused()
    {
        await AssertProblemAsync(await _client.DeleteAsync("/keys"), HttpStatusCode.BadRequest, "prefix");
    }

    [Fact]
    public async Task Status_should_name_the_node_its_role_the_leader_and_its_members()
    {
        var status = await JsonAsync(await _client.GetAsync("/status"));
        Assert.Equal("solo", status.GetProperty("id").GetString());
        Assert.Equal("leader", status.GetProperty("role").GetString());
        Assert.Equal("solo", status.GetProperty("leader").GetString());
        Assert.True(status.GetProperty("term").GetUInt64() >= 1);
        Assert.True(status.GetProperty("commitIndex").GetUInt64() >= 1);
        Assert.True(status.GetProperty("journalBytes").GetInt64() > 0);
        Assert.Equal("solo", status.GetProperty("progressFrom").GetString());
        var member = Assert.Single(status.GetProperty("members").EnumerateArray());
        Assert.Equal("solo", member.GetProperty("id").GetString());
        Assert.Equal(fixture.Node.Address, member.GetProperty("httpAddress").GetString());
        Assert.Equal(fixture.Node.Node.RaftAddress.ToString(), member.GetProperty("raftAddress").GetString());
        Assert.Equal("leader", member.GetProperty("role").GetString());
        Assert.True(member.GetProperty("matchIndex").GetUInt64() >= 1);
    }

    [Fact]
    public async Task Metrics_should_be_prometheus_text_with_term_role_indexes_and_the_commit_latency_histogram()
    {
        (await PostAsync($"{{\"{Unique("m")}\": \"v\"}}")).EnsureSuccessStatusCode();
        var response = await _client.GetAsync("/metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        foreach (var name in new[]
                 {
                     "akkaraft_peer_up 1", "akkaraft_term ", "akkaraft_role{role=\"leader\"} 1", "akkaraft_commit_index ", "akkaraft_applied_index ", "akkaraft_proposals_total ",
                     "akkaraft_commit_latency_seconds_bucket{le=\"+Inf\"} ", "akkaraft_fsyncs_total ", "akkaraft_snapshots_total ",
                     "akkaraft_dead_letters_total ", "akkaraft_remote_associations_total ",
                 })
        {
            Assert.Contains(name, text);
        }

        var count = text.Split('\n').Single(l => l.StartsWith("akkaraft_commit_latency_seconds_count ", StringComparison.Ordinal));
        Assert.True(long.Parse(count.Split(' ')[1]) >= 1, count);
    }

    [Fact]
    public async Task Metrics_should_show_the_peers_commit_latency_as_a_complete_prometheus_histogram()
    {
        (await PostAsync($"{{\"{Unique("h")}\": \"v\"}}")).EnsureSuccessStatusCode();
        var lines = (await _client.GetStringAsync("/metrics")).Split('\n');
        Assert.Contains("# TYPE akkaraft_commit_latency_seconds histogram", lines);
        var buckets = lines.Where(l => l.StartsWith("akkaraft_commit_latency_seconds_bucket{le=", StringComparison.Ordinal)).ToList();
        Assert.Equal(CommitLatencyHistogram.BucketBoundsSeconds.Count + 1, buckets.Count);
        Assert.StartsWith("akkaraft_commit_latency_seconds_bucket{le=\"0.001\"} ", buckets[0]);
        Assert.StartsWith("akkaraft_commit_latency_seconds_bucket{le=\"+Inf\"} ", buckets[^1]);
        var cumulative = buckets.Select(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(cumulative.Order(), cumulative);
        var count = long.Parse(lines.Single(l => l.StartsWith("akkaraft_commit_latency_seconds_count ", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);
        var sum = double.Parse(lines.Single(l => l.StartsWith("akkaraft_commit_latency_seconds_sum ", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);
        Assert.Equal(count, cumulative[^1]);
        Assert.True(count >= 1, $"count {count}");
        Assert.True(sum > 0, $"sum {sum}");
    }

    [Fact]
    public async Task Member_records_should_refuse_every_client_write_with_403_and_a_tree_over_them_should_spare_them()
    {
        var record = await OwnMemberRecordAsync();
        var user = Unique("_mine");
        (await PostAsync($"{{\"{user}\": \"v\"}}")).EnsureSuccessStatusCode();

        await AssertProblemAsync(await PostAsync($"{{\"{record.Key}\": \"{{}}\"}}"), HttpStatusCode.Forbidden, "where the cluster keeps its member records");
        // In a batch the whole body is refused: the other key is not written either.
        var other = Unique("batched");
        await AssertProblemAsync(await PostAsync($"{{\"{other}\": \"v\", \"_akkaraft/members/intruder\": \"{{}}\"}}"), HttpStatusCode.Forbidden, "_akkaraft/members/intruder");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/key/{other}")).StatusCode);
        await AssertProblemAsync(await _client.DeleteAsync($"/key/{record.Key}"), HttpStatusCode.Forbidden, "clients may read them but not write them");
        await AssertProblemAsync(await _client.DeleteAsync("/keys?prefix=_akkaraft/members/"), HttpStatusCode.Forbidden, "nothing was written");

        // DELETE /keys?prefix=_ covers the records: it deletes the client's keys under "_" and spares them.
        var deleted = await JsonAsync(await _client.DeleteAsync("/keys?prefix=_"));
        Assert.True(deleted.GetProperty("deleted").GetInt32() >= 1);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/key/{user}")).StatusCode);
        // The very record, not one the node wrote again after losing it: its index is unchanged.
        var after = await JsonAsync(await _client.GetAsync($"/keys?prefix={record.Key}"));
        Assert.Equal(record.Index, after.GetProperty("pairs").EnumerateArray().Single().GetProperty("index").GetUInt64());
    }

    /// <summary>The node's own member record once it names the node's HTTP address (the node publishes it a moment after it leads).</summary>
    private async Task<(string Key, ulong Index)> OwnMemberRecordAsync()
    {
        (string Key, ulong Index)? found = null;
        await TestCluster.WaitForAsync(async () =>
        {
            var list = await JsonAsync(await _client.GetAsync("/keys?prefix=_akkaraft/members/"));
            var pair = list.GetProperty("pairs").EnumerateArray().FirstOrDefault();
            if (pair.ValueKind == JsonValueKind.Object && pair.GetProperty("value").GetString()!.Contains(fixture.Node.Address, StringComparison.Ordinal))
            {
                found = (pair.GetProperty("key").GetString()!, pair.GetProperty("index").GetUInt64());
            }

            return found is not null;
        }, "the node's own member record with its HTTP address");
        return found!.Value;
    }

    [Fact]
    public async Task Member_records_should_be_hidden_from_a_listing_of_every_key()
    {
        var list = await JsonAsync(await _client.GetAsync("/keys?prefix=&level=stale"));
        Assert.DoesNotContain(list.GetProperty("pairs").EnumerateArray(), p => p.GetProperty("key").GetString()!.StartsWith("_akkaraft/", StringComparison.Ordinal));
    }
}
