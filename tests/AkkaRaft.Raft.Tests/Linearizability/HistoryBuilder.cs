using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Raft.Tests.Linearizability;

/// <summary>Builds hand-made histories; ids count from 0 in the order operations are added.</summary>
internal sealed class HistoryBuilder
{
    private readonly List<Operation> _operations = [];

    public HistoryBuilder Put(int client, string key, string value, long invoke, long @return) =>
        Answered(client, new KvInput(KvOpKind.Put, key, value), KvOutput.Written, invoke, @return);

    public HistoryBuilder FailedPut(int client, string key, string value, long invoke, long @return) =>
        Answered(client, new KvInput(KvOpKind.Put, key, value), new KvOutput(null, false), invoke, @return);

    public HistoryBuilder Get(int client, string key, string? read, long invoke, long @return) =>
        Answered(client, new KvInput(KvOpKind.Get, key), KvOutput.Read(read), invoke, @return);

    public HistoryBuilder Delete(int client, string key, long invoke, long @return) =>
        Answered(client, new KvInput(KvOpKind.Delete, key), KvOutput.Written, invoke, @return);

    public HistoryBuilder Cas(int client, string key, string? expected, string? value, bool swapped, long invoke, long @return) =>
        Answered(client, new KvInput(KvOpKind.Cas, key, value, expected), KvOutput.Cas(swapped), invoke, @return);

    public HistoryBuilder TimedOut(int client, KvInput input, long invoke)
    {
        _operations.Add(Operation.TimedOut(_operations.Count, client, input, invoke));
        return this;
    }

    public HistoryBuilder TimedOutPut(int client, string key, string value, long invoke) =>
        TimedOut(client, new KvInput(KvOpKind.Put, key, value), invoke);

    public IReadOnlyList<Operation> Build() => _operations.ToArray();

    public CheckResult Check() => LinearizabilityChecker.Check(Build());

    public HistoryBuilder Answered(int client, KvInput input, KvOutput output, long invoke, long @return)
    {
        _operations.Add(Operation.Completed(_operations.Count, client, input, output, invoke, @return));
        return this;
    }
}
