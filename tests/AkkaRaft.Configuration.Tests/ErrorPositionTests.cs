namespace AkkaRaft.Configuration.Tests;

/// <summary>Malformed input is refused with the file, line and column, and what was expected.</summary>
public class ErrorPositionTests
{
    public static TheoryData<string, int, int, string> Malformed => new()
    {
        { "a = [1, 2", 1, 10, "expected ']' to close the array opened at test.conf:1:5" },
        { "a {\n  b = 1\n", 3, 1, "expected '}' to close the object opened at test.conf:1:3" },
        { "a = 1 }", 1, 7, "unbalanced '}'" },
        { "a = \"abc", 1, 5, "never closed" },
        { "a = \"\"\"abc", 1, 5, "never closed" },
        { "a = \"ab\ncd\"", 1, 8, "cannot span lines" },
        { "a = 1,,\nb = 2", 1, 7, "unexpected ','" },
        { ",a = 1", 1, 1, "unexpected ','" },
        { "a = [1,,2]", 1, 8, "unexpected ','" },
        { "a = [,1]", 1, 6, "unexpected ','" },
        { "[1, 2]", 1, 1, "must be an object" },
        { "a = b:c", 1, 6, "':' cannot appear inside a value" },
        { "a = b=c", 1, 6, "'=' cannot appear inside a value" },
        { "a = ${}", 1, 5, "expected a substitution such as a.b.c" },
        { "a = $foo", 1, 5, "expected '{' after '$'" },
        { "a = ${b", 1, 5, "never closed" },
        { "a = ${b\n}", 1, 8, "expected a path or '}' inside the substitution" },
        { "a..b = 1", 1, 1, "empty element" },
        { "a. = 1", 1, 1, "empty element" },
        { ".a = 1", 1, 1, "empty element" },
        { "a = ${x..y}", 1, 7, "empty element" },
        { "a = 1\n  b 2", 2, 6, "expected ':', '=', '+=' or '{' after the key '\"b 2\"'" },
        { "a = \"\\q\"", 1, 6, "not a JSON escape" },
        { "a = \"\\u12G4\"", 1, 6, "four hexadecimal digits" },
        { "a = \"x\ty\"", 1, 7, "control character" },
        { "a = 1 + 2", 1, 7, "'+' is only allowed as part of '+='" },
        { "include foo", 1, 9, "expected a quoted file name after include" },
        { "include file(\"x.conf\"", 1, 22, "expected ')'" },
        { "a = @x", 1, 5, "reserved" },
        { "a = x`y", 1, 6, "reserved" },
        { "a = ?", 1, 5, "reserved" },
        { "a = \\x", 1, 5, "reserved" },
        { "a =", 1, 4, "expected a value for 'a', found end of input" },
        { "a = \n", 2, 1, "expected a value for 'a', found end of input" },
        { "a = 1, b =, c = 2", 1, 11, "expected a value for 'b', found ','" },
        { "{ a = 1 } b = 2", 1, 11, "expected end of input after the closing '}'" },
        { "= 1", 1, 1, "expected a key, found '='" },
        { "${a} = 1", 1, 1, "a key cannot hold a substitution" },
        { "a.${b} = 1", 1, 3, "a key cannot hold a substitution" },
        { "[a] = 1", 1, 1, "must be an object" },
        { "a { [b] = 1 }", 1, 5, "expected a key, found '['" },
        { "a { b = [1] x }", 1, 9, "cannot concatenate 'x' with an array" },
        { "a = [1] {b = 1}", 1, 5, "cannot concatenate an array with an object" },
        { "a = 1 2 ]", 1, 9, "expected ',', a new line or '}' after the field 'a', found ']'" },
        { "a = [1 2 }", 1, 10, "expected ',', a new line or ']' after an array element, found '}'" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_input_should_be_refused_with_line_column_and_what_was_expected(string text, int line, int column, string expected)
    {
        var error = Hocon.ParseError(text);
        Assert.NotNull(error.Origin);
        Assert.Equal(("test.conf", line, column), (error.Origin!.Source, error.Origin.Line, error.Origin.Column));
        Assert.StartsWith($"test.conf:{line}:{column}: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    public static TheoryData<string, int, int, string> Unresolvable => new()
    {
        { "a = ${x}", 1, 5, "cannot resolve ${x}: there is no setting x and no environment variable x" },
        { "a = 1\nb = foo ${c.d} bar", 2, 9, "no setting c.d" },
        { "a = ${b}\nb = ${a}", 2, 5, "substitution cycle a -> b -> a" },
        { "a = ${b}\nb = ${c}\nc = ${a}", 3, 5, "substitution cycle a -> b -> c -> a" },
        { "foo = ${foo}", 1, 7, "it refers to foo itself and foo has no earlier value" },
        { "foo = ${foo}\nfoo = { a = 1 }", 1, 7, "it refers to foo itself and foo has no earlier value" },
        { "a : { b : ${a} }", 1, 11, "substitution cycle a.b -> a -> a.b" },
        { "a : [${a}]", 1, 6, "substitution cycle a -> a (a substitution inside an array or object cannot refer to the field holding it)" },
        { "a = 1\na += 2", 2, 3, "cannot concatenate the number 1 (from test.conf:1:5) with an array" },
        { "a = { x = 1 }\nb = ${a} \" \" ${a}", 2, 5, "cannot concatenate ' ' with an object (from test.conf:1:5)" },
        { "a = 1\nb = ${a} [2]", 2, 5, "cannot concatenate the number 1 (from test.conf:1:5) with an array" },
    };

    [Theory]
    [MemberData(nameof(Unresolvable))]
    public void Unresolvable_substitutions_should_be_refused_naming_the_substitution_and_where_it_is(
        string text, int line, int column, string expected)
    {
        var error = Hocon.ParseError(text);
        Assert.Equal($"test.conf:{line}:{column}", error.Origin?.ToString());
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Columns_should_count_characters_after_tabs_and_multibyte_text()
    {
        Assert.Equal("test.conf:2:10", Hocon.ParseError("a {\n\tb = [ 1 }").Origin?.ToString());
        Assert.Equal("test.conf:1:11", Hocon.ParseError("été = [ 1 }").Origin?.ToString());
    }
}
