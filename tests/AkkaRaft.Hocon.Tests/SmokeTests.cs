using AkkaRaft.Hocon;

namespace AkkaRaft.Hocon.Tests;

public class SmokeTests
{
    [Fact]
    public void Default_should_hold_the_node_section_of_reference_conf()
    {
        var config = ConfigurationFactory.Default();
        Assert.Equal("./data", config.GetString("akkaraft.node.data-dir"));
    }

    [Fact]
    public void A_small_document_should_parse_and_resolve()
    {
        var config = ConfigurationFactory.ParseString("""
            a { b = 1, c = ${a.b} }
            path = [x]
            path = ${path} [y]
            path += z
            t = 500ms
            """);
        Assert.Equal(1, config.GetInt("a.c"));
        Assert.Equal(["x", "y", "z"], config.GetStringList("path"));
        Assert.Equal(TimeSpan.FromMilliseconds(500), config.GetTimeSpan("t"));
    }
}
