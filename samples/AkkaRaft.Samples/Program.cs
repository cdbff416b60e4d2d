namespace AkkaRaft.Samples;

/// <summary><c>dotnet run --project samples/AkkaRaft.Samples -- embedded|cluster|words|typed-words|time-series [data-dir]</c>, or <c>client raft-host:port</c>.</summary>
public static class Program
{
    /// <summary>Runs the named sample in a data directory (a fresh temporary one when omitted).</summary>
    public static async Task<int> Main(string[] args)
    {
        var name = args.Length > 0 ? args[0] : "";
        var dataDir = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "akkaraft-sample-" + Guid.NewGuid().ToString("N"));
        switch (name)
        {
            case "embedded":
                await EmbeddedServer.RunAsync(dataDir, Console.Out);
                return 0;
            case "cluster":
                await InProcessCluster.RunAsync(dataDir, Console.Out);
                return 0;
            case "client" when args.Length > 1:
                await RemoteClient.RunAsync(args[1], Console.Out);
                return 0;
            case "words":
                await WordTrackerSample.RunAsync(dataDir, Console.Out);
                return 0;
            case "typed-words":
                await TypedWordTrackerSample.RunAsync(dataDir, Console.Out);
                return 0;
            case "time-series":
                await TimeSeriesSample.RunAsync(dataDir, Console.Out);
                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: AkkaRaft.Samples embedded|cluster|words|typed-words|time-series [data-dir] | client raft-host:port");
                return 2;
        }
    }
}
