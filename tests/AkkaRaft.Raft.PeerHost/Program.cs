using AkkaRaft.Raft.PeerHost;

// Usage: AkkaRaft.Raft.PeerHost <node-id> <data-dir> <id=host:port,...> <config-file>
// Starts one Raft peer of a static group (see PeerHost), prints its ready line ("ready <port> ...") on standard
// output, and runs until it is killed or its standard input closes (the test process that started it ended).
PeerHostArguments arguments;
try
{
    arguments = PeerHostArguments.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(PeerHostArguments.Usage);
    return 2;
}

await using var host = await PeerHost.StartAsync(arguments);
Console.Out.WriteLine(host.Ready.ToString());
Console.Out.Flush();
await Console.In.ReadToEndAsync();
return 0;
