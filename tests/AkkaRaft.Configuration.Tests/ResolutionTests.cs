namespace AkkaRaft.Configuration.Tests;

/// <summary>Substitution resolution beyond the spec's own examples.</summary>
public class ResolutionTests
{
    [Theory]
    [InlineData("\"a.b\" = 1\nc = ${\"a.b\"}", "c", "1")]
    [InlineData("b = 1\na = ${ b }", "a", "1")]
    [InlineData("a = 5\nb = ${a}${a}", "b", "\"55\"")]
    [InlineData("x = ${y}\ny = ${z}\nz = 5", "x", "5")]
    [InlineData("a = [1]\nb = ${a} [2]\na = [0]", "b", "[0,2]")]
    [InlineData("a = { b = 1 }\na = ${?nope}", "a", "{\"b\":1}")]
    [InlineData("a = 1\nb = [${a}, ${a}]", "b", "[1,1]")]
    [InlineData("a { b { c = 1 } }\nd = ${a.b.c} ${a.b.c}", "d", "\"1 1\"")]
    [InlineData("base { x = 1, y = ${base.x} }\nderived = ${base} { x = 2 }", "derived", "{\"x\":2,\"y\":1}")]
    [InlineData("a = [{ b = [${c}] }]\nc = 3", "a", "[{\"b\":[3]}]")]
    [InlineData("a = foo\nb = ${a} \"quoted ws\" ${a}", "b", "\"foo quoted ws foo\"")]
    [InlineData("a = \"\"\"multi\nline\"\"\"\nb = ${a}-end", "b", "\"multi\\nline-end\"")]
    [InlineData("a += 1\na += 2\na += 3", "a", "[1,2,3]")]
    [InlineData("x { a = [0] }\nx { a += 1 }\ny = ${x.a}", "y", "[0,1]")]
    public void Substitutions_should_resolve_to_the_final_value_of_their_path(string text, string path, string json)
    {
        var config = Hocon.Parse(text);
        Assert.Equal($"{{\"v\":{json}}}", ConfigurationFactory.ParseString($"v = {Render(config, path)}").ToJson(indented: false));
    }

    private static string Render(Config config, string path)
    {
        var single = config.ToJson(indented: false);
        using var doc = System.Text.Json.JsonDocument.Parse(single);
        var element = doc.RootElement;
        foreach (var part in path.Split('.'))
        {
            element = element.GetProperty(part);
        }

        return element.GetRawText();
    }

    [Fact]
    public void Two_fields_referring_to_each_other_over_earlier_values_should_end_up_equal()
    {
        var config = Hocon.Parse("a : 1\nb : 2\na : ${b}\nb : ${a}");
        Assert.Equal(config.GetInt("a"), config.GetInt("b"));
    }

    [Fact]
    public void A_long_chain_of_substitutions_should_resolve()
    {
        // Written first to last, so that resolving a0 has to follow the whole chain at once.
        var lines = Enumerable.Range(0, 300).Select(i => $"a{i} = ${{a{i + 1}}}").Append("a300 = 7");
        Assert.Equal(7, Hocon.Parse(string.Join('\n', lines)).GetInt("a0"));
    }

    [Fact]
    public void Substitutions_nested_beyond_the_limit_should_be_refused_instead_of_overflowing_the_stack()
    {
        var lines = Enumerable.Range(0, 5000).Select(i => $"a{i} = ${{a{i + 1}}}").Append("a5000 = 7");
        var error = Hocon.ParseError(string.Join('\n', lines));
        Assert.Contains("substitutions are nested more than", error.Message);
    }

    [Fact]
    public void Values_nested_beyond_the_limit_should_be_refused_instead_of_overflowing_the_stack()
    {
        var error = Hocon.ParseError("a = " + new string('[', 100_000));
        Assert.Contains("nested more than", error.Message);
        Assert.Equal(1, error.Origin?.Line);
    }

    [Fact]
    public void A_resolved_config_should_not_contain_unresolved_parts_and_hidden_substitutions_are_never_evaluated()
    {
        var config = Hocon.Parse("a = ${nope}\na = 1\nb = [${?nope}]\nc { d = ${?nope} }");
        Assert.Equal("""{"a":1,"b":[],"c":{}}""", config.ToJson(indented: false));
    }
}
