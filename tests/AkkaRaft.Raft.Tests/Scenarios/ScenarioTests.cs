namespace AkkaRaft.Raft.Tests.Scenarios;

/// <summary>
/// The scenario scripts under testdata/ with their expected output. Set AKKARAFT_REWRITE_TESTDATA=1 to
/// rewrite the expected output after a deliberate change (then review the diff).
/// </summary>
public class ScenarioTests
{
    public static IEnumerable<object[]> Files() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "testdata"), "*.txt").Order().Select(f => new object[] { Path.GetFileName(f) });

    [Theory(DisplayName = "Scenario file plays with its expected output")]
    [MemberData(nameof(Files))]
    public void Scenario_plays_with_expected_output(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "testdata", file);
        var (expected, actual) = ScenarioRunner.Play(path);
        if (Environment.GetEnvironmentVariable("AKKARAFT_REWRITE_TESTDATA") == "1" && expected != actual)
        {
            var source = Path.Combine(FindSourceDirectory(), "testdata", file);
            File.WriteAllText(source, actual);
            return;
        }
        Assert.Equal(expected, actual);
    }

    private static string FindSourceDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AkkaRaft.Raft.Tests.csproj"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("tests/AkkaRaft.Raft.Tests not found above the test binaries");
    }
}
