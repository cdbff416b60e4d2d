using AkkaRaft.Configuration;

namespace AkkaRaft.Configuration.Tests;

public sealed class SettingsRulesTests
{
    private static readonly Config Sample = ConfigurationFactory.ParseString(
        "a { n = 5, size = 2KiB, wait = 250ms, name = \"  \" }", "sample.conf");

    [Fact]
    public void A_value_inside_its_range_is_returned_as_read()
    {
        Assert.Equal(5, Sample.GetIntInRange("a.n", 1, 10));
        Assert.Equal(2048, Sample.GetByteSizeInRange("a.size", 1));
        Assert.Equal(2048, Sample.GetByteSizeInt32("a.size", 1, 4096));
        Assert.Equal(TimeSpan.FromMilliseconds(250), Sample.GetTimeSpanInRange("a.wait", TimeSpan.FromMilliseconds(1)));
    }

    [Fact]
    public void A_value_outside_its_range_names_path_rule_value_and_origin()
    {
        var error = Assert.Throws<ConfigException>(() => Sample.GetIntInRange("a.n", 6, 10));

        Assert.Equal("a.n: expected 6 to 10, got 5 (sample.conf:1:9)", error.Message);
        Assert.Equal(1, error.Origin?.Line);
    }

    [Fact]
    public void An_unbounded_range_is_worded_as_a_lower_bound()
    {
        var error = Assert.Throws<ConfigException>(() => Sample.GetByteSizeInRange("a.size", 4096));

        Assert.StartsWith("a.size: expected at least 4096 bytes, got 2048", error.Message);
    }

    [Fact]
    public void A_duration_outside_its_range_is_refused()
    {
        var error = Assert.Throws<ConfigException>(
            () => Sample.GetTimeSpanInRange("a.wait", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)));

        Assert.StartsWith("a.wait: expected a duration from 00:00:01 to 00:00:05, got 00:00:00.2500000", error.Message);
    }

    [Fact]
    public void A_blank_string_is_refused_where_a_value_is_required()
    {
        var error = Assert.Throws<ConfigException>(() => Sample.GetNonEmptyString("a.name"));

        Assert.StartsWith("a.name: expected a non-empty string", error.Message);
    }

    [Fact]
    public void A_missing_setting_is_still_an_error_not_a_default()
    {
        Assert.Throws<ConfigException>(() => Sample.GetIntInRange("a.missing", 0));
    }
}
