namespace AkkaRaft.Configuration.Tests;

/// <summary>
/// The equivalences HOCON.md states: the same object written with and without braces, commas, separators,
/// path keys, concatenations and substitutions resolves to the same JSON.
/// </summary>
public class SpecificationEquivalenceTests
{
    public static TheoryData<string, string> Equivalent => new()
    {
        // JSON superset, omitted root braces, separators, commas and newlines.
        { """{"a": 1, "b": {"c": [1, 2]}}""", "a = 1\nb { c = [1, 2] }" },
        { """{"a": 1, "b": {"c": [1, 2]}}""", "a: 1, b.c: [1\n2]" },
        { """{"a": 1, "b": {"c": [1, 2]}}""", "\"a\" = 1\nb = { \"c\" : [ 1 , 2 , ] }" },
        { """{"a": 1, "b": {"c": [1, 2]}}""", "{ a = 1, b = { c = [1,2] }, }" },
        { """{"a": 1, "b": {"c": [1, 2]}}""", "# comment\n// comment\na = 1 # trailing\nb { // open\n  c = [1, // one\n 2] }" },
        { """{"a": {"b": 1}}""", "a { b = 1 }" },
        { """{"a": {"b": 1}}""", "a = { b = 1 }" },
        { """{"a": {"b": 1}}""", "a : { b : 1 }" },
        { """{"a": [1, 2, 3]}""", "a = [1,2,3,]" },
        { """{"a": [1, 2, 3]}""", "a = [1\n2\n3]" },
        { """{"a": [1, 2, 3]}""", "a = [\n  1,\n  2,\n  3\n]" },
        { """{"a": {}}""", "a {}" },
        { """{}""", "" },
        { """{}""", "  \n # only a comment\n" },
        { """{}""", "{}" },
        { """{"a": 1}""", "\uFEFFa = 1" },
        { """{"a": 1}""", "a\u00A0=\u00A01" },
        { """{"a": 1}""", "a\t=\t1\r\n" },
        // Duplicate keys and object merging.
        { """{ "foo" : { "a" : 42 }, "foo" : { "b" : 43 } }""", """{ "foo" : { "a" : 42, "b" : 43 } }""" },
        { """{ "foo" : { "a" : 42 }, "foo" : null, "foo" : { "b" : 43 } }""", """{ "foo" : { "b" : 43 } }""" },
        { "a = 1\na = 2", "a = 2" },
        { "a = { x = 1 }\na = 7", "a = 7" },
        { "a = 7\na = { x = 1 }", "a { x = 1 }" },
        { "a { x { y = 1, z = 2 } }\na.x.z = 3", "a.x { y = 1, z = 3 }" },
        // Paths as keys.
        { "foo.bar : 42", "foo { bar : 42 }" },
        { "foo.bar.baz : 42", "foo { bar { baz : 42 } }" },
        { "a.x : 42, a.y : 43", "a { x : 42, y : 43 }" },
        { "a b c : 42", "\"a b c\" : 42" },
        { "true : 42", "\"true\" : 42" },
        { "3 : 42", "\"3\" : 42" },
        { "3.14 : 42", "\"3\" : { \"14\" : 42 }" },
        { "foo.\"bar.baz\" = 1", "foo { \"bar.baz\" = 1 }" },
        { "a.\"\".b = 1", "a { \"\" { b = 1 } }" },
        { "10.0foo = 1", "\"10\" { \"0foo\" = 1 }" },
        { "foo10.0 = 1", "foo10 { \"0\" = 1 }" },
        { "foo\"10.0\" = 1", "\"foo10.0\" = 1" },
        { "1.2.3 = 1", "\"1\" { \"2\" { \"3\" = 1 } }" },
        { "{ foo include : 42 }", "{ \"foo include\" : 42 }" },
        { "{ \"include\" : 42 }", "\"include\" = 42" },
        // Unquoted strings and string concatenation.
        { "a = foo bar baz", "a = \"foo bar baz\"" },
        { "a =   foo   bar   ", "a = \"foo   bar\"" },
        { "a = truefoo", "a = \"truefoo\"" },
        { "a = footrue", "a = \"footrue\"" },
        { "a = 10.0bar", "a = \"10.0bar\"" },
        { "a = bar10.0", "a = \"bar10.0\"" },
        { "a = 1.2.3", "a = \"1.2.3\"" },
        { "a = true foo", "a = \"true foo\"" },
        { "a = null foo", "a = \"null foo\"" },
        { "a = 1e5 x", "a = \"1e5 x\"" },
        { "a = foo\"bar\"baz", "a = \"foobarbaz\"" },
        { "a = include", "a = \"include\"" },
        { "a = [ include ]", "a = [\"include\"]" },
        { "a = \"\"\"x\n \"y\" \\n\"\"\"", "a = \"x\\n \\\"y\\\" \\\\n\"" },
        { "a = \"\"\"foo\"\"\"\"", "a = \"foo\\\"\"" },
        { "a = \"\"\"foo\"\"\"\"\"", "a = \"foo\\\"\\\"\"" },
        { "a = \"\\u0041\\t\\/\"", "a = \"A\\t/\"" },
        // Arrays without commas or newlines.
        { "a = [ 1 2 3 4 ]", "a = [\"1 2 3 4\"]" },
        { "a = [ [ 1, 2 ] [ 3, 4 ] ]", "a = [[1, 2, 3, 4]]" },
        { "a = [ [ 1, 2 ]\n  [ 3, 4 ] ]", "a = [[1, 2], [3, 4]]" },
        // Array and object concatenation.
        { "a : { b : 1, c : 2 }", "a : { b : 1 } { c : 2 }" },
        { "a : { b : 1, c : 2 }", "a : { b : 1 }\na : { c : 2 }" },
        { "a : [ 1, 2, 3, 4 ]", "a : [ 1, 2 ] [ 3, 4 ]" },
        { "a : [ 1, 2, 3, 4 ]", "a : [ 1, 2 ]\na : ${a} [ 3, 4 ]" },
        { "a : [ 1, 2, 3, 4 ]", "a = [1, 2]\na += 3\na += 4" },
        { "data-center-generic = { cluster-size = 6 }\ndata-center-east = ${data-center-generic} { name = \"east\" }",
          "data-center-generic { cluster-size = 6 }\ndata-center-east { cluster-size = 6, name = east }" },
        { "path = [ /bin ]\npath = ${path} [ /usr/bin ]", "path = [\"/bin\", \"/usr/bin\"]" },
        { "a = { x = 1 }\nb = ${a} ${a} { y = 2 }", "a.x = 1\nb { x = 1, y = 2 }" },
        { "a = [1]\nb = ${a}   ${a}", "a = [1]\nb = [1, 1]" },
        // Substitutions.
        { "x = 10\ny = ${x}", "x = 10\ny = 10" },
        { "x = 10\ny = ${x} apples", "x = 10\ny = \"10 apples\"" },
        { "x = 10\ny = ${x}\" apples\"", "x = 10\ny = \"10 apples\"" },
        { "y = ${x}\nx = 10", "y = 10\nx = 10" },
        { "x = null\ny = ${x}x", "x = null\ny = \"nullx\"" },
        { "x = true\ny = ${x}", "x = true\ny = true" },
        { "bar : { foo : 42, baz : ${bar.foo} }", "bar { foo = 42, baz = 42 }" },
        { "bar : { foo : 42, baz : ${bar.foo} }\nbar : { foo : 43 }", "bar { foo = 43, baz = 43 }" },
        { "bar : { a : ${foo.d}, b : 1 }\nbar.b = 3\nfoo : { c : ${bar.b}, d : 2 }\nfoo.d = 4",
          "bar { a = 4, b = 3 }\nfoo { c = 3, d = 4 }" },
        { "a = { b = { c = 5 } }\nd = ${a.b}", "a.b.c = 5\nd.c = 5" },
        { "a = [1, ${b}]\nb = 2", "a = [1, 2]\nb = 2" },
        { "a = [{ x = ${b} }]\nb = 2", "a = [{ x = 2 }]\nb = 2" },
        // Self-referential substitutions.
        { "path : \"a:b:c\"\npath : ${path}\":d\"", "path = \"a:b:c:d\"" },
        { "a = x\na = ${a}y\na = ${a}z", "a = xyz" },
        { "a = ${?a}foo", "a = foo" },
        { "foo : { a : 1 }\nfoo : ${foo}", "foo.a = 1" },
        { "foo : { a : { c : 1 } }\nfoo : ${foo.a}\nfoo : { a : 2 }", "foo { a = 2, c = 1 }" },
        { "foo : ${does-not-exist}\nfoo : 42", "foo = 42" },
        { "foo : ${foo}\nfoo : 42", "foo = 42" },
        { "foo : ${?foo}", "{}" },
        { "foo : ${?bar}${?baz}", "{}" },
        { "a = 1\na = ${?nope}", "a = 1" },
        { "a = [${?nope}, 1]", "a = [1]" },
        { "a { b = 1 }\na = ${a} { c = 2 }", "a { b = 1, c = 2 }" },
        { "a { b = 1 }\na { b = ${a.b}0 }", "a.b = \"10\"" },
        { "x { a += 1 }\nx { a += 2 }", "x.a = [1, 2]" },
        { "a += 1", "a = [1]" },
        { "a += { b = 1 }", "a = [{ b = 1 }]" },
        { "a = ${?b} [1]", "a = [1]" },
        { "a = { x = 1 }\nb = ${?nope} ${a}", "a.x = 1\nb.x = 1" },
        // Numerically indexed objects where arrays are expected.
        { "a = [0]\nb { \"0\" = x, \"2\" = z, \"1\" = y }\nc = ${a} ${b}", "a = [0]\nb { \"0\" = x, \"1\" = y, \"2\" = z }\nc = [0, x, y, z]" },
    };

    [Theory]
    [MemberData(nameof(Equivalent))]
    public void Both_writings_should_resolve_to_the_same_json(string first, string second)
    {
        Assert.Equal(Hocon.CanonicalJson(second), Hocon.CanonicalJson(first));
    }

    public static TheoryData<string, string> Exact => new()
    {
        { "a = 1", """{"a":1}""" },
        { "a = -1.5e3", """{"a":-1.5e3}""" },
        { "a = 0123", """{"a":"0123"}""" },
        { "a = 10.50", """{"a":10.50}""" },
        { "a = true, b = false, c = null", """{"a":true,"b":false,"c":null}""" },
        { "a = \"x\"", """{"a":"x"}""" },
        { "b = 1\na = 2", """{"b":1,"a":2}""" },
        { "a { \"quote\\\"d\" = \"tab\\there\" }", """{"a":{"quote\"d":"tab\there"}}""" },
    };

    [Theory]
    [MemberData(nameof(Exact))]
    public void Json_rendering_should_keep_order_numbers_as_written_and_escape_strings(string hocon, string json)
    {
        Assert.Equal(json, Hocon.Parse(hocon).ToJson(indented: false));
    }

    [Theory]
    [MemberData(nameof(Equivalent))]
    public void Hocon_rendering_should_parse_back_to_the_same_tree(string first, string second)
    {
        foreach (var text in new[] { first, second })
        {
            var config = Hocon.Parse(text);
            Assert.Equal(config.ToJson(), Hocon.Parse(config.ToHocon()).ToJson());
            Assert.Equal(config.ToJson(), Hocon.Parse(config.ToHocon(withOrigins: true)).ToJson());
            Assert.Equal(config.ToJson(), Hocon.Parse(config.ToJson()).ToJson());
        }
    }
}
