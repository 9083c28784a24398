using System.Security.Cryptography;
using System.Text;
using Coffer.Protocol.Auth;

namespace Coffer.Protocol.Post;

/// <summary>
/// The signatures of a browser POST form: each signs the form's policy, never the request (docs/protocol/post-object.md).
/// Used by the server to verify a form and by the SDK to build one.
/// </summary>
public static class PostSignatures
{
    /// <summary>The SigV4 form's algorithm field value.</summary>
    public const string SigV4Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>SigV4: lower-hex HMAC-SHA256 of the base64 policy as sent, under the signing key of the credential's date and region (service s3).</summary>
    public static string SigV4(string secretKey, string date, string region, string policyBase64)
    {
        var key = Auth.SigV4.DeriveSigningKey(secretKey, date, region, "s3");
        try
        {
            return Auth.SigV4.Sign(key, policyBase64);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>SigV2: base64 HMAC-SHA1 of the base64 policy as sent, keyed with the secret.</summary>
    public static string SigV2(string secretKey, string policyBase64) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secretKey), Encoding.UTF8.GetBytes(policyBase64)));

    /// <summary>COS: hex HMAC-SHA1, keyed with hex(HMAC-SHA1(secret, KeyTime)) as text, of hex(SHA1(the decoded policy JSON)).</summary>
    public static string Cos(string secretKey, string keyTime, ReadOnlySpan<byte> policyJson) =>
        CosFromPolicySha1(secretKey, keyTime, Convert.ToHexStringLower(SHA1.HashData(policyJson)));

    /// <summary><see cref="Cos"/> from the policy's hex SHA-1 (what COS's worked example gives).</summary>
    public static string CosFromPolicySha1(string secretKey, string keyTime, string policySha1Hex)
    {
        var signKey = Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secretKey), Encoding.UTF8.GetBytes(keyTime)));
        return Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.ASCII.GetBytes(signKey), Encoding.UTF8.GetBytes(policySha1Hex)));
    }

    /// <summary>Compares a computed signature with the one the form carries, in constant time (case-insensitive for hex).</summary>
    public static bool Matches(string computed, string provided, bool hex) =>
        hex ? SigV4Equals(computed, provided) : CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(computed), Encoding.UTF8.GetBytes(provided));

    private static bool SigV4Equals(string computedLowerHex, string provided) => Auth.SigV4.SignatureEquals(computedLowerHex, provided);
}
