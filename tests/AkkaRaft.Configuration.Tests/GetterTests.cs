namespace AkkaRaft.Configuration.Tests;

/// <summary>The typed getters: conversions, units, defaults and the errors for missing or bad values.</summary>
public class GetterTests
{
    public static TheoryData<string, long> Durations => new()
    {
        { "500ms", 500 * TimeSpan.TicksPerMillisecond },
        { "500", 500 * TimeSpan.TicksPerMillisecond },
        { "\"500\"", 500 * TimeSpan.TicksPerMillisecond },
        { "5 s", 5 * TimeSpan.TicksPerSecond },
        { "5s", 5 * TimeSpan.TicksPerSecond },
        { "1 second", TimeSpan.TicksPerSecond },
        { "2 seconds", 2 * TimeSpan.TicksPerSecond },
        { "1.5s", 15 * TimeSpan.TicksPerSecond / 10 },
        { "2 minutes", 2 * TimeSpan.TicksPerMinute },
        { "2m", 2 * TimeSpan.TicksPerMinute },
        { "1 minute", TimeSpan.TicksPerMinute },
        { "3h", 3 * TimeSpan.TicksPerHour },
        { "3 hours", 3 * TimeSpan.TicksPerHour },
        { "1 hour", TimeSpan.TicksPerHour },
        { "1d", TimeSpan.TicksPerDay },
        { "7 days", 7 * TimeSpan.TicksPerDay },
        { "1 day", TimeSpan.TicksPerDay },
        { "250 milliseconds", 250 * TimeSpan.TicksPerMillisecond },
        { "1 millisecond", TimeSpan.TicksPerMillisecond },
        { "10 us", 100 },
        { "10 microseconds", 100 },
        { "1 microsecond", 10 },
        { "1000 ns", 10 },
        { "1000 nanoseconds", 10 },
        { "100 nanosecond", 1 },
        { "0", 0 },
        { "\" 42 ms \"", 42 * TimeSpan.TicksPerMillisecond },
        { "-5 s", -5 * TimeSpan.TicksPerSecond },
        { "1e3 ms", TimeSpan.TicksPerSecond },
    };

    [Theory]
    [MemberData(nameof(Durations))]
    public void GetTimeSpan_should_read_every_unit_of_the_duration_format(string value, long ticks)
    {
        Assert.Equal(TimeSpan.FromTicks(ticks), Hocon.Parse($"t = {value}").GetTimeSpan("t"));
    }

    [Theory]
    [InlineData("abc", "'abc'")]
    [InlineData("5 parsecs", "'5 parsecs'")]
    [InlineData("5 MS", "'5 MS'")]
    [InlineData("5 Seconds", "'5 Seconds'")]
    [InlineData("ms", "'ms'")]
    [InlineData("true", "the boolean true")]
    [InlineData("[1]", "an array")]
    [InlineData("{ a = 1 }", "an object")]
    [InlineData("1e30 days", "'1e30 days'")]
    public void GetTimeSpan_should_refuse_a_bad_value_naming_path_value_and_origin(string value, string described)
    {
        var config = Hocon.Parse($"a.t = {value}");
        var error = Assert.Throws<ConfigException>(() => config.GetTimeSpan("a.t"));
        Assert.Equal($"a.t: expected a duration such as 500ms, got {described} (test.conf:1:7)", error.Message);
        Assert.Equal("test.conf:1:7", error.Origin?.ToString());
    }

    public static TheoryData<string, long> Sizes => new()
    {
        { "100", 100 },
        { "100B", 100 },
        { "100 b", 100 },
        { "1 byte", 1 },
        { "2 bytes", 2 },
        { "10MB", 10_000_000 },
        { "10 megabytes", 10_000_000 },
        { "10MiB", 10 * 1024 * 1024 },
        { "10 Mi", 10 * 1024 * 1024 },
        { "10M", 10 * 1024 * 1024 },
        { "10m", 10 * 1024 * 1024 },
        { "10 mebibytes", 10 * 1024 * 1024 },
        { "512k", 512 * 1024 },
        { "512K", 512 * 1024 },
        { "512 Ki", 512 * 1024 },
        { "512KiB", 512 * 1024 },
        { "1 kibibyte", 1024 },
        { "1kB", 1000 },
        { "1 kilobyte", 1000 },
        { "2 kilobytes", 2000 },
        { "1GB", 1_000_000_000 },
        { "1 gigabyte", 1_000_000_000 },
        { "1G", 1L << 30 },
        { "1g", 1L << 30 },
        { "1GiB", 1L << 30 },
        { "1 gibibytes", 1L << 30 },
        { "1TB", 1_000_000_000_000 },
        { "1 TiB", 1L << 40 },
        { "1t", 1L << 40 },
        { "1PB", 1_000_000_000_000_000 },
        { "1P", 1L << 50 },
        { "1 pebibyte", 1L << 50 },
        { "1EB", 1_000_000_000_000_000_000 },
        { "7E", 7L << 60 },
        { "7 exbibytes", 7L << 60 },
        { "1.5k", 1536 },
        { "\"64 MiB\"", 64L << 20 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void GetByteSize_should_read_powers_of_ten_and_of_two_as_the_spec_table_says(string value, long bytes)
    {
        Assert.Equal(bytes, Hocon.Parse($"s = {value}").GetByteSize("s"));
    }

    [Theory]
    [InlineData("5 KB")]
    [InlineData("5 mb")]
    [InlineData("5 bits")]
    [InlineData("8E")]
    [InlineData("1 ZB")]
    [InlineData("lots")]
    public void GetByteSize_should_refuse_unknown_units_and_sizes_beyond_a_long(string value)
    {
        var config = Hocon.Parse($"s = {value}");
        var error = Assert.Throws<ConfigException>(() => config.GetByteSize("s"));
        Assert.StartsWith("s: expected a size in bytes such as 64MiB, got ", error.Message);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("on", true)]
    [InlineData("off", false)]
    [InlineData("yes", true)]
    [InlineData("no", false)]
    [InlineData("\"true\"", true)]
    [InlineData("\"off\"", false)]
    public void GetBoolean_should_accept_the_six_spellings(string value, bool expected)
    {
        Assert.Equal(expected, Hocon.Parse($"b = {value}").GetBoolean("b"));
    }

    [Theory]
    [InlineData("enabled")]
    [InlineData("1")]
    [InlineData("TRUE")]
    [InlineData("null")]
    public void GetBoolean_should_refuse_anything_else(string value)
    {
        var config = Hocon.Parse($"b = {value}");
        var error = Assert.Throws<ConfigException>(() => config.GetBoolean("b"));
        Assert.Contains("b: expected a boolean (true/false, on/off, yes/no), got ", error.Message);
    }

    [Theory]
    [InlineData("42", 42)]
    [InlineData("\"42\"", 42)]
    [InlineData("-7", -7)]
    [InlineData("1e3", 1000)]
    [InlineData("2147483647", int.MaxValue)]
    public void GetInt_should_read_integers_written_as_numbers_or_strings(string value, int expected)
    {
        Assert.Equal(expected, Hocon.Parse($"i = {value}").GetInt("i"));
    }

    [Theory]
    [InlineData("2147483648")]
    [InlineData("1.5")]
    [InlineData("ten")]
    [InlineData("[1]")]
    public void GetInt_should_refuse_values_that_are_not_32_bit_integers(string value)
    {
        var config = Hocon.Parse($"i = {value}");
        var error = Assert.Throws<ConfigException>(() => config.GetInt("i"));
        Assert.StartsWith("i: expected a 32-bit integer, got ", error.Message);
    }

    [Fact]
    public void GetLong_and_GetDouble_should_read_their_ranges()
    {
        var config = Hocon.Parse("l = 9223372036854775807\nd = 1.5e-3\ns = \"2.5\"\nbig = 1e400");
        Assert.Equal(long.MaxValue, config.GetLong("l"));
        Assert.Equal(0.0015, config.GetDouble("d"));
        Assert.Equal(2.5, config.GetDouble("s"));
        Assert.Throws<ConfigException>(() => config.GetDouble("big"));
    }

    [Fact]
    public void GetString_should_convert_numbers_as_written_and_booleans()
    {
        var config = Hocon.Parse("n = 10.50\nb = true\ns = hello world");
        Assert.Equal("10.50", config.GetString("n"));
        Assert.Equal("true", config.GetString("b"));
        Assert.Equal("hello world", config.GetString("s"));
        Assert.Throws<ConfigException>(() => config.GetString("missing"));
    }

    [Fact]
    public void Getters_with_a_default_should_use_it_only_when_the_path_is_missing_or_null()
    {
        var config = Hocon.Parse("t = abc\nn = null\ni = 5");
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan("missing", TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan("n", TimeSpan.FromSeconds(1)));
        Assert.Equal(5, config.GetInt("i", 9));
        Assert.Equal("d", config.GetString("a.b.c", "d"));
        var error = Assert.Throws<ConfigException>(() => config.GetTimeSpan("t", TimeSpan.FromSeconds(1)));
        Assert.Contains("got 'abc'", error.Message);
        Assert.Throws<ConfigException>(() => config.GetInt("t", 3));
        Assert.Throws<ConfigException>(() => config.GetBoolean("i", true));
    }

    [Fact]
    public void Getters_without_a_default_should_name_the_missing_path_or_the_null()
    {
        var config = Hocon.Parse("n = null");
        Assert.Equal("akkaraft.raft.election-timeout: missing setting; expected a duration such as 500ms",
            Assert.Throws<ConfigException>(() => config.GetTimeSpan("akkaraft.raft.election-timeout")).Message);
        Assert.Equal("n: expected a 32-bit integer, got null (test.conf:1:5)",
            Assert.Throws<ConfigException>(() => config.GetInt("n")).Message);
    }

    [Fact]
    public void A_path_through_a_non_object_should_be_an_error_naming_the_blocking_value()
    {
        var config = Hocon.Parse("a = 5");
        var error = Assert.Throws<ConfigException>(() => config.GetInt("a.b", 1));
        Assert.Equal("a.b: expected a 32-bit integer, but a is the number 5, not an object (test.conf:1:5)", error.Message);
        Assert.False(config.HasPath("a.b"));
    }

    [Fact]
    public void GetStringList_should_read_arrays_and_numerically_indexed_objects()
    {
        var config = Hocon.Parse("a = [x, 1, true]\nb { \"1\" = y, \"0\" = x, other = z }\nc = [x, [y]]\nd = [x, null]");
        Assert.Equal(["x", "1", "true"], config.GetStringList("a"));
        Assert.Equal(["x", "y"], config.GetStringList("b"));
        Assert.Equal(["q"], config.GetStringList("missing", ["q"]));
        Assert.Equal("c[1]: expected a string, got an array (test.conf:3:9)",
            Assert.Throws<ConfigException>(() => config.GetStringList("c")).Message);
        Assert.Contains("d[1]: expected a string, got null", Assert.Throws<ConfigException>(() => config.GetStringList("d")).Message);
        Assert.Equal([1, 2], Hocon.Parse("a = [1, \"2\"]").GetIntList("a"));
    }

    [Fact]
    public void GetConfigList_should_read_an_array_of_objects()
    {
        var config = Hocon.Parse("peers = [{ id = a, port = 1 }, { id = b, port = 2 }]\nbad = [{ id = c }, 3]");
        var peers = config.GetConfigList("peers");
        Assert.Equal(["a", "b"], peers.Select(p => p.GetString("id")));
        Assert.Equal(2, peers[1].GetInt("port"));
        Assert.Equal("bad[1]: expected an object, got the number 3 (test.conf:2:20)",
            Assert.Throws<ConfigException>(() => config.GetConfigList("bad")).Message);
    }

    [Fact]
    public void GetConfig_should_return_the_subtree_with_relative_paths_or_empty_when_missing()
    {
        var config = Hocon.Parse("a { b { c = 1 } }\nx = 3");
        var sub = config.GetConfig("a.b");
        Assert.Equal(1, sub.GetInt("c"));
        Assert.Equal(["c"], sub.Keys);
        Assert.True(config.GetConfig("nope").IsEmpty);
        Assert.Same(Config.Empty, config.GetConfig("nope"));
        Assert.Throws<ConfigException>(() => config.GetConfig("x"));
    }

    [Fact]
    public void HasPath_should_be_false_for_missing_and_null_values()
    {
        var config = Hocon.Parse("a { b = 1, n = null }\n\"x.y\" = 2");
        Assert.True(config.HasPath("a"));
        Assert.True(config.HasPath("a.b"));
        Assert.False(config.HasPath("a.n"));
        Assert.False(config.HasPath("a.c"));
        Assert.True(config.HasPath("\"x.y\""));
        Assert.False(config.HasPath("x.y"));
    }

    [Fact]
    public void WithFallback_should_merge_objects_and_let_the_receiver_win()
    {
        var high = Hocon.Parse("a { x = 1 }\nb = 2");
        var low = Hocon.Parse("a { x = 9, y = 2 }\nb { z = 1 }\nc = 3");
        var merged = high.WithFallback(low);
        Assert.Equal(Hocon.Canonical("""{"a":{"x":1,"y":2},"b":2,"c":3}"""), Hocon.Canonical(merged.ToJson()));
        Assert.Same(high, high.WithFallback(Config.Empty));
        Assert.Same(low, Config.Empty.WithFallback(low));
    }

    [Fact]
    public void Merging_three_objects_should_only_merge_adjacent_objects_as_the_spec_says()
    {
        var first = Hocon.Parse("a { x = 1 }");
        var number = Hocon.Parse("a = 42");
        var other = Hocon.Parse("a { y = 2 }");
        Assert.Equal("""{"a":{"x":1}}""", first.WithFallback(number).WithFallback(other).ToJson(indented: false));
        Assert.Equal(Hocon.Canonical("""{"a":{"x":1,"y":2}}"""), Hocon.Canonical(first.WithFallback(other).WithFallback(number).ToJson()));
    }

    [Fact]
    public void Keys_and_AsEnumerable_should_list_the_tree_in_order()
    {
        var config = Hocon.Parse("b = 1\na { \"x.y\" = s, list = [1, 2], n = null, e {} }");
        Assert.Equal(["b", "a"], config.Keys);
        Assert.Equal(
            [new("b", "1"), new("a.\"x.y\"", "s"), new("a.list", "[1,2]"), new("a.n", "null")],
            config.AsEnumerable().ToList());
        Assert.True(Config.Empty.IsEmpty);
        Assert.False(config.IsEmpty);
    }

    [Fact]
    public void GetOrigin_should_say_where_a_value_was_written()
    {
        var config = Hocon.Parse("a {\n  b = 1\n}");
        Assert.Equal(new ConfigOrigin("test.conf", 2, 7), config.GetOrigin("a.b"));
        Assert.Null(config.GetOrigin("a.c"));
    }

    [Fact]
    public void A_malformed_path_given_to_a_getter_should_be_refused()
    {
        var config = Hocon.Parse("a = 1");
        Assert.Throws<ConfigException>(() => config.GetInt("a..b"));
        Assert.Throws<ConfigException>(() => config.GetInt(""));
        Assert.Throws<ConfigException>(() => config.GetInt("a{"));
    }

    [Fact]
    public void Rendering_should_quote_keys_and_strings_that_need_it()
    {
        var config = Hocon.Parse("""
            "include" = 1
            "a.b" = "x.y"
            "" = ""
            "true" = "true"
            t = "tab\there"
            u = "été ✓"
            n = "123"
            list = ["a b", "{", 1]
            objs = [{ a = 1 }, { b = [2] }]
            """);
        var hocon = config.ToHocon();
        Assert.Contains("\"include\" = 1", hocon);
        Assert.Contains("\"a.b\" = \"x.y\"", hocon);
        Assert.Equal(config.ToJson(), Hocon.Parse(hocon).ToJson());
    }
}
