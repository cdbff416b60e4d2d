using AkkaRaft.Actors;
using AkkaRaft.Configuration;
using AkkaRaft.Remote.Actors;
using AkkaRaft.Remote.TestHost;

// Usage: AkkaRaft.Remote.TestHost <system> <config-file> [bulk-directory]
// Reads akkaraft.remote from <config-file> (over reference.conf), starts remoting, creates /user/echo, prints
// "READY <address>", and runs until standard input closes (the test process ended) or the process is killed.
if (args.Length is < 2 or > 3)
{
    Console.Error.WriteLine("usage: AkkaRaft.Remote.TestHost <system> <config-file> [bulk-directory]");
    return 2;
}

var config = ConfigurationFactory.ParseFile(args[1]).WithFallback(ConfigurationFactory.Default());
using var system = ActorSystem.Create(args[0]);
var remote = RemoteActorRefProvider.Start(system, config, TestSerialization.Create(), bulkDirectory: args.Length == 3 ? args[2] : null);
system.ActorOf(Props.Create(() => new EchoActor()), "echo");
Console.Out.WriteLine($"READY {remote.Address}");
Console.Out.Flush();
await Console.In.ReadToEndAsync();
return 0;
