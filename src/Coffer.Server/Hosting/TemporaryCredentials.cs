using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffer.Crypto;

namespace Coffer.Server.Hosting;

/// <summary>
/// Temporary credentials, as COS's STS issues them: a short-lived key pair plus a session
/// token that must accompany every request (<c>x-cos-security-token</c> /
/// <c>x-amz-security-token</c>, header or query). The token is self-contained: the pair, the
/// parent user and the expiry sealed under the root key, so no table is needed and a forged or
/// altered token simply does not open.
/// </summary>
public static class TemporaryCredentials
{
    public const string AccessKeyPrefix = "AKTMP";
    private const string Purpose = "coffer/session-token";

    /// <summary>What a session token says once opened.</summary>
    public sealed record Claims(string ParentAccessKeyId, string AccessKeyId, string SecretKey, DateTimeOffset Expires);

    public static bool IsTemporary(string accessKeyId) => accessKeyId.StartsWith(AccessKeyPrefix, StringComparison.Ordinal);

    /// <summary>Issues a pair and token acting as <paramref name="parentAccessKeyId"/> until now + duration.</summary>
    public static (string AccessKeyId, string SecretKey, string Token, DateTimeOffset Expires) Issue(RootKey rootKey, string parentAccessKeyId, TimeSpan duration, DateTimeOffset now)
    {
        var accessKeyId = AccessKeyPrefix + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 31);
        var secret = Credentials.NewSecretKey();
        var expires = now + duration;
        var json = JsonSerializer.SerializeToUtf8Bytes(new Claims(parentAccessKeyId, accessKeyId, secret, expires));
        try
        {
            var token = Convert.ToBase64String(rootKey.Seal(json, Purpose)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            return (accessKeyId, secret, token, expires);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    /// <summary>Opens a token; null when it was not issued by this installation or was altered.</summary>
    public static Claims? Open(RootKey rootKey, string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 4096)
            return null;
        var base64 = token.Replace('-', '+').Replace('_', '/');
        base64 += new string('=', (4 - base64.Length % 4) % 4);
        byte[] sealedBytes;
        try { sealedBytes = Convert.FromBase64String(base64); }
        catch (FormatException) { return null; }
        byte[] json;
        try { json = rootKey.Unseal(sealedBytes, Purpose); }
        catch (CryptographicException) { return null; }
        try { return JsonSerializer.Deserialize<Claims>(Encoding.UTF8.GetString(json)); }
        catch (JsonException) { return null; }
        finally { CryptographicOperations.ZeroMemory(json); }
    }
}
