using System.Globalization;
using AkkaRaft.Actors;
using AkkaRaft.Remote;
using AkkaRaft.Remote.Actors;
using AkkaRaft.Remote.TestHost;

// Usage: AkkaRaft.Remote.TestHost <system> <port> <secret>
// Starts remoting on 127.0.0.1:<port> (0 = any), creates /user/echo, prints "READY <address>", and runs until
// standard input closes (the test process ended) or the process is killed.
if (args.Length != 3 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
{
    Console.Error.WriteLine("usage: AkkaRaft.Remote.TestHost <system> <port> <secret>");
    return 2;
}

using var system = ActorSystem.Create(args[0]);
var settings = new RemoteSettings
{
    Port = port,
    ClusterSecret = args[2],
    HeartbeatInterval = TimeSpan.FromMilliseconds(100),
    UnreachableAfter = TimeSpan.FromSeconds(1),
};
var remote = RemoteActorRefProvider.Start(system, settings, TestSerialization.Create());
system.ActorOf(Props.Create(() => new EchoActor()), "echo");
Console.Out.WriteLine($"READY {remote.Address}");
Console.Out.Flush();
await Console.In.ReadToEndAsync();
return 0;
