using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Crypto;
using Coffer.Crypto.Kms;
using static Coffer.Crypto.Tests.TestData;

namespace Coffer.Crypto.Tests;

/// <summary>
/// Golden vectors (Vectors/vectors.json): fixed keys and salts → fixed bytes, so no format change can pass
/// silently. The encrypted vectors were computed by Vectors/reference.py from the written specification
/// (an independent implementation); the same hex appears in docs/format.md and docs/keys.md.
/// </summary>
public sealed class GoldenVectorTests
{
    private static readonly Lazy<JsonElement[]> All = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "vectors.json")));
        return doc.RootElement.GetProperty("vectors").EnumerateArray().Select(v => v.Clone()).ToArray();
    });

    public static TheoryData<string> Names(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var v in All.Value.Where(v => v.GetProperty("kind").GetString() == kind))
        {
            data.Add(v.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Names), "stream")]
    public async Task Stream_vector_seals_to_the_recorded_bytes_and_opens_back(string name)
    {
        var v = Vector(name);
        using var key = v.GetProperty("encrypted").GetBoolean() ? ObjectKey.FromBytes(Hex(v, "key")) : null;
        byte[] plaintext = v.TryGetProperty("plaintext", out var p)
            ? Convert.FromHexString(p.GetString()!)
            : Enumerable.Range(0, v.GetProperty("plaintextLength").GetInt32()).Select(i => (byte)(i % 251)).ToArray();
        string identity = v.GetProperty("identity").GetString()!;

        var cipher = v.TryGetProperty("cipher", out var c) && c.GetString() == "SM4-GCM" ? StreamCipher.Sm4Gcm : StreamCipher.Aes256Gcm;

        byte[] sealedBytes = await SealAsync(plaintext, key, identity, salt: Hex(v, "salt"), cipher: cipher);

        if (v.TryGetProperty("sealed", out var expected))
        {
            Assert.Equal(expected.GetString(), Convert.ToHexStringLower(sealedBytes));
        }
        else
        {
            Assert.Equal(v.GetProperty("sealedLength").GetInt64(), sealedBytes.Length);
            Assert.Equal(v.GetProperty("sealedSha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(sealedBytes)));
        }

        Assert.Equal(plaintext, await OpenAllAsync(sealedBytes, key, plaintext.Length, identity));
    }

    [Fact]
    public void Root_seal_vector_seals_to_the_recorded_bytes_and_opens_back()
    {
        var v = Vector("root-seal");
        using var root = new RootKey(Hex(v, "key"));
        string purpose = v.GetProperty("purpose").GetString()!;
        byte[] sealedBytes = root.Seal(Hex(v, "plaintext"), purpose, Hex(v, "salt"));
        Assert.Equal(v.GetProperty("sealed").GetString(), Convert.ToHexStringLower(sealedBytes));
        Assert.Equal(Hex(v, "plaintext"), root.Unseal(sealedBytes, purpose));
    }

    [Fact]
    public void Sse_c_vector_seals_to_the_recorded_bytes_and_opens_back()
    {
        var v = Vector("sse-c");
        using var objectKey = ObjectKey.FromBytes(Hex(v, "objectKey"));
        var binding = new KeyBinding(v.GetProperty("bucket").GetString()!, v.GetProperty("objectName").GetString()!, v.GetProperty("mode").GetString()!);
        byte[] sealedKey = CustomerKeySealing.Seal(objectKey, Hex(v, "customerKey"), binding, Hex(v, "salt"));
        Assert.Equal(v.GetProperty("sealed").GetString(), Convert.ToHexStringLower(sealedKey));
        using var opened = CustomerKeySealing.TryUnseal(sealedKey, Hex(v, "customerKey"), binding);
        Assert.NotNull(opened);
        Assert.True(opened.KeyEquals(objectKey));
    }

    [Fact]
    public void Kms_blob_vector_encrypts_to_the_recorded_bytes_and_decrypts_back()
    {
        var v = Vector("kms-blob");
        var context = v.GetProperty("context").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        string keyId = v.GetProperty("keyId").GetString()!;
        int version = v.GetProperty("keyVersion").GetInt32();
        byte[] blob = KmsCiphertext.Encrypt(keyId, version, Hex(v, "material"), Hex(v, "plaintext"),
            KmsEncoding.CanonicalContext(context), Hex(v, "salt"));
        Assert.Equal(v.GetProperty("sealed").GetString(), Convert.ToHexStringLower(blob));
        Assert.True(KmsCiphertext.TryReadHeader(blob, out string readId, out int readVersion));
        Assert.Equal((keyId, version), (readId, readVersion));
        Assert.Equal(Hex(v, "plaintext"), KmsCiphertext.TryDecrypt(blob, keyId, version, Hex(v, "material"), KmsEncoding.CanonicalContext(context)));
    }

    [Fact]
    public void The_docs_show_the_same_vectors_as_the_tests()
    {
        string root = RepositoryRoot();
        string docs = File.ReadAllText(Path.Combine(root, "docs", "format.md")) + File.ReadAllText(Path.Combine(root, "docs", "keys.md"));
        string flat = string.Concat(docs.Where(char.IsAsciiHexDigit));
        foreach (var v in All.Value)
        {
            string hex = v.TryGetProperty("sealed", out var s) ? s.GetString()! : v.GetProperty("sealedSha256").GetString()!;
            Assert.True(flat.Contains(hex, StringComparison.Ordinal), $"docs lack vector {v.GetProperty("name").GetString()}");
        }
    }

    private static JsonElement Vector(string name) => All.Value.Single(v => v.GetProperty("name").GetString() == name);

    private static byte[] Hex(JsonElement v, string property) => Convert.FromHexString(v.GetProperty(property).GetString()!);

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Coffer.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Repository root (Coffer.slnx) not found above the test binaries.");
    }
}
