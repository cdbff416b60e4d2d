namespace AkkaRaft.Configuration.Tests;

/// <summary>HOCON.md, "Includes": syntax, merging, substitution fix-up, missing and required files.</summary>
public sealed class IncludeTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Config Load(string main) => ConfigurationFactory.ParseFile(_dir.Write("main.conf", main));

    [Theory]
    [InlineData("include \"other.conf\"")]
    [InlineData("include file(\"other.conf\")")]
    [InlineData("include required(\"other.conf\")")]
    [InlineData("include required(file(\"other.conf\"))")]
    [InlineData("include   required(  file(  \"other.conf\"  )  )")]
    [InlineData("include\n\"other.conf\"")]
    [InlineData("include \"other\"")]
    [InlineData("include url(\"OTHER\")")]
    public void Every_include_form_should_read_the_file_next_to_the_including_file(string statement)
    {
        var other = _dir.Write("other.conf", "x = 1\ny { z = 2 }");
        var config = Load(statement.Replace("OTHER", new Uri(other).AbsoluteUri));
        Assert.Equal(1, config.GetInt("x"));
        Assert.Equal(2, config.GetInt("y.z"));
    }

    [Fact]
    public void Included_keys_should_merge_with_earlier_keys_and_later_keys_should_win()
    {
        _dir.Write("other.conf", "a { from-other = 1, shared = other }\nb = other");
        var config = Load("a { before = 1, shared = main }\nb = main\ninclude \"other.conf\"\nb = after");
        Assert.Equal(Hocon.Canonical("""{"a":{"before":1,"shared":"other","from-other":1},"b":"after"}"""), Hocon.Canonical(config.ToJson()));
    }

    [Fact]
    public void Relative_includes_should_be_taken_from_the_including_files_directory_at_every_level()
    {
        _dir.Write("sub/first.conf", "include \"deeper/second.conf\"\nfirst = 1");
        _dir.Write("sub/deeper/second.conf", "include \"../third.conf\"\nsecond = 2");
        _dir.Write("sub/third.conf", "third = 3");
        var config = Load("include \"sub/first.conf\"");
        Assert.Equal([1, 2, 3], new[] { config.GetInt("first"), config.GetInt("second"), config.GetInt("third") });
    }

    [Fact]
    public void An_include_inside_an_object_should_fix_up_its_substitutions_as_the_spec_example_says()
    {
        _dir.Write("foo.conf", "{ x : 10, y : ${x} }");
        Assert.Equal(10, Load("{ a : { include \"foo.conf\" } }").GetInt("a.y"));
        Assert.Equal(42, Load("{\n  a : { include \"foo.conf\" }\n  a : { x : 42 }\n}").GetInt("a.y"));
    }

    [Fact]
    public void A_substitution_in_an_included_file_should_fall_back_to_the_root_of_the_whole_configuration()
    {
        _dir.Write("part.conf", "greeting = hello ${name}");
        var config = Load("name = world\nsection { include \"part.conf\" }");
        Assert.Equal("hello world", config.GetString("section.greeting"));
    }

    [Fact]
    public void Self_references_and_appends_in_an_included_file_should_see_the_including_files_earlier_values()
    {
        _dir.Write("more.conf", "list += c\npath = ${path}\":/extra\"\nopt = ${?opt} [x]");
        var config = Load("section {\n  list = [a, b]\n  path = /bin\n  include \"more.conf\"\n}");
        Assert.Equal(["a", "b", "c"], config.GetStringList("section.list"));
        Assert.Equal("/bin:/extra", config.GetString("section.path"));
        Assert.Equal(["x"], config.GetStringList("section.opt"));
    }

    [Fact]
    public void A_missing_include_should_be_ignored_but_a_missing_required_include_is_an_error_naming_it()
    {
        Assert.Equal(1, Load("include \"missing.conf\"\na = 1").GetInt("a"));
        Assert.Equal(1, Load("include file(\"missing.conf\")\na = 1").GetInt("a"));
        var error = Assert.Throws<ConfigException>(() => Load("a = 1\n  include required(\"missing.conf\")"));
        Assert.Equal(Path.Combine(_dir.Path, "main.conf") + ":2:3", error.Origin?.ToString());
        Assert.Contains("required include 'missing.conf' was not found", error.Message);
        Assert.Contains(Path.Combine(_dir.Path, "missing.conf"), error.Message);
    }

    [Fact]
    public void A_basename_include_should_load_json_then_conf_and_merge_them()
    {
        _dir.Write("both.json", """{ "a": 1, "b": 1 }""");
        _dir.Write("both.conf", "b = 2");
        var config = Load("include \"both\"");
        Assert.Equal((1, 2), (config.GetInt("a"), config.GetInt("b")));
    }

    [Fact]
    public void An_include_cycle_should_be_an_error_naming_the_files()
    {
        _dir.Write("a.conf", "include \"b.conf\"");
        _dir.Write("b.conf", "include \"a.conf\"");
        var error = Assert.Throws<ConfigException>(() => Load("include \"a.conf\""));
        Assert.Contains("include cycle:", error.Message);
        Assert.Contains("a.conf -> ", error.Message);
    }

    [Fact]
    public void An_included_file_holding_an_array_should_be_refused()
    {
        _dir.Write("array.conf", "[1, 2]");
        var error = Assert.Throws<ConfigException>(() => Load("include \"array.conf\""));
        Assert.Contains("array.conf:1:1: a configuration document must be an object", error.Message);
    }

    [Fact]
    public void A_parse_error_in_an_included_file_should_name_that_file_line_and_column()
    {
        var bad = _dir.Write("bad.conf", "ok = 1\nbroken = [1,");
        var error = Assert.Throws<ConfigException>(() => Load("include \"bad.conf\""));
        Assert.Equal(new ConfigOrigin(bad, 2, 13), error.Origin);
    }

    [Fact]
    public void A_classpath_include_should_read_the_embedded_reference_configuration()
    {
        var config = Load("include classpath(\"reference.conf\")");
        Assert.Equal("./data", config.GetString("akkaraft.node.data-dir"));
    }

    [Fact]
    public void Including_a_remote_url_should_be_refused_clearly()
    {
        var error = Assert.Throws<ConfigException>(() => Load("include url(\"http://example.com/x.conf\")"));
        Assert.Contains("only files and embedded resources can be included, not http: URLs", error.Message);
    }

    [Fact]
    public void Include_is_only_special_at_the_start_of_a_key()
    {
        var config = Hocon.Parse("a = include\n\"include\" = 2\nfoo include = 3");
        Assert.Equal("include", config.GetString("a"));
        Assert.Equal(2, config.GetInt("\"include\""));
        Assert.Equal(3, config.GetInt("\"foo include\""));
    }
}
