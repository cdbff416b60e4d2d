using System.Net.Http.Json;
using System.Text.Json;

namespace AkkaRaft.Faults.Network;

/// <summary>Asks the nodes' <c>/status</c> who leads, for the faults aimed at the leader and for the end-of-run checks.</summary>
internal sealed class ClusterProbe(IReadOnlyList<NodeProcess> nodes) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(1) };

    // A configuration change answers once its final configuration commits: two entries through a quorum.
    private readonly HttpClient _config = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>
    /// The node that says it leads, in the highest term any running node reports; null when none does (an election,
    /// or every answer timed out). Each node answers for itself (<c>?progress=local</c>): none is asked to relay.
    /// </summary>
    public async Task<NodeProcess?> LeaderAsync(CancellationToken cancellationToken)
    {
        var asks = nodes.Where(n => n.State == NodeState.Running).Select(async node =>
        {
            try
            {
                using var response = await _http.GetAsync($"http://{node.Http}/status?progress=local", cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode) return (node, term: -1L, leads: false);
                using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                var root = document.RootElement;
                return (node, term: root.GetProperty("term").GetInt64(), leads: root.GetProperty("role").GetString() == "leader");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                return (node, term: -1L, leads: false);
            }
        }).ToList();
        var answers = await Task.WhenAll(asks).ConfigureAwait(false);
        return answers.Where(a => a.leads).OrderByDescending(a => a.term).Select(a => a.node).FirstOrDefault();
    }

    /// <summary>Waits until some node leads, up to <paramref name="patience"/>; the leader or null.</summary>
    /// <exception cref="InvalidOperationException">A node exited meanwhile (its log's end is in the message).</exception>
    public async Task<NodeProcess?> WaitForLeaderAsync(TimeSpan patience, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + patience;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var node in nodes)
            {
                if (node.State != NodeState.Down && node.HasCrashed(out var code))
                {
                    var tail = File.ReadLines(node.LogFile).TakeLast(15);
                    throw new InvalidOperationException($"{node.Id} exited with {code} while waiting for a leader; the end of {node.LogFile}:\n{string.Join("\n", tail)}");
                }
            }

            if (await LeaderAsync(cancellationToken).ConfigureAwait(false) is { } leader) return leader;
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>
    /// Waits until every running node says its journal takes writes again (<c>akkaraft_journal_writable 1</c> on
    /// <c>/metrics</c>, which answers even while the peer restarts), up to <paramref name="patience"/>.
    /// </summary>
    /// <returns>The nodes whose journal still did not, with what their metric said last.</returns>
    public async Task<IReadOnlyList<string>> WaitForWritableJournalsAsync(TimeSpan patience, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var unwritable = new List<string>();
            foreach (var node in nodes.Where(n => n.State == NodeState.Running))
            {
                var said = await JournalWritableAsync(node, cancellationToken).ConfigureAwait(false);
                if (said != "1") unwritable.Add($"{node.Id} (akkaraft_journal_writable {said})");
            }

            if (unwritable.Count == 0 || DateTime.UtcNow >= deadline) return unwritable;
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string> JournalWritableAsync(NodeProcess node, CancellationToken cancellationToken)
    {
        try
        {
            var text = await _http.GetStringAsync($"http://{node.Http}/metrics", cancellationToken).ConfigureAwait(false);
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("akkaraft_journal_writable ", StringComparison.Ordinal));
            return line?["akkaraft_journal_writable ".Length..].Trim() ?? "missing";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return "unanswered";
        }
    }

    /// <summary>The voters and the learners as <paramref name="node"/>'s <c>/status</c> lists them; null when it does not answer.</summary>
    public async Task<(IReadOnlyList<string> Voters, IReadOnlyList<string> Learners)?> ConfigurationAsync(NodeProcess node, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync($"http://{node.Http}/status?progress=local", cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            var members = document.RootElement.GetProperty("members").EnumerateArray()
                .Select(m => (Id: m.GetProperty("id").GetString()!, Learner: m.GetProperty("role").GetString() == "learner")).ToList();
            return ([.. members.Where(m => !m.Learner).Select(m => m.Id).Order(StringComparer.Ordinal)],
                [.. members.Where(m => m.Learner).Select(m => m.Id).Order(StringComparer.Ordinal)]);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return null;
        }
    }

    /// <summary>
    /// <c>POST /config</c> to <paramref name="node"/>: the new voters and learners, refused (409) unless the voters are
    /// <paramref name="expect"/>. The answer's status code and body; 0 and the exception's message when none came.
    /// </summary>
    public async Task<(int Status, string Body)> SetConfigurationAsync(NodeProcess node, IReadOnlyList<string> voters, IReadOnlyList<string> learners,
        IReadOnlyList<string> expect, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _config.PostAsJsonAsync($"http://{node.Http}/config", new { voters, learners, expect = new { voters = expect } }, cancellationToken)
                .ConfigureAwait(false);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return (0, e.Message);
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _config.Dispose();
    }
}
