using System.Diagnostics.CodeAnalysis;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using DisabledTypeFilter = Hyperion.DisabledTypeFilter;
using Hyperion.Internal;

namespace AkkaRaft.Client.Typed;

/// <summary>
/// How an actor system turns an app's own objects into the <see cref="SerializedPayload"/>s that <see cref="TypedWrite"/>,
/// <see cref="TypedQuery"/> and their answers carry, and back: with Akka's serialization, Hyperion for every type that
/// is bound to nothing more specific, never Akka's JSON serializer. One per actor system (an Akka extension):
/// <c>PayloadSerialization.Get(system)</c>.
/// </summary>
/// <remarks>
/// <para>
/// A node reads a payload only with <see cref="TryDeserialize"/>, which refuses what Hyperion's type filter refuses and
/// refuses to read at all unless <c>akka.actor.serialization-settings.hyperion.disallow-unsafe-type</c> is on and
/// <c>allowed-types</c> lists something: Hyperion creates whatever type the bytes name, so without that list any
/// type in the process could be created from a client's bytes.
/// </para>
/// <para>
/// Writing goes through a second Hyperion serializer with the same settings and no type filter. Hyperion 0.12.2 checks
/// its filter on the way out too, but against the type's full assembly-qualified name, while the filter holds the short
/// names <c>allowed-types</c> lists, so a serializer with a filter refuses to write even the types it allows (Akka's
/// own type-filter test writes with a separate, unfiltered serializer for that reason). Writing is not where the
/// danger is; the filter stays on the reading side, where Hyperion applies it to every type named in the bytes.
/// </para>
/// </remarks>
public sealed class PayloadSerialization : IExtension
{
    /// <summary>The name Hyperion is registered under in <c>akka.actor.serializers</c>; types bound to nothing more specific go to it.</summary>
    public const string HyperionName = "hyperion";

    /// <summary>The setting listing the types Hyperion may deserialize.</summary>
    public const string AllowedTypesPath = "akka.actor.serialization-settings.hyperion.allowed-types";

    /// <summary>The setting without which Hyperion ignores <see cref="AllowedTypesPath"/>.</summary>
    public const string DisallowUnsafeTypePath = "akka.actor.serialization-settings.hyperion.disallow-unsafe-type";

    /// <summary>Akka's <c>NewtonSoftJsonSerializer</c> (its <c>Identifier</c>): it creates whatever type a payload names, so no payload of it is read.</summary>
    internal const int AkkaJsonSerializerId = 1;

    private readonly ExtendedActorSystem _system;
    private volatile WriterOf? _writer;

    private PayloadSerialization(ExtendedActorSystem system) => _system = system;

    /// <summary>The instance of <paramref name="system"/>.</summary>
    public static PayloadSerialization Get(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return system.WithExtension<PayloadSerialization, Provider>();
    }

    /// <summary>
    /// Serializes <paramref name="value"/> with the serializer Akka binds to its type, Hyperion when the type is bound to
    /// nothing more specific than <c>System.Object</c>.
    /// </summary>
    /// <exception cref="SerializationException">The type is bound to Akka's JSON serializer (or Hyperion is not
    /// registered, so Akka falls back to JSON), its serializer needs a type manifest, or the serializer fails.</exception>
    public SerializedPayload Serialize(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        // Hyperion's surrogates write actor refs with the transport's address: give them this system's when no
        // remote send is under way (an in-process request serialized by its peer).
        return Akka.Serialization.Serialization.WithTransport(_system, (this, value), static state => state.Item1.SerializeNow(state.value));
    }

    private SerializedPayload SerializeNow(object value)
    {
        var type = value.GetType();
        var serializer = _system.Serialization.FindSerializerForType(type, HyperionName);
        switch (serializer)
        {
            case NewtonSoftJsonSerializer:
                throw new SerializationException(
                    $"{type.FullName} would go to Akka's JSON serializer, which typed messages never use: register Hyperion as " +
                    $"'{HyperionName}' in akka.actor.serializers (AkkaRaft.Client.ClientConfig.Default does) and bind the type to nothing else.");
            case HyperionSerializer hyperion:
                return new SerializedPayload(hyperion.Identifier, "", WriterFor(hyperion).ToBinary(value));
        }

        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, value);
        if (serializer is not SerializerWithStringManifest && manifest.Length > 0)
        {
            throw new SerializationException(
                $"{type.FullName} is bound to {serializer.GetType().Name}, which names the type in a manifest that a node would have to load by name: bind it to Hyperion or to a serializer with string manifests.");
        }

        return new SerializedPayload(serializer.Identifier, manifest, serializer.ToBinary(value));
    }

    /// <summary>
    /// Reads a payload the way a node does, as an instance of <paramref name="expected"/> (a state machine's command or
    /// query type), refusing rather than trusting: the payload must come from the serializer this system reads
    /// <paramref name="expected"/> with; a Hyperion payload is read only with <c>disallow-unsafe-type</c> on and a
    /// non-empty <c>allowed-types</c> list, which Hyperion applies to every type the bytes name; and what comes out must
    /// be an <paramref name="expected"/>.
    /// </summary>
    /// <returns>True with the object; false with a sentence that names what was refused and the setting that decides it.</returns>
    public bool TryDeserialize(SerializedPayload payload, Type expected, [NotNullWhen(true)] out object? value, [NotNullWhen(false)] out string? refusal)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(expected);
        value = null;
        var serializer = _system.Serialization.FindSerializerForType(expected, HyperionName);
        refusal = Unreadable(payload, expected, serializer);
        if (refusal is not null) return false;
        if (!TryDeserializeNow(payload, out var read, out refusal)) return false;
        if (!expected.IsInstanceOfType(read))
        {
            refusal = $"it is a {read.GetType().FullName}, not a {expected.FullName}";
            return false;
        }

        value = read;
        return true;
    }

    /// <summary>
    /// Reads an answer payload (a <see cref="TypedWriteResult"/> or <see cref="TypedQueryResponse"/> that reached this
    /// app). This system's own Hyperion settings apply: with an <c>allowed-types</c> list, only the types in it are read.
    /// </summary>
    /// <exception cref="SerializationException">The payload is Akka JSON's, or does not deserialize here (the message
    /// names the type refused and the setting).</exception>
    public object Deserialize(SerializedPayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.SerializerId == AkkaJsonSerializerId)
            throw new SerializationException($"A typed answer arrived as Akka's JSON serializer wrote it ({payload}); typed messages never use it.");
        return TryDeserializeNow(payload, out var value, out var refusal)
            ? value
            : throw new SerializationException($"A typed answer ({payload}) cannot be read: {refusal}.");
    }

    /// <summary>Why <paramref name="payload"/> is not read as an <paramref name="expected"/> with <paramref name="serializer"/>; null when it may be.</summary>
    private static string? Unreadable(SerializedPayload payload, Type expected, Serializer serializer)
    {
        if (serializer is NewtonSoftJsonSerializer)
        {
            return $"{expected.FullName} is bound to Akka's JSON serializer, which creates whatever type a payload names; bind it to " +
                   $"'{HyperionName}' and list its types in {AllowedTypesPath}";
        }

        if (payload.SerializerId != serializer.Identifier)
        {
            return $"it was written by serializer {payload.SerializerId}, but this node reads a {expected.FullName} only with " +
                   $"serializer {serializer.Identifier} ({serializer.GetType().Name})";
        }

        if (serializer is HyperionSerializer hyperion)
        {
            if (!hyperion.Settings.DisallowUnsafeType)
                return $"{DisallowUnsafeTypePath} is off on this node, and without it Hyperion ignores {AllowedTypesPath}: no typed payload is read";
            if (hyperion.Settings.TypeFilter is DisabledTypeFilter)
                return $"{AllowedTypesPath} is empty on this node: list your commands' and queries' types there (and every non-primitive type they hold); until then no typed payload is read";
            if (payload.Manifest.Length > 0) return "a Hyperion payload carries no manifest, and this one does";
        }
        else if (serializer is not SerializerWithStringManifest && payload.Manifest.Length > 0)
        {
            return $"{serializer.GetType().Name} would load the type '{payload.Manifest}' by name; only Hyperion and string-manifest serializers are read";
        }

        return null;
    }

    private bool TryDeserializeNow(SerializedPayload payload, [NotNullWhen(true)] out object? value, [NotNullWhen(false)] out string? refusal)
    {
        value = null;
        refusal = null;
        object? read;
        try
        {
            read = _system.Serialization.Deserialize(payload.Bytes, payload.SerializerId, payload.Manifest);
        }
        catch (Exception e)
        {
            // The bytes come from outside: a refused type is Hyperion's SecurityException, and garbage can make a
            // serializer throw anything (an OutOfMemoryException for a forged length among them). None of it is a bug
            // of this process, so all of it is a refusal of the payload.
            refusal = Describe(e);
            return false;
        }

        if (read is null)
        {
            refusal = "it deserializes to null";
            return false;
        }

        value = read;
        return true;
    }

    /// <summary>What a failed deserialization refused, in a sentence: the type Hyperion refused and the setting, or the innermost error.</summary>
    private static string Describe(Exception failure)
    {
        var innermost = failure;
        for (var e = failure; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case UserEvilDeserializationException refused:
                    var name = AllowedTypeName(refused.BadTypeString);
                    return $"the type '{name}' is not in {AllowedTypesPath} (add \"{name}\" there to accept it)";
                case EvilDeserializationException unsafeType:
                    return $"the type '{AllowedTypeName(unsafeType.BadTypeString)}' is one Hyperion never deserializes while {DisallowUnsafeTypePath} is on";
            }

            innermost = e;
        }

        return $"it does not deserialize ({innermost.GetType().Name}: {innermost.Message})";
    }

    /// <summary>Hyperion's short type name as <c>allowed-types</c> takes it: Hyperion writes <c>,%core%</c> for the core library's assembly name.</summary>
    private static string AllowedTypeName(string hyperionName) => hyperionName.Replace(",%core%", "", StringComparison.Ordinal);

    /// <summary>Hyperion with this system's settings but no type filter, for writing (see the remarks on the type).</summary>
    private HyperionSerializer WriterFor(HyperionSerializer hyperion)
    {
        if (_writer is { } cached && ReferenceEquals(cached.Of, hyperion)) return cached.Writer;
        var writer = new HyperionSerializer(_system, hyperion.Settings.WithTypeFilter(DisabledTypeFilter.Instance));
        _writer = new WriterOf(hyperion, writer); // a race makes two equal writers; either is right
        return writer;
    }

    /// <summary>The unfiltered writer made for the system's Hyperion serializer <paramref name="Of"/>.</summary>
    private sealed record WriterOf(HyperionSerializer Of, HyperionSerializer Writer);

    /// <summary>Akka's extension id.</summary>
    private sealed class Provider : ExtensionIdProvider<PayloadSerialization>
    {
        public override PayloadSerialization CreateExtension(ExtendedActorSystem system) => new(system);
    }
}
