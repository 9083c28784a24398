using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Coffer.Crypto;
using Coffer.Protocol;
using Coffer.Protocol.Auth;
using Coffer.Server.Access;
using Coffer.Server.Handlers;
using Coffer.Server.Objects;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Fuzz;

/// <summary>
/// The harness functions of the fuzz targets (docs/reliability.md#hostile-input). Each takes any bytes and either
/// returns (the input parsed, or was refused with the parser's documented exception, which it catches) or lets
/// another exception escape: that is a finding. Hangs are findings too (the fuzzer's timeout). The same functions
/// run under AFL++ (instrumented, <c>fuzz/run.sh</c>) and, uninstrumented, in the replay test that keeps every
/// corpus file a regression test.
/// </summary>
public static class Targets
{
    /// <summary>The fixed "now" of the auth and chunked targets; the seeds are signed for it.</summary>
    public static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public const string AccessKey = "AKIAIOSFODNN7EXAMPLE";
    public const string CosSecretId = "AKIDfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz";
    public const string SecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    /// <summary>Every target by name.</summary>
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["auth"] = Auth,
        ["chunked"] = Chunked,
        ["xml"] = Xml,
        ["sealed"] = Sealed,
        ["headers"] = Headers,
        ["policy"] = Policy,
        ["canary"] = Canary,
    };

    /// <summary>
    /// The harness's self-check: an input starting with '!' escapes with an undocumented exception, as a parser bug
    /// would (the exception is thrown by the harness, which is not instrumented, after an instrumented parser ran). Its
    /// seed ("a") is one mutation away, so a campaign (<c>fuzz/run.sh canary 30</c>) must report a crash
    /// within seconds; if it does not, the fuzzing setup is blind and its zero findings mean nothing.
    /// </summary>
    public static void Canary(byte[] data)
    {
        // Runs instrumented code first (AFL refuses a target in which it sees none), then the planted bug.
        Auth(data);
        if (data.Length > 0 && data[0] == (byte)'!')
        {
            throw new InvalidOperationException("canary: the fuzzer found the planted crash");
        }
    }

    // ---- auth: COS, SigV4 and SigV2 in the Authorization header and presigned query strings ----

    /// <summary>
    /// Input: a request as text, "METHOD TARGET" then "Name: value" lines (a "Host: b.coffer.test" line makes the
    /// request virtual-hosted). Documented failure: <see cref="CofferException"/>.
    /// </summary>
    public static void Auth(byte[] data)
    {
        var request = ParseRequest(data);
        try
        {
            RequestAuthenticator.Authenticate(request, Lookup, Now);
        }
        catch (CofferException)
        {
        }
    }

    private static string? Lookup(string id) => id is AccessKey or CosSecretId ? SecretKey : null;

    /// <summary>Builds the request of the auth target; never throws.</summary>
    public static SignableRequest ParseRequest(byte[] data)
    {
        string text = Encoding.UTF8.GetString(data);
        string[] lines = text.Split('\n');
        string first = lines[0].TrimEnd('\r');
        int space = first.IndexOf(' ');
        string method = space > 0 ? first[..space] : "GET";
        string target = space > 0 ? first[(space + 1)..] : first;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var repeated = new List<string>();
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].TrimStart();
            if (headers.TryGetValue(name, out var existing))
            {
                headers[name] = existing + "," + value;
                repeated.Add(name);
            }
            else
            {
                headers[name] = value;
            }
        }

        string? bucket = null;
        if (headers.TryGetValue("host", out var host) && host.EndsWith(".coffer.test", StringComparison.OrdinalIgnoreCase))
        {
            bucket = host[..^".coffer.test".Length];
        }

        return new SignableRequest
        {
            Method = method.ToUpperInvariant(),
            RawTarget = target.Length == 0 ? "/" : target,
            Headers = headers,
            RepeatedHeaders = repeated,
            VirtualHostBucket = bucket,
        };
    }

    // ---- chunked: the aws-chunked body reader with trailers ----

    private static readonly Lazy<(AuthenticatedIdentity Signed, AuthenticatedIdentity SignedTrailer)> ChunkIdentities = new(() =>
        (SignedIdentity(SigV4Payloads.Streaming), SignedIdentity(SigV4Payloads.StreamingTrailer)));

    /// <summary>Payload keywords of aws-chunked bodies.</summary>
    public static class SigV4Payloads
    {
        public const string Streaming = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
        public const string StreamingTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    }

    /// <summary>The identity of a SigV4 streaming PUT signed at <see cref="Now"/>: its chunk signing context seeds the chunk signatures.</summary>
    public static AuthenticatedIdentity SignedIdentity(string payload)
    {
        KeyValuePair<string, string>[] headers =
        [
            new("host", "fuzz.example"),
            new("x-amz-content-sha256", payload),
            new("x-amz-date", SigV4Signer.FormatAmzDate(Now)),
        ];
        string authorization = SigV4Signer.Sign(AccessKey, SecretKey, "us-east-1", "s3", "PUT", "/b/k", headers, payload);
        var all = headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
        all["Authorization"] = authorization;
        return RequestAuthenticator.Authenticate(new SignableRequest { Method = "PUT", RawTarget = "/b/k", Headers = all }, Lookup, Now)!;
    }

    /// <summary>
    /// Input: byte 0 chooses the framing (0 unsigned chunks + trailer, 1 signed chunks, 2 signed chunks + signed trailer)
    /// and, in its high bits, whether x-amz-decoded-content-length is known; the rest is the body. Documented failure:
    /// <see cref="CofferException"/>.
    /// </summary>
    public static void Chunked(byte[] data)
    {
        if (data.Length == 0)
        {
            return;
        }

        int mode = data[0] % 3;
        long decodedLength = (data[0] & 0x80) != 0 ? (data[0] >> 2) & 0x1F : -1;
        var identity = mode switch
        {
            0 => new AuthenticatedIdentity(AccessKey, null, SignatureScheme.SigV4Header, PayloadKind.StreamingUnsignedTrailer, null, null, "us-east-1"),
            1 => ChunkIdentities.Value.Signed,
            _ => ChunkIdentities.Value.SignedTrailer,
        };
        using var stream = new AwsChunkedStream(new MemoryStream(data, 1, data.Length - 1), identity, decodedLength);
        var buffer = new byte[97];
        try
        {
            while (stream.Read(buffer, 0, buffer.Length) > 0)
            {
            }

            _ = stream.Trailers.Count;
        }
        catch (CofferException)
        {
        }
    }

    // ---- xml: every request-body parser ----

    /// <summary>The XML body parsers: root element and the parser that follows <see cref="XmlInput.Parse"/>.</summary>
    public static readonly (string Root, Action<System.Xml.Linq.XElement, ProtocolFamily> Parse)[] XmlParsers =
    [
        ("LifecycleConfiguration", (root, family) => LifecycleXml.Parse(root, family, null)),
        ("Tagging", (root, family) => Tagging.ParseXml(root, Tagging.MaxObjectTags, family)),
        ("Delete", (root, _) => DeleteHandlers.ParseDelete(root)),
        ("CompleteMultipartUpload", (root, _) => Multipart.ParseCompletion(root)),
        ("RestoreRequest", (root, _) => RestoreRequest.Parse(root)),
        ("ServerSideEncryptionConfiguration", (root, family) => EncryptionHandlers.ParseConfiguration(root, family)),
        ("CreateBucketConfiguration", (root, _) => root.ChildValue("LocationConstraint")),
    ];

    /// <summary>
    /// Input: byte 0 chooses the parser (<see cref="XmlParsers"/>) and, in bit 7, the family (COS or S3); the rest is
    /// the body. Documented failure: <see cref="CofferException"/>.
    /// </summary>
    public static void Xml(byte[] data)
    {
        if (data.Length == 0)
        {
            return;
        }

        var (root, parse) = XmlParsers[(data[0] & 0x7F) % XmlParsers.Length];
        var family = (data[0] & 0x80) != 0 ? ProtocolFamily.Cos : ProtocolFamily.S3;
        try
        {
            parse(XmlInput.Parse(data[1..], root), family);
        }
        catch (CofferException)
        {
        }
    }

    // ---- sealed: the sealed-stream reader ----

    /// <summary>The fixed object key of the sealed target.</summary>
    public static ObjectKey FuzzKey() => ObjectKey.FromBytes(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    public const string StreamIdentity = "fuzz-bucket/fuzz-key/stream";

    /// <summary>
    /// Input: byte 0 flags (bit 0: encrypted with <see cref="FuzzKey"/>, else plain framing; bit 1: a range read),
    /// bytes 1–4 the plaintext length (little-endian, modulo 1 MiB), bytes 5–8 and 9–12 the range's offset and count
    /// (folded into the length), then the sealed stream. Documented failure: <see cref="SealedStreamException"/>.
    /// </summary>
    public static void Sealed(byte[] data)
    {
        if (data.Length < 13)
        {
            return;
        }

        bool encrypted = (data[0] & 1) != 0, range = (data[0] & 2) != 0;
        long plainLength = BitConverter.ToUInt32(data, 1) % (1 << 20);
        long offset = 0, count = plainLength;
        if (range && plainLength > 0)
        {
            offset = BitConverter.ToUInt32(data, 5) % plainLength;
            count = BitConverter.ToUInt32(data, 9) % (plainLength - offset + 1);
        }

        using var key = encrypted ? FuzzKey() : null;
        try
        {
            using var stream = SealedStreamReader.OpenRange(new MemoryStream(data, 13, data.Length - 13), key, StreamIdentity, plainLength, offset, count);
            var buffer = new byte[4096];
            while (stream.Read(buffer, 0, buffer.Length) > 0)
            {
            }
        }
        catch (SealedStreamException)
        {
        }
    }

    // ---- headers: Range, conditional headers, copy source and copy range ----

    /// <summary>
    /// Input: text lines: Range, object size, x-amz-copy-source, x-amz-copy-source-range, If-Match, If-None-Match,
    /// If-Modified-Since, If-Unmodified-Since. Documented failure: <see cref="CofferException"/>.
    /// </summary>
    public static void Headers(byte[] data)
    {
        string[] lines = Encoding.UTF8.GetString(data).Split('\n');
        string? Line(int i) => i < lines.Length && lines[i].Length > 0 ? lines[i].TrimEnd('\r') : null;
        long size = long.TryParse(Line(1), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 1000;
        var obj = new ObjectRecord
        {
            Bucket = "b",
            Key = "k",
            Size = size,
            ETag = "0123456789abcdef0123456789abcdef",
            Crc64 = 0,
            LastModified = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero),
            Streams = [],
        };
        var conditionals = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["If-Match"] = Line(4),
            ["If-None-Match"] = Line(5),
            ["If-Modified-Since"] = Line(6),
            ["If-Unmodified-Since"] = Line(7),
        };
        foreach (var step in (Action[])[
            () => ByteRange.Parse(Line(0), size),
            () => CopySource.Parse(Line(2) ?? "", "coffer.test"),
            () => Multipart.ParseCopyRange(Line(3), size),
            () => Preconditions.Evaluate(name => conditionals.GetValueOrDefault(name), obj),
        ])
        {
            try
            {
                step();
            }
            catch (CofferException)
            {
            }
        }
    }

    // ---- policy: the bucket-policy parser, and the evaluator and public-status check on what it accepts ----

    /// <summary>
    /// The requests every accepted policy is evaluated for: anonymous and named, object and listing, both families'
    /// actions. Lazy, as every instrumented object must be: made before SharpFuzz's fork server is up, it would write to
    /// a coverage map that does not exist yet.
    /// </summary>
    private static readonly Lazy<PolicyRequest[]> PolicyProbes = new(() =>
    [
        new() { Action = "s3:GetObject", CosAction = "name/cos:GetObject", Bucket = "b", Key = "reports/2026/a b.txt", SecureTransport = true, SourceIp = IPAddress.Parse("10.1.2.3"), Now = Now },
        new()
        {
            Action = "s3:PutObject",
            CosAction = "name/cos:PutObject",
            Bucket = "b",
            Key = "tmp/x",
            UserName = "bob",
            UserId = new string('a', 64),
            SourceIp = IPAddress.Parse("2001:db8::1"),
            Now = Now,
            ExistingTags = [new Tag("project", "blue")],
            Header = name => name switch
            {
                "server-side-encryption" => "aws:kms",
                "server-side-encryption-aws-kms-key-id" => "k",
                "tagging" => "project=blue&a=%20b",
                "acl" => "private",
                _ => null,
            },
        },
        new() { Action = "s3:ListBucket", CosAction = "name/cos:GetBucket", Bucket = "b", Prefix = "reports/", Delimiter = "/", MaxKeys = "100", UserName = "alice", Now = Now },
    ]);

    /// <summary>
    /// Input: a policy document as text, parsed as the policy of bucket "b" (<see cref="PolicyParser.Parse"/>, the AWS
    /// and the COS dialect); an accepted policy is then evaluated for <see cref="PolicyProbes"/> and checked for public
    /// status, so the conditions, wildcards and principals that parse are exercised too. Documented failure:
    /// <see cref="CofferException"/> (MalformedPolicy) from the parser; the evaluator must not throw at all.
    /// </summary>
    public static void Policy(byte[] data)
    {
        if (data.Length > PolicyParser.MaxBytes)
        {
            return; // the handler refuses a larger body before parsing it (MalformedPolicy, PolicyHandlers)
        }

        BucketPolicy policy;
        try
        {
            policy = PolicyParser.Parse(Encoding.UTF8.GetString(data), "b");
        }
        catch (CofferException)
        {
            return;
        }

        foreach (var probe in PolicyProbes.Value)
        {
            _ = PolicyEvaluator.Evaluate(policy, probe);
            _ = PolicyEvaluator.MayAllow(policy, probe.Action, probe.CosAction, probe.UserName, probe.UserId);
        }

        _ = PolicyStatus.IsPublic(policy);
        _ = policy.NamedUsers.Count() + policy.NamedUserIds.Count();
    }

    // ---- seeds ----

    /// <summary>Writes the seed corpora (small, valid inputs of every target) under <paramref name="folder"/>/&lt;target&gt;/.</summary>
    public static async Task WriteSeedsAsync(string folder)
    {
        void Write(string target, string name, byte[] bytes)
        {
            Directory.CreateDirectory(Path.Combine(folder, target));
            File.WriteAllBytes(Path.Combine(folder, target, name), bytes);
        }

        void Text(string target, string name, string text) => Write(target, name, Encoding.UTF8.GetBytes(text));

        Text("canary", "seed", "a");

        // auth
        string amzDate = SigV4Signer.FormatAmzDate(Now);
        KeyValuePair<string, string>[] v4Headers = [new("host", "fuzz.example"), new("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), new("x-amz-date", amzDate)];
        string v4 = SigV4Signer.Sign(AccessKey, SecretKey, "us-east-1", "s3", "GET", "/b/k?tagging", v4Headers, "UNSIGNED-PAYLOAD");
        Text("auth", "sigv4-header", $"GET /b/k?tagging\nHost: fuzz.example\nx-amz-content-sha256: UNSIGNED-PAYLOAD\nx-amz-date: {amzDate}\nAuthorization: {v4}\n");
        string presign = SigV4Signer.Presign(AccessKey, SecretKey, "us-east-1", "s3", "GET", "/b/k", [new("host", "fuzz.example")], Now, TimeSpan.FromHours(1));
        Text("auth", "sigv4-query", $"GET /b/k?{presign}\nHost: fuzz.example\n");
        string cos = CosV5Signer.Sign(CosSecretId, SecretKey, "PUT", "/k", [new("uploads", "")], [new("host", "b-1250000000.cos.ap-guangzhou.myqcloud.com")], Now, Now.AddHours(1));
        Text("auth", "cos-header", $"PUT /k?uploads\nHost: b-1250000000.cos.ap-guangzhou.myqcloud.com\nAuthorization: {cos}\n");
        string cosQuery = CosV5Signer.PresignQuery(CosSecretId, SecretKey, "GET", "/k", [], [new("host", "b-1250000000.cos.ap-guangzhou.myqcloud.com")], Now, Now.AddHours(1));
        Text("auth", "cos-query", $"GET /k?{cosQuery}\nHost: b-1250000000.cos.ap-guangzhou.myqcloud.com\n");
        string date = Now.ToString("r", CultureInfo.InvariantCulture);
        string v2 = SignV2($"PUT\n\ntext/plain\n{date}\nx-amz-meta-a:1\n/b/k?acl");
        Text("auth", "sigv2-header", $"PUT /b/k?acl\nDate: {date}\nContent-Type: text/plain\nx-amz-meta-a: 1\nAuthorization: AWS {AccessKey}:{v2}\n");
        string v2Host = SignV2($"GET\n\n\n{date}\n/vb/k");
        Text("auth", "sigv2-vhost", $"GET /k\nHost: vb.coffer.test\nDate: {date}\nAuthorization: AWS {AccessKey}:{v2Host}\n");
        long expires = Now.AddHours(1).ToUnixTimeSeconds();
        string v2Query = Uri.EscapeDataString(SignV2($"GET\n\n\n{expires}\nx-amz-security-token:t\n/b/k?versionId=1"));
        Text("auth", "sigv2-query", $"GET /b/k?versionId=1&AWSAccessKeyId={AccessKey}&Expires={expires}&Signature={v2Query}&x-amz-security-token=t\n");
        Text("auth", "anonymous", "GET /b?list-type=2&prefix=a\nHost: fuzz.example\n");

        // chunked: an unsigned body with a trailer, and signed bodies chained from the fixed seed signature.
        Write("chunked", "unsigned-trailer", [0, .. "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"u8]);
        foreach (var (mode, name, payload) in new[] { (1, "signed", SigV4Payloads.Streaming), (2, "signed-trailer", SigV4Payloads.StreamingTrailer) })
        {
            var context = SignedIdentity(payload).Chunking!;
            string s1 = SigV4Signer.SignChunk(context, context.SeedSignature, "hello"u8);
            string s0 = SigV4Signer.SignChunk(context, s1, []);
            var body = new StringBuilder($"5;chunk-signature={s1}\r\nhello\r\n0;chunk-signature={s0}\r\n");
            if (mode == 2)
            {
                KeyValuePair<string, string>[] trailer = [new("x-amz-checksum-crc32", "NhCmhg==")];
                body.Append("x-amz-checksum-crc32:NhCmhg==\r\n").Append("x-amz-trailer-signature:").Append(SigV4Signer.SignTrailer(context, s0, trailer)).Append("\r\n");
            }

            body.Append("\r\n");
            Write("chunked", name, [(byte)mode, .. Encoding.ASCII.GetBytes(body.ToString())]);
        }

        // xml
        string[] docs =
        [
            "<LifecycleConfiguration><Rule><ID>r</ID><Filter><And><Prefix>logs/</Prefix><Tag><Key>a</Key><Value>b</Value></Tag></And></Filter><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition><Expiration><Days>365</Days></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>",
            "<Tagging><TagSet><Tag><Key>project</Key><Value>blue</Value></Tag></TagSet></Tagging>",
            "<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b/c</Key></Object></Delete>",
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"0123456789abcdef0123456789abcdef\"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>abc</ETag></Part></CompleteMultipartUpload>",
            "<RestoreRequest><Days>2</Days><GlacierJobParameters><Tier>Expedited</Tier></GlacierJobParameters></RestoreRequest>",
            "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID><KMSAlgorithm>SM4</KMSAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>",
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>",
        ];
        for (int i = 0; i < docs.Length; i++)
        {
            Write("xml", XmlParsers[i].Root + "-s3", [(byte)i, .. Encoding.UTF8.GetBytes(docs[i])]);
            Write("xml", XmlParsers[i].Root + "-cos", [(byte)(i | 0x80), .. Encoding.UTF8.GetBytes(docs[i])]);
        }

        // sealed: small plain and encrypted streams (one final segment), read whole and as a range, and one encrypted
        // stream of two segments (64 KiB + 10 bytes).
        await SealedSeedAsync(Write, new byte[300], true, "");
        await SealedSeedAsync(Write, new byte[300], false, "");
        await SealedSeedAsync(Write, new byte[(64 * 1024) + 10], true, "-two-segments", ranges: false);

        // policy: both dialects, every principal form, NotPrincipal/NotAction/NotResource, and conditions of each family.
        Text("policy", "aws-public-read", """{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::b/*"}]}""");
        Text("policy", "aws-conditions", """{"Version":"2012-10-17","Id":"p","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000:user/bob","alice"]},"Action":"s3:List*","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":["reports/*","a?c"],"s3:delimiter":"/"},"NumericLessThanEquals":{"s3:max-keys":"100"},"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"DateGreaterThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}},{"Effect":"Deny","NotPrincipal":{"CanonicalUser":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},"NotAction":"s3:Get*","NotResource":["arn:aws:s3:::b/public/*"],"Condition":{"StringNotEqualsIfExists":{"s3:x-amz-server-side-encryption":"aws:kms"},"Null":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"false"},"StringEquals":{"s3:ExistingObjectTag/project":"blue","s3:RequestObjectTag/a":" b","aws:username":"bob"},"NotIpAddress":{"aws:SourceIp":"192.0.2.1"}}}]}""");
        Text("policy", "cos-dialect", """{"version":"2.0","statement":[{"principal":{"qcs":["qcs::cam::uin/100000000001:uin/bob","qcs::cam::anyone:anyone"]},"effect":"allow","action":["name/cos:GetObject","name/cos:HeadObject","name/cos:GetBucket"],"resource":["qcs::cos:ap-guangzhou:uid/1250000000:b/*","qcs::cos:ap-guangzhou:uid/1250000000:b/"],"condition":{"ip_equal":{"qcs:ip":["10.121.2.0/24"]},"string_not_equal_if_exist":{"cos:x-cos-server-side-encryption":"cos/kms"}}}]}""");
        Text("policy", "single-statement", """ {"Version":"2008-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}}""");

        // headers
        Text("headers", "range", "bytes=10-99\n1000\n/b/k?versionId=1\nbytes=0-9\n\"0123456789abcdef0123456789abcdef\"\n\nSun, 01 Jun 2025 12:00:00 GMT\n\n");
        Text("headers", "suffix", "bytes=-10\n5\nb-1250000000.cos.ap-guangzhou.myqcloud.com/k%20x\n\n\n*, W/\"x\"\n\nSun, 01 Jun 2025 11:00:00 GMT\n");
    }

    private static async Task SealedSeedAsync(Action<string, string, byte[]> write, byte[] plain, bool encrypted, string suffix, bool ranges = true)
    {
        new Random(15).NextBytes(plain);
        {
            var sealedBytes = new MemoryStream();
            using (var key = encrypted ? FuzzKey() : null)
            {
                await using var writer = new SealedStreamWriter(sealedBytes, key, StreamIdentity);
                await writer.WriteAsync(plain);
                await writer.CompleteAsync();
            }

            foreach (bool range in ranges ? (bool[])[false, true] : [false])
            {
                var input = new byte[13];
                input[0] = (byte)((encrypted ? 1 : 0) | (range ? 2 : 0));
                BitConverter.TryWriteBytes(input.AsSpan(1), (uint)plain.Length);
                BitConverter.TryWriteBytes(input.AsSpan(5), (uint)100);
                BitConverter.TryWriteBytes(input.AsSpan(9), (uint)50);
                write("sealed", $"{(encrypted ? "encrypted" : "plain")}{suffix}{(range ? "-range" : "")}", [.. input, .. sealedBytes.ToArray()]);
            }
        }
    }

    private static string SignV2(string stringToSign) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(SecretKey), Encoding.UTF8.GetBytes(stringToSign)));
}
