using System.Security.Cryptography;
using System.Text;

namespace Coffer.EndToEnd.Tests.Infrastructure;

/// <summary>Fixed SSE-C test keys (docs/protocol/sse.md#sse-c-test-keys) and helpers.</summary>
public static class SseKeys
{
    public const string KeyA = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=";
    public const string KeyAMd5 = "KYvwGXoFFJ42a2u2GDWhwQ==";
    public const string KeyB = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDI=";
    public const string KeyBMd5 = "X3vJMxGrgveOkmGAxCpzEA==";

    public static string Md5Of(string base64Key) => Convert.ToBase64String(MD5.HashData(Convert.FromBase64String(base64Key)));

    public static string Context(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json));

    public static KeyValuePair<string, string>[] CosCustomer(string key = KeyA, string md5 = KeyAMd5, string algorithm = "AES256", string prefix = "x-cos-server-side-encryption-customer-") =>
    [
        new(prefix + "algorithm", algorithm),
        new(prefix + "key", key),
        new(prefix + "key-MD5", md5),
    ];
}
