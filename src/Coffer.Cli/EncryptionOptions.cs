using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary>
/// The encryption flags of the commands that write or read objects: <c>--sse</c>, <c>--sse-kms-key-id</c>,
/// <c>--sse-context</c>, <c>--sse-c-key</c>, <c>--copy-source-sse-c-key</c> and <c>--storage-class</c>.
/// </summary>
internal sealed class EncryptionOptions
{
    private EncryptionOptions(bool writes, bool copies)
    {
        Writes = writes;
        Copies = copies;
    }

    /// <summary>Whether the command writes objects (it then has --sse, --sse-kms-key-id, --sse-context, --storage-class).</summary>
    public bool Writes { get; }

    /// <summary>Whether the command copies remote objects (it then has --copy-source-sse-c-key).</summary>
    public bool Copies { get; }

    public Option<string?> Sse { get; } = new Option<string?>("--sse")
    {
        Description = "Encrypt what is written: AES256 or SM4 (SSE-COS: the server holds the key; SM4 is COS's, for COS-signed connections) or cos/kms (SSE-KMS; aws:kms is accepted).",
        HelpName = "AES256|SM4|cos/kms",
    }.AcceptOnlyFromAmong("AES256", "SM4", "cos/kms", "aws:kms");

    public Option<string?> KmsKeyId { get; } = new("--sse-kms-key-id")
    {
        Description = "SSE-KMS: the KMS key (id, ARN or alias/NAME); the default KMS key otherwise. Implies --sse cos/kms.",
        HelpName = "KEY",
    };

    public Option<string?> Context { get; } = new("--sse-context")
    {
        Description = "SSE-KMS: the encryption context, a JSON object such as '{\"project\":\"x\"}' (coffer base64-encodes it). Implies --sse cos/kms.",
        HelpName = "JSON",
    };

    public Option<string?> CustomerKey { get; } = new("--sse-c-key")
    {
        Description = "SSE-C: your 256-bit key, base64 (44 characters), or @FILE holding the 32 raw bytes or their base64 (a trailing newline is fine). Needed again to read the object. HTTPS only.",
        HelpName = "BASE64|@FILE",
    };

    public Option<string?> CopySourceCustomerKey { get; } = new("--copy-source-sse-c-key")
    {
        Description = "SSE-C key of the source object of a remote-to-remote copy (base64 or @FILE).",
        HelpName = "BASE64|@FILE",
    };

    public Option<string?> StorageClass { get; } = new("--storage-class")
    {
        Description = "Storage class of what is written: STANDARD, STANDARD_IA, ARCHIVE, DEEP_ARCHIVE, …",
        HelpName = "CLASS",
    };

    /// <summary>Flags of a command that only reads (cat, stat, restore): --sse-c-key.</summary>
    public static EncryptionOptions ForReading() => new(writes: false, copies: false);

    /// <summary>Flags of a command that writes and reads (cp, mv): all of them.</summary>
    public static EncryptionOptions ForTransfers() => new(writes: true, copies: true);

    /// <summary>The flags of a browser POST form (<c>coffer presign --post</c>): what the form's upload is encrypted with.</summary>
    public static EncryptionOptions ForForms() => new(writes: true, copies: false);

    public void AddTo(Command command)
    {
        if (Writes)
        {
            command.Add(Sse);
            command.Add(KmsKeyId);
            command.Add(Context);
        }
        command.Add(CustomerKey);
        if (Copies)
            command.Add(CopySourceCustomerKey);
        if (Writes)
            command.Add(StorageClass);
    }

    /// <summary>The encryption of what is written, or null for the bucket's default.</summary>
    public Sse? WriteSse(ParseResult parse)
    {
        var mode = parse.GetValue(Sse);
        var keyId = parse.GetValue(KmsKeyId);
        var context = parse.GetValue(Context);
        var customer = ParseCustomerKey(parse.GetValue(CustomerKey), "--sse-c-key");
        if (customer is not null)
        {
            if (mode is not null || keyId is not null || context is not null)
                throw new UsageException("--sse-c-key cannot be combined with --sse, --sse-kms-key-id or --sse-context: an object has one kind of encryption.");
            return customer;
        }
        if (mode is "AES256" or "SM4")
        {
            if (keyId is not null || context is not null)
                throw new UsageException($"--sse-kms-key-id and --sse-context go with --sse cos/kms, not {mode}.");
            return mode == "SM4" ? Sdk.Sse.Sm4() : Sdk.Sse.Cos();
        }
        if (mode is null && keyId is null && context is null)
            return null;
        if (context is null)
            return Sdk.Sse.Kms(keyId);
        return Sdk.Sse.Kms(keyId, ValidContext(context));
    }

    /// <summary>The --sse-c-key of an object that is read, or null.</summary>
    public SseCustomer? ReadKey(ParseResult parse) => ParseCustomerKey(parse.GetValue(CustomerKey), "--sse-c-key");

    /// <summary>The --copy-source-sse-c-key, or null.</summary>
    public SseCustomer? CopySourceKey(ParseResult parse) => Copies ? ParseCustomerKey(parse.GetValue(CopySourceCustomerKey), "--copy-source-sse-c-key") : null;

    public string? StorageClassValue(ParseResult parse) => Writes ? parse.GetValue(StorageClass)?.ToUpperInvariant() : null;

    /// <summary>Whether any flag that only applies to writing was given (refused for downloads).</summary>
    public bool AnyWriteFlag(ParseResult parse) =>
        Writes && (parse.GetValue(Sse) is not null || parse.GetValue(KmsKeyId) is not null || parse.GetValue(Context) is not null || parse.GetValue(StorageClass) is not null);

    /// <summary>A key given as base64 (32 bytes) or @FILE (32 raw bytes, or their base64 text).</summary>
    internal static SseCustomer? ParseCustomerKey(string? value, string option)
    {
        if (value is null)
            return null;
        byte[] key;
        if (value.StartsWith('@'))
        {
            var path = value[1..];
            if (!File.Exists(path))
                throw new LocalNotFoundException($"{option} @{path}: no such file.");
            key = ReadKeyFile(path, option);
        }
        else
        {
            try
            {
                key = Convert.FromBase64String(value.Trim());
            }
            catch (FormatException)
            {
                throw new UsageException($"{option} is not base64; give the base64 of a 32-byte key (e.g. openssl rand -base64 32) or @FILE.");
            }
            if (key.Length != 32)
            {
                CryptographicOperations.ZeroMemory(key);
                throw new UsageException($"{option} decodes to {key.Length} bytes; an SSE-C key is exactly 32 bytes (e.g. openssl rand -base64 32).");
            }
        }
        try
        {
            return Sdk.Sse.Customer(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// The key in an SSE-C key file: exactly 32 bytes are the raw key; anything else must be its base64 text (44
    /// characters), with or without surrounding whitespace such as a trailing newline (what <c>openssl rand -base64 32 &gt;
    /// key.txt</c> writes). The two cannot be confused: base64 of 32 bytes is never 32 bytes long.
    /// </summary>
    private static byte[] ReadKeyFile(string path, string option)
    {
        var content = File.ReadAllBytes(path);
        if (content.Length == 32)
            return content;
        try
        {
            var text = content.AsSpan().Trim(" \t\r\n"u8);
            var key = new byte[32];
            if (text.Length == 44 && System.Buffers.Text.Base64.DecodeFromUtf8(text, key, out var consumed, out var written) == System.Buffers.OperationStatus.Done
                && consumed == 44 && written == 32)
                return key;
            CryptographicOperations.ZeroMemory(key);
            throw new UsageException($"{option} @{path}: the file holds {content.Length} bytes, neither a 32-byte key nor its base64 (44 characters); "
                + "write one with: head -c 32 /dev/urandom > key.bin, or openssl rand -base64 32 > key.txt.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
        }
    }

    private static string ValidContext(string json)
    {
        try
        {
            if (JsonNode.Parse(json) is JsonObject obj && obj.All(p => p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String))
                return json;
        }
        catch (JsonException)
        {
            // Reported below.
        }
        throw new UsageException("--sse-context must be a JSON object of string values, e.g. '{\"project\":\"photos\"}'.");
    }
}
