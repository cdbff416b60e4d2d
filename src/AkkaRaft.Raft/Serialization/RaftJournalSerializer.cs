using System.Buffers.Binary;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using AkkaRaft.Common;
using AkkaRaft.Raft.Peer.Protocol;
using Google.Protobuf;

namespace AkkaRaft.Raft.Serialization;

/// <summary>
/// The journal and snapshot-store format of a Raft peer: its journal events (<c>RaftJournalEvent</c>, manifest
/// <c>e</c>) and snapshot records (<c>PeerSnapshotRecord</c>, manifest <c>s</c>) as protobuf, each behind a CRC-32C
/// of its bytes. Bound to those types in <c>reference.conf</c>.
/// </summary>
/// <remarks>
/// Layout: 4 bytes CRC-32C (little endian) of the protobuf bytes, then the protobuf bytes. The checksum is verified
/// on every read, so a flipped byte in a journal row fails recovery (a <see cref="SerializationException"/>) instead
/// of being applied (STYLE: "Checksums on everything written to disk and verified on read").
/// </remarks>
public sealed class RaftJournalSerializer : SerializerWithStringManifest
{
    /// <summary>This serializer's identifier (<c>akka.actor.serialization-identifiers</c>).</summary>
    public const int Id = 102;

    private const string EventManifest = "e";
    private const string SnapshotManifest = "s";
    private const int ChecksumBytes = 4;

    /// <summary>Created by Akka's serialization extension from the configuration.</summary>
    public RaftJournalSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        RaftJournalEvent => EventManifest,
        PeerSnapshotRecord => SnapshotManifest,
        _ => throw new SerializationException($"The Raft journal serializer does not know {o.GetType().FullName}."),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var message = obj as IMessage ?? throw new SerializationException($"The Raft journal serializer does not know {obj?.GetType().FullName ?? "null"}.");
        var size = message.CalculateSize();
        var bytes = new byte[ChecksumBytes + size];
        message.WriteTo(bytes.AsSpan(ChecksumBytes));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Crc32C.Compute(bytes.AsSpan(ChecksumBytes)));
        return bytes;
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < ChecksumBytes)
        {
            throw new SerializationException($"A Raft journal record (manifest '{manifest}') of {bytes.Length} bytes is shorter than its checksum.");
        }
        var body = bytes.AsSpan(ChecksumBytes);
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        var computed = Crc32C.Compute(body);
        if (stored != computed)
        {
            throw new SerializationException(
                $"A Raft journal record (manifest '{manifest}', {bytes.Length} bytes) is corrupt: its CRC-32C is {computed:x8}, the stored one {stored:x8}.");
        }
        try
        {
            return manifest switch
            {
                EventManifest => RaftJournalEvent.Parser.ParseFrom(body),
                SnapshotManifest => PeerSnapshotRecord.Parser.ParseFrom(body),
                _ => throw new SerializationException($"The Raft journal serializer has no manifest '{manifest}' (it knows '{EventManifest}' and '{SnapshotManifest}')."),
            };
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SerializationException($"A Raft journal record (manifest '{manifest}') passed its checksum but does not parse: {e.Message}", e);
        }
    }
}
