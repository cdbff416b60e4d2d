namespace AkkaRaft.Samples;

/// <summary>
/// <c>dotnet run --project samples/AkkaRaft.Samples -- embedded|cluster|words|typed-words|time-series|grpc-time-series|grpc-words [data-dir]</c>,
/// <c>grpc-words data-dir first-raft-port</c> (its three nodes' Raft ports; 7301 to 7303 by default), or <c>client raft-host:port</c> (<c>words-node</c> is one node of <c>grpc-words</c>, which starts them itself).
/// </summary>
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
            case "grpc-time-series":
                await GrpcTimeSeriesSample.RunAsync(dataDir, Console.Out);
                return 0;
            case "grpc-words":
                // The three nodes' Raft ports: 7301, 7302 and 7303 unless a first port is given.
                var nextPort = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 7301;
                await GrpcWordTrackerSample.RunAsync(dataDir, Console.Out, () => nextPort++);
                return 0;
            case "words-node" when args.Length == 5:
                await GrpcWordTrackerSample.ServeNodeAsync(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), args[4]);
                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: AkkaRaft.Samples embedded|cluster|words|typed-words|time-series|grpc-time-series|grpc-words [data-dir] | grpc-words data-dir first-raft-port | client raft-host:port | words-node id data-dir raft-port peers");
                return 2;
        }
    }
}
