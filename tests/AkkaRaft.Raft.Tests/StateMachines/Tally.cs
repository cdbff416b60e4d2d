using Akka.Actor;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Raft.Tests.StateMachines;

// A small typed state machine and its messages for the tests: tallies per name. Tally.AllowedTypes lists what a
// node lets Hyperion read; Secret and Inner are left out on purpose.

/// <summary>A tally command.</summary>
public interface ITallyCommand;

/// <summary>Adds <paramref name="Amount"/> to <paramref name="Name"/>'s tally.</summary>
public sealed record Add(string Name, int Amount) : ITallyCommand;

/// <summary>Sets <paramref name="Name"/>'s tally to 0.</summary>
public sealed record Reset(string Name) : ITallyCommand;

/// <summary>A command whose type no node allows.</summary>
public sealed record Secret(string Name) : ITallyCommand;

/// <summary>A command whose type is allowed but holds one that is not (<see cref="Inner"/>).</summary>
public sealed record Holder(Inner Inner) : ITallyCommand;

/// <summary>Not allowed anywhere.</summary>
public sealed record Inner(string Name);

/// <summary>The query: <paramref name="Name"/>'s tally.</summary>
public sealed record TotalOf(string Name);

/// <summary>The answer to every command and query: <paramref name="Name"/>'s tally after it.</summary>
public sealed record Total(string Name, long Amount);

/// <summary>Tallies per name; deterministic.</summary>
public sealed class Tally(ActorSystem system) : TypedStateMachine<ITallyCommand, TotalOf>(system)
{
    /// <summary>The allowed-types value of the tests' nodes: every type above but <see cref="Secret"/> and <see cref="Inner"/>.</summary>
    public const string AllowedTypes = """
        [
          "AkkaRaft.Raft.Tests.StateMachines.Add, AkkaRaft.Raft.Tests",
          "AkkaRaft.Raft.Tests.StateMachines.Reset, AkkaRaft.Raft.Tests",
          "AkkaRaft.Raft.Tests.StateMachines.Holder, AkkaRaft.Raft.Tests",
          "AkkaRaft.Raft.Tests.StateMachines.TotalOf, AkkaRaft.Raft.Tests",
          "AkkaRaft.Raft.Tests.StateMachines.Total, AkkaRaft.Raft.Tests"
        ]
        """;

    private readonly SortedDictionary<string, long> _totals = new(StringComparer.Ordinal);

    /// <inheritdoc />
    protected override object Apply(in ApplyContext context, ITallyCommand command)
    {
        switch (command)
        {
            case Add add:
                return new Total(add.Name, _totals[add.Name] = _totals.GetValueOrDefault(add.Name) + add.Amount);
            case Reset reset:
                _totals.Remove(reset.Name);
                return new Total(reset.Name, 0);
            case Secret secret:
                return new Total(secret.Name, _totals[secret.Name] = -1);
            case Holder holder:
                return new Total(holder.Inner.Name, _totals.GetValueOrDefault(holder.Inner.Name));
            default:
                return new Total("", 0);
        }
    }

    /// <inheritdoc />
    protected override object Query(TotalOf query) => new Total(query.Name, _totals.GetValueOrDefault(query.Name));

    /// <inheritdoc />
    public override void WriteSnapshot(Stream output)
    {
        using var writer = new BinaryWriter(output, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(_totals.Count);
        foreach (var (name, amount) in _totals)
        {
            writer.Write(name);
            writer.Write(amount);
        }
    }

    /// <inheritdoc />
    public override void RestoreSnapshot(Stream input)
    {
        var restored = new SortedDictionary<string, long>(StringComparer.Ordinal);
        try
        {
            using var reader = new BinaryReader(input, System.Text.Encoding.UTF8, leaveOpen: true);
            var count = reader.ReadInt32();
            for (var i = 0; i < count; i++) restored[reader.ReadString()] = reader.ReadInt64();
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidSnapshotException("the tally snapshot ends early", e);
        }

        _totals.Clear();
        foreach (var (name, amount) in restored) _totals[name] = amount;
    }
}
