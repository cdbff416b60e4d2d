using AkkaRaft.TestSupport.Linearizability;
using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Simulation;

/// <summary>Feeds the simulation's history into the linearizability checker's recorder.</summary>
internal sealed class RecorderHistory : IKvHistory
{
    public HistoryRecorder Recorder { get; } = new();

    public int Invoke(int clientId, KvRequest request, long time) =>
        Recorder.Invoke(clientId, new KvInput(Map(request.Kind), request.Key, request.Value, request.Expected), time);

    public void Return(int opId, KvResponse response, long time) => Recorder.Return(opId, new KvOutput(response.Value, response.Ok), time);

    public void Timeout(int opId) => Recorder.Timeout(opId);

    private static KvOpKind Map(KvKind kind) => kind switch
    {
        KvKind.Get => KvOpKind.Get,
        KvKind.Put => KvOpKind.Put,
        KvKind.Delete => KvOpKind.Delete,
        _ => KvOpKind.Cas,
    };
}
