using System.Globalization;
using System.Text.RegularExpressions;
using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries.Tests.Gorilla;

/// <summary>The defaults in code are the ones <c>hocon/reference.conf</c> documents, key for key.</summary>
public sealed partial class ReferenceConfTests
{
    [Fact]
    public void Time_series_section_of_reference_conf_matches_the_settings_defaults()
    {
        Dictionary<string, string> section = ReadTimeSeriesSection();
        Assert.Equal(["block-window-seconds", "max-points-per-block", "timestamp-unit"], section.Keys.Order());

        GorillaSettings defaults = GorillaSettings.Default;
        Assert.Equal(defaults.BlockWindowSeconds, int.Parse(section["block-window-seconds"], CultureInfo.InvariantCulture));
        Assert.Equal(defaults.MaxPointsPerBlock, int.Parse(section["max-points-per-block"], CultureInfo.InvariantCulture));
        Assert.Equal(defaults.DefaultTimestampUnit, GorillaSettings.ParseUnit(section["timestamp-unit"]));
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
