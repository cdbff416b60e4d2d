using System.Collections;

namespace AkkaRaft.Server.Cli;

/// <summary>What the commands read from the process, passed in so that tests can supply their own.</summary>
/// <param name="Variables">The environment variables (AKKARAFT__* settings and substitution fallbacks).</param>
public sealed record CliEnvironment(IDictionary<string, string?> Variables)
{
    /// <summary>The environment of this process.</summary>
    public static CliEnvironment FromProcess()
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = entry.Value as string;
        }

        return new CliEnvironment(variables);
    }
}
