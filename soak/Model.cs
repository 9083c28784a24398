using System.Security.Cryptography;
using Coffer.Sdk;

namespace Coffer.Soak;

/// <summary>One state a key may be in: absent, or content with the hash of its bytes and what it takes to read it.</summary>
/// <param name="Sha256">The SHA-256 of the content (hex); null for "no object".</param>
/// <param name="Size">Its size.</param>
/// <param name="CustomerKey">The SSE-C key it was written with (needed to read it); null for other modes.</param>
/// <param name="Mode">How it was written (for the report).</param>
internal sealed record Version(string? Sha256, long Size, SseCustomer? CustomerKey, string Mode)
{
    public static readonly Version Absent = new(null, 0, null, "absent");

    public bool IsAbsent => Sha256 is null;

    public static Version Of(ReadOnlySpan<byte> content, SseCustomer? customerKey, string mode) =>
        new(Convert.ToHexStringLower(SHA256.HashData(content)), content.Length, customerKey, mode);
}

/// <summary>
/// The client-side log of one key: the last write the server acknowledged, and the writes sent since whose answer
/// never came (the server was killed under them): after a restart the key must hold the acknowledged version or one
/// of those, byte for byte, and nothing else.
/// </summary>
internal sealed class KeyLog(string key)
{
    public string Key { get; } = key;

    /// <summary>What the server last acknowledged for this key.</summary>
    public Version Acknowledged { get; private set; } = Version.Absent;

    /// <summary>Writes sent after it whose outcome is unknown.</summary>
    public List<Version> InFlight { get; } = [];

    /// <summary>Every state the key may legitimately be in now.</summary>
    public IEnumerable<Version> Candidates => InFlight.Prepend(Acknowledged);

    public void Sent(Version version) => InFlight.Add(version);

    public void Acked(Version version)
    {
        Acknowledged = version;
        InFlight.Clear();
    }

    /// <summary>After a verification: the key's state is known again.</summary>
    public void Settled(Version observed)
    {
        Acknowledged = observed;
        InFlight.Clear();
    }
}

/// <summary>The figures a run prints.</summary>
internal sealed class Tally
{
    private long _acked;
    private long _failed;
    public long Acknowledged => Interlocked.Read(ref _acked);
    public long Unanswered => Interlocked.Read(ref _failed);
    public int Kills { get; set; }
    public long Verified { get; set; }
    public long Lost { get; set; }
    public long Corrupt { get; set; }
    public Dictionary<string, long> ByOperation { get; } = [];

    public void Ack(string operation)
    {
        Interlocked.Increment(ref _acked);
        lock (ByOperation)
            ByOperation[operation] = ByOperation.GetValueOrDefault(operation) + 1;
    }

    public void Fail() => Interlocked.Increment(ref _failed);
}
