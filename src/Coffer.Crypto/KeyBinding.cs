using Coffer.Crypto.Internal;

namespace Coffer.Crypto;

/// <summary>
/// What a sealed object key is bound to (AEAD associated data and key-derivation info): the bucket,
/// the object key (name) and the SSE mode. A sealed key copied onto another object, another bucket,
/// or reinterpreted under another mode fails to unseal.
/// </summary>
/// <param name="Bucket">Bucket name.</param>
/// <param name="ObjectName">Object key (the name inside the bucket), exactly as stored.</param>
/// <param name="Mode">SSE mode: <see cref="SseC"/>, <see cref="SseKms"/> or <see cref="SseCos"/>.</param>
public sealed record KeyBinding(string Bucket, string ObjectName, string Mode)
{
    /// <summary>Mode name of SSE-C (customer-provided keys).</summary>
    public const string SseC = "SSE-C";

    /// <summary>Mode name of SSE-KMS (customer master key in the KMS).</summary>
    public const string SseKms = "SSE-KMS";

    /// <summary>Mode name of SSE-COS (service-managed key; S3's SSE-S3).</summary>
    public const string SseCos = "SSE-COS";

    /// <summary>label ‖ Mode ‖ Bucket ‖ ObjectName, each length-prefixed (docs/keys.md).</summary>
    internal byte[] Encode(ReadOnlySpan<byte> label)
    {
        ArgumentNullException.ThrowIfNull(Bucket);
        ArgumentNullException.ThrowIfNull(ObjectName);
        ArgumentNullException.ThrowIfNull(Mode);
        return Fields.Encode(label, Mode, Bucket, ObjectName);
    }
}
