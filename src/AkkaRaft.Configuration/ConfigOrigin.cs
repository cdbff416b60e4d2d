namespace AkkaRaft.Configuration;

/// <summary>
/// Where a configuration value or an error comes from: a file (or another named source such as
/// <c>reference.conf</c>, an environment variable or a command-line option) and, when known, a line and column.
/// </summary>
/// <param name="Source">The file path or the name of the source.</param>
/// <param name="Line">1-based line, or 0 when the source has no lines (an environment variable).</param>
/// <param name="Column">1-based column in UTF-16 code units, or 0 when unknown.</param>
public sealed record ConfigOrigin(string Source, int Line = 0, int Column = 0)
{
    /// <summary>Renders as <c>source:line:column</c>, <c>source:line</c> or <c>source</c>, depending on what is known.</summary>
    public override string ToString() =>
        Line <= 0 ? Source : Column <= 0 ? $"{Source}:{Line}" : $"{Source}:{Line}:{Column}";
}
