using System.Net;
using System.Text;
using System.Text.Json;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// <c>GET /watch/{key}</c>, <c>POST /lock/{name}</c> and <c>DELETE /lock/{name}</c> on one node: a watch answers once with
/// what fired, or 408 when its timeout passes; a read's index (ETag, X-Raft-Index) fires a watch at once when the key
/// changed since; a lock held by one session makes another's acquire wait, and 409 when its wait passes.
/// </summary>
public sealed class WatchLockHttpTests(WatchLockHttpTests.Fixture fixture) : IClassFixture<WatchLockHttpTests.Fixture>
{
    /// <summary>One node for these tests.</summary>
    public sealed class Fixture() : NodeFixture("watch", new Dictionary<string, string>());

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task A_watch_answers_once_with_the_first_change_after_the_reads_index_and_every_request_sets_its_own_watch()
    {
        await PutAsync("w/k", "0");
        var read = await Client.GetAsync("/key/w/k");
        var etag = read.Headers.ETag!.Tag.Trim('"');
        Assert.True(read.Headers.Contains("X-Raft-Index"));

        var first = Client.GetAsync($"/watch/w/k?index={etag}&timeout=20s");
        var second = Client.GetAsync($"/watch/w/k?index={etag}&timeout=20s");
        await Task.Delay(300);
        Assert.False(first.IsCompleted);
        var changed = await PutAsync("w/k", "1");
        var latest = await PutAsync("w/k", "2");

        foreach (var answer in new[] { await first, await second })
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            using var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
            Assert.Equal("data_changed", body.RootElement.GetProperty("reason").GetString());
            Assert.Equal("w/k", body.RootElement.GetProperty("key").GetString());
            Assert.Equal(changed, body.RootElement.GetProperty("index").GetUInt64());
            Assert.Equal("put", body.RootElement.GetProperty("event").GetString());
        }

        // A delete is told as one.
        Assert.Equal(HttpStatusCode.OK, (await Client.DeleteAsync("/key/w/k")).StatusCode);
        using (var deleted = JsonDocument.Parse(await (await Client.GetAsync($"/watch/w/k?index={latest}")).Content.ReadAsStringAsync()))
        {
            Assert.Equal("delete", deleted.RootElement.GetProperty("event").GetString());
            Assert.True(deleted.RootElement.GetProperty("index").GetUInt64() > latest);
        }

        // The same index again: the change is known already, so it answers at once with the same change.
        using var again = JsonDocument.Parse(await (await Client.GetAsync($"/watch/w/k?index={etag}")).Content.ReadAsStringAsync());
        Assert.Equal(changed, again.RootElement.GetProperty("index").GetUInt64());
    }

    [Fact]
    public async Task A_prefix_watch_from_a_listings_index_fires_on_a_new_key_under_it()
    {
        var list = await Client.GetAsync("/keys?prefix=p/");
        var index = list.Headers.ETag!.Tag.Trim('"');
        var watch = Client.GetAsync($"/watch/p/?prefix=true&index={index}&timeout=20s");
        var written = await PutAsync("p/new", "x");

        using var body = JsonDocument.Parse(await (await watch).Content.ReadAsStringAsync());
        Assert.Equal("p/new", body.RootElement.GetProperty("key").GetString());
        Assert.Equal(written, body.RootElement.GetProperty("index").GetUInt64());
    }

    [Fact]
    public async Task A_watch_whose_timeout_passes_answers_408_and_bad_input_answers_a_problem()
    {
        var timedOut = await Client.GetAsync("/watch/quiet?timeout=300ms");
        Assert.Equal(HttpStatusCode.RequestTimeout, timedOut.StatusCode);
        Assert.Equal("application/problem+json", timedOut.Content.Headers.ContentType!.MediaType);

        Assert.Equal(HttpStatusCode.BadRequest, (await Client.GetAsync("/watch/k?index=abc")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.GetAsync("/watch/k?timeout=2h")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/watch/k?session=999999&timeout=1s")).StatusCode);
    }

    [Fact]
    public async Task A_watch_in_a_session_answers_session_expired_when_the_session_is_closed()
    {
        var session = await OpenSessionAsync();
        var watch = Client.GetAsync($"/watch/s/k?session={session}&timeout=20s");
        await Task.Delay(300);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/session/{session}")).StatusCode);

        using var body = JsonDocument.Parse(await (await watch).Content.ReadAsStringAsync());
        Assert.Equal("session_expired", body.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_lock_held_by_one_session_makes_another_wait_409_when_its_wait_passes_and_passes_on_release_with_a_larger_fencing_token()
    {
        var (a, b) = (await OpenSessionAsync(), await OpenSessionAsync());
        var held = await Client.PostAsync($"/lock/L1?session={a}", null);
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        var token = ulong.Parse(held.Headers.GetValues("X-Fencing-Token").Single());

        var refused = await Client.PostAsync($"/lock/L1?session={b}&wait=300ms", null);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);

        var waiting = Client.PostAsync($"/lock/L1?session={b}&wait=20s", null);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        var released = await Client.DeleteAsync($"/lock/L1?session={a}");
        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        var got = await waiting;
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.True(ulong.Parse(got.Headers.GetValues("X-Fencing-Token").Single()) > token);

        Assert.Equal(HttpStatusCode.NotFound, (await Client.DeleteAsync($"/lock/L1?session={a}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.PostAsync("/lock/L1", null)).StatusCode);
    }

    [Fact]
    public async Task Get_sessions_lists_the_open_sessions_the_held_lock_with_its_waiter_and_the_waiting_watch_and_refuses_a_bad_limit()
    {
        var (a, b) = (await OpenSessionAsync(), await OpenSessionAsync());
        var held = await Client.PostAsync($"/lock/listed?session={a}", null);
        var token = ulong.Parse(held.Headers.GetValues("X-Fencing-Token").Single());
        var waiting = Client.PostAsync($"/lock/listed?session={b}&wait=20s", null);
        var watch = Client.GetAsync($"/watch/listed/?prefix=true&session={b}&timeout=20s");
        await Task.Delay(300);

        var answer = await Client.GetAsync("/sessions");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        using (var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()))
        {
            var root = body.RootElement;
            var sessions = root.GetProperty("sessions").EnumerateArray().ToDictionary(s => s.GetProperty("id").GetString()!);
            Assert.Equal("30s", sessions[$"{a}"].GetProperty("ttl").GetString());
            Assert.InRange(sessions[$"{a}"].GetProperty("expiresInMs").GetInt64(), 1, 30_000);
            Assert.True(root.GetProperty("sessionCount").GetInt32() >= 2);
            var listedLock = root.GetProperty("locks").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "listed");
            Assert.Equal($"{a}", listedLock.GetProperty("holder").GetString());
            Assert.Equal(token, listedLock.GetProperty("fencingToken").GetUInt64());
            Assert.Equal([$"{b}"], listedLock.GetProperty("waiters").EnumerateArray().Select(w => w.GetString()));
            var listedWatch = root.GetProperty("watches").EnumerateArray().Single(w => w.GetProperty("key").GetString() == "listed/");
            Assert.True(listedWatch.GetProperty("prefix").GetBoolean());
            Assert.Equal($"{b}", listedWatch.GetProperty("session").GetString());
            Assert.Equal(1000, root.GetProperty("limit").GetInt32());
        }

        foreach (var bad in new[] { "0", "-1", "many" })
        {
            var refused = await Client.GetAsync($"/sessions?limit={bad}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        }

        // Closing the waiter's session takes it out of the queue and fires its watch; the listing no longer names it.
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/session/{b}")).StatusCode);
        await watch;
        await waiting;
        using var after = JsonDocument.Parse(await Client.GetStringAsync("/sessions?limit=500"));
        Assert.DoesNotContain(after.RootElement.GetProperty("sessions").EnumerateArray(), s => s.GetProperty("id").GetString() == $"{b}");
        Assert.Empty(after.RootElement.GetProperty("locks").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "listed").GetProperty("waiters").EnumerateArray());
        Assert.Equal(500, after.RootElement.GetProperty("limit").GetInt32());
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/session/{a}")).StatusCode);
    }

    private async Task<ulong> PutAsync(string key, string value)
    {
        var answer = await Client.PostAsync("/key", new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { [key] = value }), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return ulong.Parse(answer.Headers.ETag!.Tag.Trim('"'));
    }

    private async Task<long> OpenSessionAsync()
    {
        var answer = await Client.PostAsync("/session", new StringContent("{\"ttl\":\"30s\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        using var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        return long.Parse(body.RootElement.GetProperty("id").GetString()!);
    }
}
