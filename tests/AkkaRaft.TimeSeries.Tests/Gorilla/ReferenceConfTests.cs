using System.Globalization;
using System.Text.RegularExpressions;
using AkkaRaft.Configuration;
using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries.Tests.Gorilla;

/// <summary>The defaults in code are the ones <c>hocon/reference.conf</c> documents, key for key.</summary>
public sealed partial class ReferenceConfTests
{
    [Fact]
    public void Time_series_section_of_reference_conf_matches_the_settings_defaults()
    {
        GorillaSettings fromReference = GorillaSettings.FromConfig(ConfigurationFactory.Default());

        Assert.Equal(GorillaSettings.Default, fromReference);
        Assert.Equal(
            ["block-window-seconds", "max-points-per-block", "max-points-per-command", "max-query-points", "max-series", "max-series-name-bytes",
             "retention", "retention-check-interval", "shards", "timestamp-unit"],
            ReadTimeSeriesSection().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_store_settings_of_reference_conf_are_its_documented_defaults()
    {
        TimeSeriesSettings settings = TimeSeriesSettings.FromConfig(ConfigurationFactory.Default());

        Assert.Equal(GorillaSettings.Default, settings.Codec);
        Assert.Equal(256, settings.MaxSeriesNameBytes);
        Assert.Equal(100_000, settings.MaxPointsPerCommand);
        Assert.Equal(100_000, settings.MaxSeries);
        Assert.Equal(100_000, settings.MaxQueryPoints);
        Assert.Equal(TimeSpan.Zero, settings.Retention);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.RetentionCheckInterval);
        Assert.Equal(16, settings.Shards);
    }

    [Theory]
    [InlineData("max-points-per-command = 1000001", "akkaraft.time-series.max-points-per-command: expected 1 to 1000000, got 1000001")]
    [InlineData("shards = 0", "akkaraft.time-series.shards: expected 1 to 4096, got 0")]
    [InlineData("retention-check-interval = 10ms", "akkaraft.time-series.retention-check-interval: expected a duration of at least")]
    public void A_bad_store_setting_is_refused_with_its_path(string line, string expected)
    {
        Config config = ConfigurationFactory.ParseString("akkaraft.time-series." + line, "user.conf")
            .WithFallback(ConfigurationFactory.Default());

        ConfigException error = Assert.Throws<ConfigException>(() => TimeSeriesSettings.FromConfig(config));

        Assert.StartsWith(expected, error.Message);
    }

    [Theory]
    [InlineData("block-window-seconds = 0", "akkaraft.time-series.block-window-seconds: expected 1 to 16384, got 0")]
    [InlineData("block-window-seconds = 16385", "akkaraft.time-series.block-window-seconds: expected 1 to 16384, got 16385")]
    [InlineData("max-points-per-block = 65536", "akkaraft.time-series.max-points-per-block: expected 1 to 65535, got 65536")]
    [InlineData("timestamp-unit = hours", "akkaraft.time-series.timestamp-unit: expected 'seconds' or 'milliseconds', got 'hours'")]
    public void A_bad_time_series_setting_is_refused_with_its_path_and_origin(string line, string expected)
    {
        Config config = ConfigurationFactory.ParseString("akkaraft.time-series." + line, "user.conf")
            .WithFallback(ConfigurationFactory.Default());

        ConfigException error = Assert.Throws<ConfigException>(() => GorillaSettings.FromConfig(config));

        Assert.StartsWith(expected, error.Message);
        Assert.Contains("user.conf:1", error.Message);
    }

    [Fact]
    public void Milliseconds_can_be_chosen_as_the_default_unit_in_configuration()
    {
        Config config = ConfigurationFactory.ParseString("akkaraft.time-series.timestamp-unit = ms")
            .WithFallback(ConfigurationFactory.Default());

        Assert.Equal(TimestampUnit.Milliseconds, GorillaSettings.FromConfig(config).DefaultTimestampUnit);
    }

    [Fact]
    public void Every_time_series_setting_has_a_comment_above_it()
    {
        string[] lines = SectionLines();
        for (int i = 0; i < lines.Length; i++)
        {
            if (Setting().IsMatch(lines[i]))
            {
                Assert.True(i > 0 && lines[i - 1].TrimStart().StartsWith('#'), $"'{lines[i].Trim()}' has no comment line above it");
            }
        }
    }

    private static Dictionary<string, string> ReadTimeSeriesSection()
    {
        var settings = new Dictionary<string, string>();
        foreach (string line in SectionLines())
        {
            Match match = Setting().Match(line);
            if (match.Success)
            {
                settings[match.Groups["key"].Value] = match.Groups["value"].Value.Trim().Trim('"');
            }
        }

        return settings;
    }

    private static string[] SectionLines()
    {
        string text = File.ReadAllText(FindReferenceConf());
        int start = text.IndexOf("time-series {", StringComparison.Ordinal);
        Assert.True(start >= 0, "reference.conf has no time-series section");
        int end = text.IndexOf('}', start);
        return text[(start + "time-series {".Length)..end].Split('\n');
    }

    private static string FindReferenceConf()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "hocon", "reference.conf");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("hocon/reference.conf not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\s*(?<key>[a-z][a-z0-9-]*)\s*=\s*(?<value>[^#\r\n]+)")]
    private static partial Regex Setting();
}
