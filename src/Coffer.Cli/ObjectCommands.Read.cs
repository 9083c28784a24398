using System.CommandLine;
using System.Globalization;
using System.Text;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary>The object commands that read: <c>stat</c>, <c>cat</c>, <c>restore</c>, <c>presign</c>.</summary>
internal static partial class ObjectCommands
{
    private static Command Stat()
    {
        var path = new Argument<string>("path") { Description = "cos://BUCKET/KEY (or cos://BUCKET for the bucket itself)." };
        var json = Output.JsonOption();
        var encryption = EncryptionOptions.ForReading();
        var command = new Command("stat", """
            Show an object's metadata (HEAD), including how it is encrypted.

            Size, ETag, dates, storage class, restore state, user metadata, and the encryption: SSE-COS,
            SSE-KMS with its key and context, or SSE-C with the key's MD5. An SSE-C object needs its key
            (--sse-c-key), as for reading it.

            Examples:
              coffer stat cos://photos/2026/photo.jpg
              coffer stat cos://photos/secret.jpg --sse-c-key @key.bin --json
            """) { path, json };
        encryption.AddTo(command);
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = RemotePath.Parse(parse.GetValue(path)!);
            run.Target = target;
            var client = run.Connection.Client;
            if (target.Key.Length == 0)
            {
                var bucket = await client.HeadBucketAsync(target.Bucket, ct);
                if (run.Json)
                    Output.WriteJson(new { bucket = target.Bucket, region = bucket.Region });
                else
                    Output.Fields([("Bucket", target.Bucket), ("Region", bucket.Region)]);
                return ExitCodes.Ok;
            }

            var head = await client.HeadObjectAsync(new HeadObjectRequest { Bucket = target.Bucket, Key = target.Key, CustomerKey = encryption.ReadKey(parse) }, ct);
            PrintHead(run, target, head);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static void PrintHead(Invocation run, RemotePath target, HeadObjectResponse head)
    {
        var mode = EncryptionMode(head);
        var context = DecodeContext(head.KmsContext);
        if (run.Json)
        {
            Output.WriteJson(new
            {
                bucket = target.Bucket,
                key = target.Key,
                size = head.ContentLength,
                lastModified = head.LastModified,
                etag = head.ETag,
                contentType = head.ContentType,
                storageClass = head.StorageClass,
                crc64 = head.Crc64?.ToString(CultureInfo.InvariantCulture),
                versionId = head.VersionId,
                encryption = new
                {
                    mode,
                    serverSideEncryption = head.ServerSideEncryption,
                    kmsKeyId = head.KmsKeyId,
                    kmsContext = context,
                    customerAlgorithm = head.SseCustomerAlgorithm,
                    customerKeyMd5 = head.SseCustomerKeyMd5,
                },
                restore = head.Restore is { } r ? new { ongoing = r.OngoingRequest, expiry = r.ExpiryDate } : null,
                metadata = head.Metadata,
            });
            return;
        }
        Output.Fields(
        [
            ("Object", target.ToString()),
            ("Size", $"{head.ContentLength.ToString(CultureInfo.InvariantCulture)} ({Output.HumanSize(head.ContentLength)})"),
            ("Last modified", head.LastModified is { } t ? Output.Time(t) : null),
            ("ETag", head.ETag),
            ("Content type", head.ContentType),
            ("Storage class", head.StorageClass),
            ("Encryption", mode switch
            {
                "SSE-COS" => $"SSE-COS ({head.ServerSideEncryption}, key held by the server)",
                "SSE-KMS" => $"SSE-KMS ({head.ServerSideEncryption})",
                "SSE-C" => $"SSE-C ({head.SseCustomerAlgorithm}, key held by you)",
                _ => "none",
            }),
            ("KMS key", head.KmsKeyId),
            ("KMS context", context),
            ("SSE-C key MD5", head.SseCustomerKeyMd5),
            ("CRC-64", head.Crc64?.ToString(CultureInfo.InvariantCulture)),
            ("Restore", head.Restore is { } restore
                ? restore.OngoingRequest ? "in progress" : $"restored until {Output.Time(restore.ExpiryDate)}"
                : null),
            ("Version", head.VersionId),
            .. head.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => ($"Metadata {m.Key}", (string?)m.Value)),
        ]);
    }

    /// <summary>"SSE-COS", "SSE-KMS", "SSE-C" or "none".</summary>
    internal static string EncryptionMode(ObjectResponse head) =>
        head.SseCustomerAlgorithm is not null ? "SSE-C"
        : head.ServerSideEncryption is "AES256" or "SM4" ? "SSE-COS"
        : head.ServerSideEncryption is "cos/kms" or "aws:kms" or "aws:kms:dsse" ? "SSE-KMS"
        : "none";

    private static string? DecodeContext(string? base64)
    {
        if (base64 is null)
            return null;
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return base64;
        }
    }

    private static Command Cat()
    {
        var path = new Argument<string>("path") { Description = "cos://BUCKET/KEY." };
        var encryption = EncryptionOptions.ForReading();
        var command = new Command("cat", """
            Write an object's content to standard output.

            An SSE-C object needs its key (--sse-c-key); SSE-COS and SSE-KMS objects are decrypted by the
            server without any flag.

            Examples:
              coffer cat cos://notes/todo.txt
              coffer cat cos://photos/secret.jpg --sse-c-key @key.bin > secret.jpg
            """) { path };
        encryption.AddTo(command);
        command.SetAction((parse, ct) => Output.RunAsync(parse, null, async (run, ct) =>
        {
            var target = ParseObject(run, parse.GetValue(path)!);
            await using var get = await run.Connection.Client.GetObjectAsync(target.Bucket, target.Key, encryption.ReadKey(parse), ct);
            await using var stdout = Console.OpenStandardOutput();
            await get.CopyToAsync(stdout, ct);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Restore()
    {
        var path = new Argument<string>("path") { Description = "cos://BUCKET/KEY of an ARCHIVE or DEEP_ARCHIVE object." };
        var days = new Option<int>("--days") { Description = "How many days the restored copy stays readable.", DefaultValueFactory = _ => 1 };
        var tier = new Option<string>("--tier") { Description = "Expedited (ARCHIVE only), Standard or Bulk.", DefaultValueFactory = _ => "Standard" }
            .AcceptOnlyFromAmong("Expedited", "Standard", "Bulk");
        var wait = new Option<bool>("--wait") { Description = "Wait until the restore has finished (checks every second)." };
        var json = Output.JsonOption();
        var encryption = EncryptionOptions.ForReading();
        var command = new Command("restore", """
            Restore an archived object (POST Object restore) so that it can be read for --days days.

            An SSE-C object needs its key (--sse-c-key).

            Examples:
              coffer restore cos://archive/2020.tar --days 7 --tier Bulk
              coffer restore cos://archive/secret.bin --days 1 --tier Expedited --sse-c-key @key.bin --wait
            """) { path, days, tier, wait, json };
        encryption.AddTo(command);
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = ParseObject(run, parse.GetValue(path)!);
            var dayCount = parse.GetValue(days);
            if (dayCount < 1)
                throw new UsageException("--days must be at least 1.");
            var key = encryption.ReadKey(parse);
            var client = run.Connection.Client;
            var response = await client.RestoreObjectAsync(new RestoreObjectRequest
            {
                Bucket = target.Bucket,
                Key = target.Key,
                Days = dayCount,
                Tier = parse.GetValue(tier)!,
                CustomerKey = key,
            }, ct);
            var already = response.StatusCode == 200;
            RestoreStatus? done = null;
            if (parse.GetValue(wait))
            {
                while ((await client.HeadObjectAsync(target.Bucket, target.Key, key, ct)).Restore is not { OngoingRequest: false } status)
                    await Task.Delay(TimeSpan.FromSeconds(1), ct);
                done = (await client.HeadObjectAsync(target.Bucket, target.Key, key, ct)).Restore;
            }
            if (run.Json)
            {
                Output.WriteJson(new
                {
                    bucket = target.Bucket,
                    key = target.Key,
                    days = dayCount,
                    tier = parse.GetValue(tier),
                    status = already ? "already-restored" : "accepted",
                    restored = done is not null ? true : (bool?)null,
                    expiry = done?.ExpiryDate,
                });
                return ExitCodes.Ok;
            }
            Console.WriteLine(already
                ? $"restore: {target} is already restored; its copy now stays {dayCount} {(dayCount == 1 ? "day" : "days")}"
                : $"restore: {target} requested ({parse.GetValue(tier)}, {dayCount} {(dayCount == 1 ? "day" : "days")})");
            if (done is not null)
                Console.WriteLine($"restored: {target} can be read until {Output.Time(done.ExpiryDate)}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Presign()
    {
        var path = new Argument<string>("path") { Description = "cos://BUCKET/KEY (with --post: a key, or a prefix ending in '/')." };
        var expires = new Option<string>("--expires") { Description = "How long the URL works: seconds, or 90s, 15m, 2h, 7d.", DefaultValueFactory = _ => "3600" };
        var method = new Option<string>("--method") { Description = "The request the URL allows.", DefaultValueFactory = _ => "GET" }
            .AcceptOnlyFromAmong("GET", "PUT", "HEAD", "DELETE");
        var post = new Option<bool>("--post") { Description = "Print a browser POST form (URL and fields) instead: an HTML form may upload one file within it." };
        var maxSize = new Option<long?>("--max-size") { Description = "With --post: the most bytes the file may have.", HelpName = "BYTES" };
        var contentType = new Option<string?>("--content-type") { Description = "With --post: the Content-Type the object gets (fixed by the form's policy).", HelpName = "TYPE" };
        var encryption = EncryptionOptions.ForForms();
        var json = Output.JsonOption();
        var command = new Command("presign", """
            Print a presigned URL for one request without credentials, or with --post a browser upload form.

            Anyone holding the URL can make that one request (GET by default) until it expires. SSE-C keys
            cannot travel in a URL: whoever uses it sends the key headers themselves.

            With --post, coffer prints the URL to post to and the form's fields, in order: an HTML form
            (enctype="multipart/form-data") sends them, then the file in a field named "file", last. The form's
            policy fixes the bucket, the key (or, for a path ending in '/', the prefix: the key is then
            PREFIX${filename}), --max-size, --content-type and the encryption (--sse…; SSE-C and SSE-KMS forms
            must be posted over HTTPS). Anyone holding the form can upload within it until it expires.

            Examples:
              coffer presign cos://photos/2026/photo.jpg --expires 15m
              coffer presign cos://uploads/incoming.bin --method PUT --expires 1h
              coffer presign --post cos://uploads/inbox/ --max-size 10485760 --expires 1h
            """) { path, expires, method, post, maxSize, contentType, json };
        encryption.AddTo(command);
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, (run, ct) =>
        {
            var text = parse.GetValue(path)!;
            var lifetime = ParseDuration(parse.GetValue(expires)!, "--expires");
            if (lifetime < TimeSpan.FromSeconds(1) || lifetime > TimeSpan.FromDays(7))
                throw new UsageException("--expires must be from 1 second to 7 days.");
            if (!parse.GetValue(post))
            {
                if (parse.GetValue(maxSize) is not null || parse.GetValue(contentType) is not null || encryption.AnyWriteFlag(parse)
                    || parse.GetValue(encryption.CustomerKey) is not null)
                    throw new UsageException("--max-size, --content-type, --sse… and --storage-class go with --post only.");
                var target = ParseObject(run, text);
                var verb = parse.GetValue(method)!;
                var url = run.Connection.Client.GetPresignedUrl(verb, target.Bucket, target.Key, lifetime);
                if (run.Json)
                    Output.WriteJson(new { url, method = verb, expires = DateTimeOffset.UtcNow + lifetime });
                else
                    Console.WriteLine(url);
                return Task.FromResult(ExitCodes.Ok);
            }
            var remote = RemotePath.Parse(text);
            run.Target = remote;
            if (parse.GetValue(maxSize) is < 0)
                throw new UsageException("--max-size must be 0 or more.");
            var form = run.Connection.Client.PresignPost(new PostPolicyOptions
            {
                Bucket = remote.Bucket,
                Key = remote.Key,
                KeyIsPrefix = remote.Key.Length == 0 || remote.Key.EndsWith('/'),
                Expires = lifetime,
                MaxSize = parse.GetValue(maxSize),
                ContentType = parse.GetValue(contentType),
                Encryption = encryption.WriteSse(parse),
                StorageClass = encryption.StorageClassValue(parse),
            });
            if (run.Json)
                Output.WriteJson(new { url = form.Url, fields = form.Fields.Select(f => new { name = f.Key, value = f.Value }), expires = form.Expiration });
            else
            {
                Console.WriteLine(form.Url);
                foreach (var (name, value) in form.Fields)
                    Console.WriteLine($"{name}={value}");
            }
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    /// <summary>Seconds, or a number with s, m, h or d.</summary>
    internal static TimeSpan ParseDuration(string text, string option)
    {
        var t = text.Trim();
        var unit = t.Length > 0 && char.IsAsciiLetter(t[^1]) ? char.ToLowerInvariant(t[^1]) : 's';
        var number = char.IsAsciiLetter(t.Length > 0 ? t[^1] : '0') ? t[..^1] : t;
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || "smhd".IndexOf(unit, StringComparison.Ordinal) < 0)
            throw new UsageException($"{option} '{text}' is not a duration; write seconds or e.g. 90s, 15m, 2h, 7d.");
        return unit switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            _ => TimeSpan.FromDays(amount),
        };
    }
}
