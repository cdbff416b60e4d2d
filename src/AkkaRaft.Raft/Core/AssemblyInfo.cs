using System.Runtime.CompilerServices;

// The test-only mutation switches in RaftConfig (RaftMutations) are internal: only the tests and the
// simulation harness may turn a known bug on to prove the linearizability checker catches it.
[assembly: InternalsVisibleTo("AkkaRaft.Raft.Tests")]
[assembly: InternalsVisibleTo("AkkaRaft.TestSupport")]
