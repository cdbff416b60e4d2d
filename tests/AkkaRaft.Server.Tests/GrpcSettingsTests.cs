using AkkaRaft.Server.Cli;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Server.Tests;

/// <summary>How <c>serve -gaddr</c> and <c>akkaraft.grpc.address</c> place the gRPC API, and what they refuse.</summary>
public sealed class GrpcSettingsTests
{
    private static ServerSettings Serve(params string[] args)
    {
        var parsed = AkkaRaftCommandLine.Create(new CliEnvironment(new Dictionary<string, string?>())).Parse(["serve", .. args]);
        Assert.Empty(parsed.Errors);
        return ServerSettings.FromConfig(ServeCommand.LoadConfig(parsed, new Dictionary<string, string?>()));
    }

    [Fact]
    public void By_default_the_gRPC_API_is_on_at_a_port_the_OS_chooses_on_the_HTTP_APIs_host()
    {
        // Off loopback without TLS, the node must be told plain HTTP is meant (issue #19).
        Assert.Equal(new HostPort("10.0.0.7", 0), Serve("-haddr", "10.0.0.7:8091", "--set", "akkaraft.http.allow-plaintext=on").Grpc.Address);
    }

    [Fact]
    public void Gaddr_sets_the_address_and_an_empty_one_turns_the_gRPC_API_off()
    {
        Assert.Equal(new HostPort("127.0.0.1", 8092), Serve("-gaddr", "127.0.0.1:8092").Grpc.Address);
        Assert.Equal(new HostPort("127.0.0.1", 9092), Serve("--grpc", ":9092").Grpc.Address);
        Assert.Null(Serve("-gaddr", "").Grpc.Address);
    }

    [Fact]
    public void A_bad_gRPC_address_exits_2_naming_the_setting()
    {
        var error = new StringWriter();
        var exit = AkkaRaftCommandLine.Run(["serve", "-gaddr", "nowhere"], new CliEnvironment(new Dictionary<string, string?>()),
            new System.CommandLine.InvocationConfiguration { Output = new StringWriter(), Error = error });
        Assert.Equal(2, exit);
        Assert.Contains("akkaraft.grpc.address", error.ToString());
    }
}
