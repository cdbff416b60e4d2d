using System.CommandLine;
using AkkaRaft.Server.Cli;

namespace AkkaRaft.Server.Tests;

/// <summary>`akkaraft ts put|get|list` against a running node.</summary>
public sealed class TsCliCommandTests(SeriesNodeFixture fixture) : IClassFixture<SeriesNodeFixture>
{
    private (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var all = args.Concat(["--endpoints", fixture.Client.BaseAddress!.Authority]).ToArray();
        var exit = AkkaRaftCommandLine.Run(all, new CliEnvironment(new Dictionary<string, string?>()), new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Ts_put_get_and_list_follow_trrs_flow()
    {
        var prefix = $"cli{Guid.NewGuid():N}"[..12];
        var name = prefix + "/t1";

        Assert.StartsWith("OK (index ", Run("ts", "put", name, "1427162400", "10").Out);
        Assert.Equal(0, Run("ts", "put", name, "1427162462", "12").Exit);
        Assert.Equal(0, Run("ts", "put", name, "1427162524", "14").Exit);

        Assert.Equal("1427162400 10\n1427162462 12\n1427162524 14", Run("ts", "get", name, "--level", "consistent").Out.Trim().ReplaceLineEndings("\n"));
        Assert.Equal("1427162462 12", Run("ts", "get", name, "--from", "1427162401", "--to", "1427162524").Out.Trim());
        Assert.Equal("1427162400 36", Run("ts", "get", name, "--step", "1h", "--agg", "sum").Out.Trim());
        var list = Run("ts", "list", prefix).Out.Trim();
        Assert.StartsWith($"{name}  3 points", list);
    }

    [Fact]
    public void Ts_put_of_a_point_older_than_the_open_block_fails_with_the_servers_reason()
    {
        var name = $"cli{Guid.NewGuid():N}"[..12];
        Run("ts", "put", name, "1000", "1");
        Run("ts", "put", name, "1130", "1");

        var late = Run("ts", "put", name, "1000", "2");

        Assert.Equal(1, late.Exit);
        Assert.Contains("oldest timestamp it accepts is 1080", late.Err);
    }
}
