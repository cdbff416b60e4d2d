using System.Text.Json;

namespace AkkaRaft.Faults.Network;

/// <summary>Asks the nodes' <c>/status</c> who leads, for the faults aimed at the leader and for the end-of-run checks.</summary>
internal sealed class ClusterProbe(IReadOnlyList<NodeProcess> nodes) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(1) };

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

    public void Dispose() => _http.Dispose();
}
