namespace AkkaRaft.Configuration.Tests;

/// <summary>
/// Seeded random input: every text either parses, or is refused with a <see cref="ConfigException"/>; nothing else
/// (no IndexOutOfRange, no InvalidCast, no stack overflow). A failure prints its seed and the input.
/// </summary>
public class RobustnessTests
{
    private static readonly string[] Pieces =
    [
        "a", "b", "a.b", "\"q\"", "\"\"\"t\"\"\"", "1", "-2.5e3", "true", "null", "include", "include \"x.conf\"",
        "include required(\"nope.conf\")", " ", "\t", "\n", ",", ":", "=", "+=", "{", "}", "[", "]", "${a}", "${?b}",
        "${a.b}", "${?a}", "//c\n", "#c\n", "$", "?", "\"", "\\", "ms", "10MB", ".", "..", "\"a.b\"", "\u00A0", "é",
    ];

    public static TheoryData<int> Seeds => new(Enumerable.Range(1, 40));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_text_should_parse_or_be_refused_with_a_config_exception(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 100; round++)
        {
            var length = random.Next(1, 30);
            var text = string.Concat(Enumerable.Range(0, length).Select(_ => Pieces[random.Next(Pieces.Length)]));
            try
            {
                var config = ConfigurationFactory.ParseString(text, "random.conf");
                // Whatever parsed must render and parse back to the same tree.
                Assert.Equal(config.ToJson(), ConfigurationFactory.ParseString(config.ToHocon()).ToJson());
            }
            catch (ConfigException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message), $"seed {seed}, round {round}: empty message for {text}");
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed}, round {round}: {e.GetType().Name} for input {System.Text.Json.JsonSerializer.Serialize(text)}: {e}");
            }
        }
    }
}
