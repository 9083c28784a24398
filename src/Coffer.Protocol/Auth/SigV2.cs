using System.Security.Cryptography;
using System.Text;

namespace Coffer.Protocol.Auth;

/// <summary>
/// The pieces of AWS Signature Version 2 ("HMAC-SHA1", <c>Authorization: AWS &lt;key&gt;:&lt;signature&gt;</c> and the
/// <c>AWSAccessKeyId</c>/<c>Expires</c>/<c>Signature</c> query) that <see cref="SigV2Verifier"/> and the tests share
/// [AWS S3 User Guide "Signing and authenticating REST requests"; docs/protocol/signatures.md#signature-version-2].
/// </summary>
internal static class SigV2
{
    /// <summary>The longest a presigned URL may still be valid when it reaches the server: seven days, as SigV4's cap.</summary>
    public const long MaxExpiresSeconds = 604800;

    /// <summary>
    /// The sub-resources that go into the CanonicalizedResource: the union of AWS's list, botocore's and MinIO's, so
    /// that whatever a client signs, the server signs too. Names are case-sensitive.
    /// </summary>
    public static readonly HashSet<string> SubResources = new(StringComparer.Ordinal)
    {
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "encryption", "inventory", "legal-hold",
        "lifecycle", "location", "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication",
        "requestPayment", "response-cache-control", "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires", "restore", "retention", "select",
        "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions",
        "website",
    };

    /// <summary>
    /// Query parameters that are neither signed sub-resources nor authentication, but plain arguments of the
    /// operations Coffer serves (listing bounds and markers, paging). S3 leaves them unsigned under SigV2; none of them
    /// changes which operation runs or what it writes.
    /// </summary>
    public static readonly HashSet<string> UnsignedArguments = new(StringComparer.Ordinal)
    {
        "prefix", "delimiter", "marker", "max-keys", "encoding-type", "list-type", "continuation-token", "start-after",
        "fetch-owner", "key-marker", "version-id-marker", "upload-id-marker", "max-uploads", "max-parts",
        "part-number-marker", "x-id", "allow-unordered", "optional-object-attributes", "max-buckets", "bucket-region",
    };

    /// <summary>Base64 of HMAC-SHA1(UTF-8 secret, UTF-8 string to sign).</summary>
    public static string Sign(string secretKey, string stringToSign) => Convert.ToBase64String(Mac(secretKey, stringToSign));

    /// <summary>HMAC-SHA1(UTF-8 secret, UTF-8 string to sign).</summary>
    public static byte[] Mac(string secretKey, string stringToSign)
    {
        byte[] key = Encoding.UTF8.GetBytes(secretKey);
        try
        {
            return HMACSHA1.HashData(key, Encoding.UTF8.GetBytes(stringToSign));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Verb, Content-MD5, Content-Type, Date (or Expires), each followed by a newline, then the amz headers and the resource.</summary>
    public static string StringToSign(string method, string contentMd5, string contentType, string date, string canonicalAmzHeaders, string canonicalResource) =>
        method + "\n" + contentMd5 + "\n" + contentType + "\n" + date + "\n" + canonicalAmzHeaders + canonicalResource;

    /// <summary>
    /// CanonicalizedAmzHeaders: every <c>x-amz-*</c> header, name lower-cased, sorted, values of one name joined
    /// with ',' (no spaces), folded lines unfolded, whitespace around the value trimmed; "name:value\n" each.
    /// </summary>
    public static string CanonicalAmzHeaders(IEnumerable<KeyValuePair<string, string>> headers, string? skip = null)
    {
        var byName = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (rawName, value) in headers)
        {
            string name = rawName.Trim().ToLowerInvariant();
            if (!name.StartsWith("x-amz-", StringComparison.Ordinal) || name == skip)
            {
                continue;
            }

            if (!byName.TryGetValue(name, out var values))
            {
                byName[name] = values = [];
            }

            values.Add(Unfold(value));
        }

        var sb = new StringBuilder();
        foreach (var (name, values) in byName)
        {
            sb.Append(name).Append(':').AppendJoin(',', values).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>
    /// CanonicalizedResource: "/bucket" when the bucket came from the Host, the raw path as sent, then the
    /// sub-resources present, sorted by name, with decoded values ("?acl", "?partNumber=1&amp;uploadId=a"). A sub-resource
    /// sent with an empty value ("?uploads=") keeps its '=' (botocore signs it so) unless <paramref name="dropEmptyEquals"/>.
    /// </summary>
    public static string CanonicalResource(string? virtualHostBucket, string rawPath, IEnumerable<QueryParameter> query, bool dropEmptyEquals = false)
    {
        var sb = new StringBuilder();
        if (!string.IsNullOrEmpty(virtualHostBucket))
        {
            sb.Append('/').Append(virtualHostBucket);
        }

        sb.Append(rawPath);
        var present = new List<QueryParameter>();
        foreach (var p in query)
        {
            if (SubResources.Contains(p.Name))
            {
                present.Add(p);
            }
        }

        // A stable sort by name keeps a repeated name's values in wire order.
        present = [.. present.OrderBy(p => p.Name, StringComparer.Ordinal)];
        for (int i = 0; i < present.Count; i++)
        {
            sb.Append(i == 0 ? '?' : '&').Append(present[i].Name);
            if (present[i].HasValue && (present[i].Value.Length > 0 || !dropEmptyEquals))
            {
                sb.Append('=').Append(present[i].Value);
            }
        }

        return sb.ToString();
    }

    /// <summary>Constant-time comparison of a computed MAC with a provided base64 signature; false for anything that is not base64 of 20 bytes.</summary>
    public static bool SignatureEquals(ReadOnlySpan<byte> computed, string provided)
    {
        Span<byte> decoded = stackalloc byte[32];
        if (provided.Length != 28 || !Convert.TryFromBase64String(provided, decoded, out int written) || written != computed.Length)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(decoded[..written], computed);
    }

    /// <summary>A header value with line folds (CRLF/LF followed by whitespace) turned into one space and the ends trimmed.</summary>
    private static string Unfold(string value)
    {
        var span = value.AsSpan().Trim();
        if (span.IndexOfAny('\r', '\n') < 0)
        {
            return span.Length == value.Length ? value : span.ToString();
        }

        var sb = new StringBuilder(span.Length);
        for (int i = 0; i < span.Length; i++)
        {
            char c = span[i];
            if (c is '\r' or '\n')
            {
                while (i + 1 < span.Length && span[i + 1] is '\r' or '\n' or ' ' or '\t')
                {
                    i++;
                }

                sb.Append(' ');
                continue;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}
