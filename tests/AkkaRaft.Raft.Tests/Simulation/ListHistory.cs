using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Simulation;

/// <summary>An <see cref="IKvHistory"/> that keeps the events in order (for determinism checks and printing).</summary>
internal sealed class ListHistory : IKvHistory
{
    public List<string> Events { get; } = new();

    private int _next;

    public int Invoke(int clientId, KvRequest request, long time)
    {
        var id = _next++;
        Events.Add($"{time} invoke {id} c{clientId} {request}");
        return id;
    }

    public void Return(int opId, KvResponse response, long time) => Events.Add($"{time} return {opId} {response}");

    public void Timeout(int opId) => Events.Add($"timeout {opId}");
}
