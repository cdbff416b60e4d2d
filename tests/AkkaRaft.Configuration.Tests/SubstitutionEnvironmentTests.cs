namespace AkkaRaft.Configuration.Tests;

/// <summary>Environment variables as the fallback of substitutions (HOCON.md).</summary>
public class SubstitutionEnvironmentTests
{
    // Names unique to these tests, so that setting them cannot disturb other tests in the process.
    private const string Set = "AKKARAFT_HOCON_TEST_SET";
    private const string Empty = "AKKARAFT_HOCON_TEST_EMPTY";
    private const string Unset = "AKKARAFT_HOCON_TEST_UNSET";

    static SubstitutionEnvironmentTests()
    {
        Environment.SetEnvironmentVariable(Set, "from-env");
        Environment.SetEnvironmentVariable(Empty, "");
        Environment.SetEnvironmentVariable("AKKARAFT_HOCON_TEST_LIST_0", "a");
        Environment.SetEnvironmentVariable("AKKARAFT_HOCON_TEST_LIST_1", "b");
    }

    [Fact]
    public void A_substitution_not_in_the_tree_should_read_the_environment_variable_as_a_string()
    {
        var config = Hocon.Parse($"a = ${{{Set}}}\nb = ${{{Set}}}/suffix");
        Assert.Equal("from-env", config.GetString("a"));
        Assert.Equal("from-env/suffix", config.GetString("b"));
        Assert.Equal($"environment variable {Set}", config.GetOrigin("a")?.ToString());
    }

    [Fact]
    public void A_value_in_the_tree_should_win_over_the_environment_even_when_it_is_null()
    {
        Assert.Equal("tree", Hocon.Parse($"{Set} = tree\na = ${{{Set}}}").GetString("a"));
        Assert.False(Hocon.Parse($"{Set} = null\na = ${{{Set}}}").HasPath("a"));
    }

    [Fact]
    public void An_empty_or_unset_variable_should_count_as_absent()
    {
        Assert.False(Hocon.Parse($"a = ${{?{Empty}}}").HasPath("a"));
        Assert.False(Hocon.Parse($"a = ${{?{Unset}}}").HasPath("a"));
        Assert.Equal("default", Hocon.Parse($"a = default\na = ${{?{Unset}}}").GetString("a"));
        var error = Hocon.ParseError($"a = ${{{Unset}}}");
        Assert.Contains($"no environment variable {Unset}", error.Message);
    }

    [Fact]
    public void A_self_reference_with_no_earlier_value_should_fall_back_to_the_environment()
    {
        Assert.Equal("from-env:more", Hocon.Parse($"{Set} = ${{{Set}}}\":more\"").GetString(Set));
    }

    [Fact]
    public void A_list_substitution_should_collect_numbered_environment_variables()
    {
        Assert.Equal(["a", "b"], Hocon.Parse("a = ${AKKARAFT_HOCON_TEST_LIST[]}").GetStringList("a"));
        Assert.False(Hocon.Parse($"a = ${{?{Unset}[]}}").HasPath("a"));
        Assert.Contains($"no environment variable {Unset}_0", Hocon.ParseError($"a = ${{{Unset}[]}}").Message);
    }
}
