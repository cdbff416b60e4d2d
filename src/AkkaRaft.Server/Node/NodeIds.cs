using System.Text;

namespace AkkaRaft.Server.Node;

/// <summary>
/// Raft identifies peers by number; people name nodes (<c>node01</c>). Every member computes the same number
/// from a name, so no table has to be agreed on first: FNV-1a (64 bit) of the name's UTF-8 bytes, 0 mapped to 1
/// (0 means "no node" in Raft).
/// </summary>
public static class NodeIds
{
    /// <summary>The Raft id of the node named <paramref name="name"/>.</summary>
    public static ulong RaftIdOf(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        const ulong offset = 14695981039346656037UL;
        const ulong prime = 1099511628211UL;
        var hash = offset;
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            hash ^= b;
            hash *= prime;
        }

        return hash == 0 ? 1 : hash;
    }

    /// <summary>
    /// Whether <paramref name="name"/> may name a node: at most <see cref="AkkaRaft.Configuration.NodeSettings.IdLengthMax"/>
    /// ASCII letters, digits, '-', '_' or '.' (the empty name passes: callers that need one say so).
    /// </summary>
    public static bool IsValidName(string name) =>
        name.Length <= AkkaRaft.Configuration.NodeSettings.IdLengthMax && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
