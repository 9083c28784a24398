using System.Buffers.Binary;
using System.Text;

namespace Coffer.Crypto.Kms;

/// <summary>Key references (ids, aliases, ARNs) and the canonical encryption-context encoding.</summary>
internal static class KmsEncoding
{
    public const string AliasPrefix = "alias/";

    /// <summary>
    /// Splits "keyId", "alias/name", "arn:…:key/&lt;id&gt;" or "arn:…:alias/name" into (isAlias, value).
    /// An ARN's resource is everything after its fifth colon.
    /// </summary>
    public static (bool IsAlias, string Value) ParseReference(string keyIdOrAlias)
    {
        if (string.IsNullOrWhiteSpace(keyIdOrAlias))
        {
            throw new KmsException(KmsErrorKind.InvalidArgument, "A KMS key id, alias (alias/name) or ARN is required.");
        }

        string reference = keyIdOrAlias;
        if (reference.StartsWith("arn:", StringComparison.Ordinal))
        {
            int colon = -1;
            for (int i = 0; i < 5; i++)
            {
                colon = reference.IndexOf(':', colon + 1);
                if (colon < 0)
                {
                    throw new KmsException(KmsErrorKind.NotFound,
                        "The KMS key ARN is malformed; expected arn:partition:kms:region:account:key/<id> or …:alias/<name>.");
                }
            }

            reference = reference[(colon + 1)..];
            if (reference.StartsWith("key/", StringComparison.Ordinal))
            {
                return (false, reference["key/".Length..]);
            }

            if (!reference.StartsWith(AliasPrefix, StringComparison.Ordinal))
            {
                throw new KmsException(KmsErrorKind.NotFound, "The KMS ARN names neither key/<id> nor alias/<name>.");
            }
        }

        return reference.StartsWith(AliasPrefix, StringComparison.Ordinal) ? (true, reference) : (false, reference);
    }

    /// <summary>
    /// u32be(count) ‖ for each pair sorted by key (ordinal): u32be(len) ‖ key ‖ u32be(len) ‖ value, UTF-8.
    /// Order-independent and case-sensitive, as AWS treats encryption contexts.
    /// </summary>
    public static byte[] CanonicalContext(IReadOnlyDictionary<string, string>? context)
    {
        context ??= new Dictionary<string, string>();
        var pairs = context.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
        int size = 4;
        foreach (var (k, v) in pairs)
        {
            ArgumentNullException.ThrowIfNull(v, nameof(context));
            size += 8 + Encoding.UTF8.GetByteCount(k) + Encoding.UTF8.GetByteCount(v);
        }

        byte[] result = new byte[size];
        BinaryPrimitives.WriteUInt32BigEndian(result, (uint)pairs.Length);
        int at = 4;
        foreach (var (k, v) in pairs)
        {
            at += WriteString(result.AsSpan(at), k);
            at += WriteString(result.AsSpan(at), v);
        }

        return result;
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        int n = Encoding.UTF8.GetBytes(value, destination[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)n);
        return 4 + n;
    }
}
