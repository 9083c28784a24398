using System.CommandLine;
using System.Globalization;
using System.Security.Authentication;
using System.Text.Json;
using System.Text.Json.Serialization;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary>The exit codes of the client commands (docs/cli.md, "Exit codes").</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Any other failure: a server error without a code of its own, the network, a checksum, local I/O.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown option, missing argument, bad value, nothing configured.</summary>
    public const int Usage = 2;

    /// <summary>NoSuchBucket, NoSuchKey, NotFoundException (KMS) and the other "does not exist" codes; a missing local file.</summary>
    public const int NotFound = 3;

    /// <summary>AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch and the other authentication failures.</summary>
    public const int AccessDenied = 4;

    /// <summary>Interrupted (Ctrl+C); a transfer can be resumed by running the same command again.</summary>
    public const int Interrupted = 130;

    private static readonly HashSet<string> NotFoundCodes = new(StringComparer.Ordinal)
    {
        ErrorCodes.NoSuchBucket, ErrorCodes.NoSuchKey, ErrorCodes.NoSuchResource, ErrorCodes.NoSuchUpload, ErrorCodes.NoSuchVersion,
        ErrorCodes.NoSuchCopySource, ErrorCodes.NoSuchEncryptionConfiguration, ErrorCodes.ServerSideEncryptionConfigurationNotFoundError, ErrorCodes.NoSuchTagSet, ErrorCodes.NoSuchLifecycleConfiguration, ErrorCodes.NoSuchBucketPolicy, ErrorCodes.NoSuchCORSConfiguration,
        ErrorCodes.KmsKeyNotExist, "NotFoundException", "KMS.NotFoundException", "NoSuchUser", "NoSuchRekeyJob",
        "OwnershipControlsNotFoundError", "NoSuchPublicAccessBlockConfiguration",
    };

    private static readonly HashSet<string> AccessDeniedCodes = new(StringComparer.Ordinal)
    {
        ErrorCodes.AccessDenied, ErrorCodes.InvalidAccessKeyId, ErrorCodes.SignatureDoesNotMatch, ErrorCodes.ExpiredToken,
        "AccessDeniedException", "KMS.AccessDeniedException", "InvalidToken", "InvalidSignatureException", "UnrecognizedClientException",
        "IncompleteSignatureException", "MissingAuthenticationTokenException",
    };

    /// <summary>The exit code for a server error code.</summary>
    public static int ForServerCode(string code) =>
        NotFoundCodes.Contains(code) ? NotFound : AccessDeniedCodes.Contains(code) ? AccessDenied : Failure;
}

/// <summary>A mistake on the command line that the parser cannot see (exit code 2). The message says what to type instead.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Something local does not exist (a file to upload, a profile): exit code 3.</summary>
internal sealed class LocalNotFoundException(string message) : Exception(message);

/// <summary>
/// What every client command shares: its <c>--json</c> flag, the remote path or KMS key it works on (for the
/// hint printed with an error), and the connection made from the profile.
/// </summary>
internal sealed class Invocation(ParseResult parse, bool json) : IDisposable
{
    private Connection? _connection;

    public ParseResult Parse { get; } = parse;

    /// <summary>Print JSON for scripts instead of text.</summary>
    public bool Json { get; } = json;

    /// <summary>The bucket/key being worked on, for hints such as "create it with: coffer mb cos://x".</summary>
    public RemotePath? Target { get; set; }

    /// <summary>The KMS key being worked on, for hints.</summary>
    public string? KmsKey { get; set; }

    /// <summary>The endpoint of the connection if one was made, for messages.</summary>
    public string Endpoint => _connection?.Endpoint ?? "(not connected)";

    /// <summary>The connection from --profile, the environment and the config file (made on first use).</summary>
    public Connection Connection => _connection ??= Connection.Open(Parse.GetValue(GlobalOptions.Profile), EndpointOverride);

    /// <summary>An endpoint given on the command line (<c>--endpoint</c> of the admin commands), instead of the profile's.</summary>
    public string? EndpointOverride { get; set; }

    public void Dispose() => _connection?.Dispose();
}

/// <summary>Printing shared by the client commands: JSON, error lines with hints, sizes and times, and exit codes.</summary>
internal static partial class Output
{
    [System.Text.RegularExpressions.GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial System.Text.RegularExpressions.Regex KeyIdPattern();

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Whether standard output is a terminal (progress bars are drawn only then).</summary>
    public static bool StdoutIsTerminal => !Console.IsOutputRedirected;

    /// <summary>The <c>--json</c> option of a command that prints data.</summary>
    public static Option<bool> JsonOption() => new("--json") { Description = "Print JSON for scripts instead of text." };

    /// <summary>Writes one JSON document to standard output.</summary>
    public static void WriteJson(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>Writes one line to standard error: "coffer: message".</summary>
    public static void Error(string message) => Console.Error.WriteLine("coffer: " + OneLine(message));

    /// <summary>Writes a warning line to standard error.</summary>
    public static void Warn(string message) => Console.Error.WriteLine("coffer: warning: " + OneLine(message));

    /// <summary>
    /// Runs a client command's body and turns what it throws into one line on standard error and an exit code:
    /// usage 2, not found 3, access denied 4, interrupted 130, anything else 1.
    /// </summary>
    public static async Task<int> RunAsync(ParseResult parse, Option<bool>? json, Func<Invocation, CancellationToken, Task<int>> body, CancellationToken ct)
    {
        using var invocation = new Invocation(parse, json is not null && parse.GetValue(json));
        try
        {
            return await body(invocation, ct);
        }
        catch (UsageException e)
        {
            Error(e.Message);
            return ExitCodes.Usage;
        }
        catch (LocalNotFoundException e)
        {
            Error(e.Message);
            return ExitCodes.NotFound;
        }
        catch (CofferException e)
        {
            var error = await RefineNotFoundAsync(e, invocation, ct);
            Error(Describe(error, invocation));
            return ExitCodes.ForServerCode(error.Code);
        }
        catch (CosClientException e)
        {
            Error(Describe(e, invocation));
            return e.Kind == CosClientErrorKind.InvalidArgument ? ExitCodes.Usage : ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Error("interrupted; run the same command again to resume a transfer where it stopped.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            Error(e.Message);
            return ExitCodes.NotFound;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Error(e.Message);
            return ExitCodes.Failure;
        }
    }

    /// <summary>
    /// A HEAD answer carries no error body, so a 404 is only "NoSuchResource" (stat, and downloads, which HEAD first):
    /// asks whether the bucket exists to say NoSuchBucket or NoSuchKey.
    /// </summary>
    internal static async Task<CofferException> RefineNotFoundAsync(CofferException e, Invocation at, CancellationToken ct)
    {
        if (e.Code != ErrorCodes.NoSuchResource || at.Target is not { } target)
            return e;
        try
        {
            var bucketExists = await at.Connection.Client.BucketExistsAsync(target.Bucket, ct);
            return bucketExists && target.Key.Length > 0
                ? new CofferException(ErrorCodes.NoSuchKey, $"The key '{target.Key}' does not exist in bucket '{target.Bucket}'", 404, e.RequestId)
                : bucketExists ? e
                : new CofferException(ErrorCodes.NoSuchBucket, $"The bucket '{target.Bucket}' does not exist", 404, e.RequestId);
        }
        catch (Exception x) when (x is CofferException or CosClientException)
        {
            return e;
        }
    }

    /// <summary>"Code: message; what to do", for a server error.</summary>
    internal static string Describe(CofferException e, Invocation at)
    {
        var message = OneLine(e.ErrorMessage).TrimEnd('.');
        if (message.Length == 0)
            message = $"the server answered HTTP {e.StatusCode.ToString(CultureInfo.InvariantCulture)}";
        var hint = Hint(e, at);
        if (hint is not null)
            message = WithoutAdvice(message);
        return $"{e.Code}: {message}{(hint is null ? "" : "; " + hint)}";
    }

    private static readonly string[] AdviceVerbs = ["create", "delete", "send", "restore", "sign", "use", "choose", "check", "give", "set", "pass", "enable", "wait"];

    /// <summary>The server's message without a last clause of advice meant for SDK users ("…; create it first"), which the hint replaces.</summary>
    private static string WithoutAdvice(string message)
    {
        foreach (var separator in new[] { "; ", ": " })
        {
            var at = message.LastIndexOf(separator, StringComparison.Ordinal);
            if (at > 0 && AdviceVerbs.Any(v => message.AsSpan(at + separator.Length).StartsWith(v, StringComparison.Ordinal)))
                return message[..at];
        }
        return message;
    }

    private static string? Hint(CofferException e, Invocation at)
    {
        var target = at.Target;
        var bucket = target?.Bucket ?? "BUCKET";
        var named = KeyIdPattern().Match(e.ErrorMessage);
        var key = at.KmsKey ?? (named.Success ? named.Value : "KEY");
        return e.Code switch
        {
            ErrorCodes.NoSuchBucket => $"create it with: coffer mb cos://{bucket}",
            ErrorCodes.NoSuchKey or ErrorCodes.NoSuchResource => $"see what is there with: coffer ls cos://{bucket}/{ParentPrefix(target?.Key)}",
            ErrorCodes.NoSuchEncryptionConfiguration or ErrorCodes.ServerSideEncryptionConfigurationNotFoundError =>
                $"the bucket has no default encryption; set one with: coffer encryption set cos://{bucket} --sse AES256",
            ErrorCodes.BucketNotEmpty => $"delete its objects first, or use: coffer rb --force cos://{bucket}",
            ErrorCodes.BucketAlreadyExists or ErrorCodes.BucketAlreadyOwnedByYou => "choose another bucket name",
            ErrorCodes.InvalidAccessKeyId => "check the access key with: coffer config show (set it with: coffer config set --access-key ID)",
            ErrorCodes.SignatureDoesNotMatch => "the secret key does not match the access key; set it with: coffer config set --secret-key SECRET",
            ErrorCodes.ExpiredToken => "the session token has expired; get new temporary credentials",
            ErrorCodes.AccessDenied when e.ErrorMessage.Contains("customer-provided key", StringComparison.OrdinalIgnoreCase) =>
                "pass the SSE-C key the object was written with: --sse-c-key",
            ErrorCodes.AccessDenied when e.ErrorMessage.Contains("KMS key", StringComparison.Ordinal) =>
                "name one of your own KMS keys (list them with: coffer kms list-keys), or leave the key id out to use your default key",
            "AccessDeniedException" when e.ErrorMessage.Contains("HTTPS", StringComparison.Ordinal) =>
                "use the server's https:// endpoint: coffer config set --endpoint https://HOST:PORT",
            ErrorCodes.AccessDenied or "AccessDeniedException" =>
                "these credentials may not do this; check the profile with: coffer config show (or the SSE-C key with --sse-c-key)",
            ErrorCodes.InvalidObjectState => $"the object is archived; restore it first with: coffer restore cos://{bucket}/{target?.Key ?? "KEY"} --days 1",
            ErrorCodes.RestoreAlreadyInProgress => "wait for it with: coffer stat, or add --wait to coffer restore",
            "NotFoundException" or "KMS.NotFoundException" or ErrorCodes.KmsKeyNotExist => "list your keys with: coffer kms list-keys",
            "DisabledException" or "KMS.DisabledException" or ErrorCodes.KmsKeyDisabled => $"enable the key with: coffer kms enable {key}",
            "KMSInvalidStateException" or "KMS.KMSInvalidStateException" or ErrorCodes.KmsException
                when e.ErrorMessage.Contains("pending deletion", StringComparison.OrdinalIgnoreCase) =>
                $"the key is pending deletion; keep it with: coffer kms cancel-deletion {key}",
            "BadRequest" when e.StatusCode == 400 && target is not null =>
                "if the object is encrypted with SSE-C, pass its key with --sse-c-key",
            ErrorCodes.SsecDecryptHeaderInvalid => "pass the object's SSE-C key with --sse-c-key (base64 of 32 bytes, or @FILE)",
            _ when e.ErrorMessage.Contains("HTTPS", StringComparison.OrdinalIgnoreCase) || e.ErrorMessage.Contains("TLS", StringComparison.Ordinal) =>
                "use the server's https:// endpoint: coffer config set --endpoint https://HOST:PORT",
            _ => null,
        };
    }

    internal static string Describe(CosClientException e, Invocation at)
    {
        if (e.Kind == CosClientErrorKind.Network && FindInner<AuthenticationException>(e) is not null)
            return $"the server's TLS certificate is not trusted ({OneLine(e.Message)}); trust it with: coffer config set --ca-file CERT.pem (coffer serve prints where its certificate is)";
        return e.Kind switch
        {
            CosClientErrorKind.Network or CosClientErrorKind.Timeout =>
                $"{OneLine(e.Message)}; check the endpoint ({at.Endpoint}) with: coffer config show",
            CosClientErrorKind.ChecksumMismatch or CosClientErrorKind.SizeMismatch =>
                $"{OneLine(e.Message)}; the data was damaged in transit: run the command again",
            CosClientErrorKind.ObjectChanged => $"{OneLine(e.Message)}; run the command again to fetch the new version",
            _ => OneLine(e.Message),
        };
    }

    private static T? FindInner<T>(Exception e)
        where T : Exception
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is T found)
                return found;
        }
        return null;
    }

    private static string ParentPrefix(string? key)
    {
        if (string.IsNullOrEmpty(key))
            return "";
        var slash = key.LastIndexOf('/');
        return slash < 0 ? "" : key[..(slash + 1)];
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    /// <summary>"1.5 MiB"-style size.</summary>
    public static string HumanSize(long bytes)
    {
        string[] units = ["Bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes.ToString(CultureInfo.InvariantCulture)} Bytes" : $"{value.ToString("0.0", CultureInfo.InvariantCulture)} {units[unit]}";
    }

    /// <summary>"2026-05-01 12:34:56" in local time, as aws s3 ls prints times.</summary>
    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "                   ";

    /// <summary>Two aligned columns: label and value, one pair a line.</summary>
    public static void Fields(IEnumerable<(string Label, string? Value)> fields)
    {
        var list = fields.Where(f => f.Value is not null).ToList();
        var width = list.Count == 0 ? 0 : list.Max(f => f.Label.Length) + 2;
        foreach (var (label, value) in list)
            Console.Out.WriteLine(label.PadRight(width) + value);
    }

    /// <summary>A table with a header row, columns padded to their widest cell (no trailing spaces).</summary>
    public static void Table(string[] headers, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(headers).ToList();
        var widths = Enumerable.Range(0, headers.Length).Select(i => all.Max(r => r[i].Length) + 2).ToArray();
        foreach (var row in all)
            Console.Out.WriteLine(string.Concat(row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
    }
}

/// <summary>
/// A progress line for every <paramref name="every"/>-th value reported or after <paramref name="interval"/>, whichever
/// comes first; synchronous, so lines keep their order (the long admin jobs: rekey, scrub).
/// </summary>
internal sealed class ProgressLines<T>(TextWriter output, int every, TimeSpan interval, Func<T, string> line) : IProgress<T>
{
    private long _seen;
    private long _lastPrint = Environment.TickCount64;

    public void Report(T value)
    {
        _seen++;
        var now = Environment.TickCount64;
        if (_seen % every != 0 && now - _lastPrint < (long)interval.TotalMilliseconds)
            return;
        _lastPrint = now;
        output.WriteLine(line(value));
    }
}
