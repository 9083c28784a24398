using System.Text;
using Coffer.Protocol.Auth;
using Coffer.Protocol.Checksums;
using static Coffer.Protocol.Tests.Auth.ChunkedBodies;
using static Coffer.Protocol.Tests.Auth.TestRequests;

namespace Coffer.Protocol.Tests.Auth;

public sealed class AwsChunkedStreamTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // AWS "Transferring Payload in Multiple Chunks" and "trailing headers" examples: 65 KiB + 1 KiB of 'a'.
    private static readonly byte[] ExamplePayload = Enumerable.Repeat((byte)'a', 66_560).ToArray();

    private static readonly string[] Example1Signatures =
    [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ];

    private static readonly string[] Example2Signatures =
    [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ];

    private const string Example2TrailerSignature = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

    private static AuthenticatedIdentity ExampleIdentity(bool trailer)
    {
        List<KeyValuePair<string, string>> headers =
        [
            H("Host", "s3.amazonaws.com"),
            H("x-amz-date", "20130524T000000Z"),
            H("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            H("x-amz-content-sha256", trailer ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" : "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            H("Content-Encoding", "aws-chunked"),
            H("x-amz-decoded-content-length", "66560"),
        ];
        string signedHeaders, seed;
        if (trailer)
        {
            headers.Add(H("x-amz-trailer", "x-amz-checksum-crc32c"));
            signedHeaders = "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer";
            seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
        }
        else
        {
            headers.Add(H("Content-Length", "66824"));
            signedHeaders = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class";
            seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
        }

        string authorization = $"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders={signedHeaders}, Signature={seed}";
        var identity = RequestAuthenticator.Authenticate(Make("PUT", "/examplebucket/chunkObject.txt", headers, authorization), SigV4Tests.Lookup, SigV4Tests.ExampleTime);
        Assert.NotNull(identity);
        Assert.Equal(seed, identity.Chunking!.SeedSignature);
        return identity;
    }

    private static byte[] ExampleBody(string[] signatures, string? trailer = null, string? trailerSignature = null)
    {
        var body = new MemoryStream();
        Write(body, $"10000;chunk-signature={signatures[0]}\r\n");
        body.Write(ExamplePayload, 0, 65_536);
        Write(body, $"\r\n400;chunk-signature={signatures[1]}\r\n");
        body.Write(ExamplePayload, 0, 1024);
        Write(body, $"\r\n0;chunk-signature={signatures[2]}\r\n");
        if (trailer is not null)
        {
            Write(body, trailer + "\r\nx-amz-trailer-signature:" + trailerSignature + "\r\n");
        }

        Write(body, "\r\n");
        return body.ToArray();
    }

    [Fact]
    public async Task The_AWS_multiple_chunks_example_decodes_end_to_end()
    {
        var identity = ExampleIdentity(trailer: false);
        byte[] body = ExampleBody(Example1Signatures);
        Assert.Equal(66_824, body.Length); // the example's Content-Length
        using var stream = new AwsChunkedStream(new MemoryStream(body), identity, 66_560);
        Assert.Equal(ExamplePayload, await ReadAllAsync(stream, () => 8192));
        Assert.Empty(stream.Trailers);
    }

    [Fact]
    public async Task The_AWS_trailing_headers_example_decodes_end_to_end_with_its_checksum_trailer()
    {
        var identity = ExampleIdentity(trailer: true);
        byte[] body = ExampleBody(Example2Signatures, "x-amz-checksum-crc32c:sOO8/Q==", Example2TrailerSignature);
        using var stream = new AwsChunkedStream(new MemoryStream(body), identity, 66_560);
        Assert.Equal(ExamplePayload, await ReadAllAsync(stream, () => 100_000));
        Assert.Equal("sOO8/Q==", stream.Trailers["x-amz-checksum-crc32c"]);
        Assert.Single(stream.Trailers);
    }

    [Fact]
    public async Task Our_chunk_signer_reproduces_the_AWS_trailer_example_body()
    {
        var identity = ExampleIdentity(trailer: true);
        byte[] ours = Encode(ExamplePayload, 65_536, identity.Chunking, [H("x-amz-checksum-crc32c", "sOO8/Q==")]);
        Assert.Equal(ExampleBody(Example2Signatures, "x-amz-checksum-crc32c:sOO8/Q==", Example2TrailerSignature), ours);
        using var stream = new AwsChunkedStream(new MemoryStream(ours), identity, -1);
        Assert.Equal(ExamplePayload, await ReadAllAsync(stream, () => 4096));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task One_byte_at_a_time_gives_the_same_result_as_one_read(bool async)
    {
        var identity = ExampleIdentity(trailer: true);
        byte[] body = ExampleBody(Example2Signatures, "x-amz-checksum-crc32c:sOO8/Q==", Example2TrailerSignature);
        var inner = new TrickleStream(body, () => 1);
        using var stream = new AwsChunkedStream(inner, identity, 66_560);
        Assert.Equal(ExamplePayload, await ReadAllAsync(stream, () => 1, async));
        Assert.Equal("sOO8/Q==", stream.Trailers["x-amz-checksum-crc32c"]);
    }

    public static TheoryData<PayloadKind> Modes => [PayloadKind.StreamingSigned, PayloadKind.StreamingSignedTrailer, PayloadKind.StreamingUnsignedTrailer];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Random_splits_of_input_and_reads_decode_identically(PayloadKind mode)
    {
        var random = new Random((int)mode);
        for (int round = 0; round < 30; round++)
        {
            byte[] payload = new byte[random.Next(0, 300_000)];
            random.NextBytes(payload);
            int chunkSize = random.Next(3) switch { 0 => random.Next(1, 64), 1 => 8192, _ => 81_920 };
            var (identity, body) = Build(mode, payload, chunkSize, random);

            var inner = new TrickleStream(body, () => random.Next(4) == 0 ? random.Next(1, 10) : random.Next(1, 100_000));
            using var stream = new AwsChunkedStream(inner, identity, random.Next(2) == 0 ? payload.Length : -1);
            byte[] decoded = await ReadAllAsync(stream, () => random.Next(1, 200_000), async: random.Next(2) == 0);
            Assert.Equal(payload, decoded);
            Assert.Equal(payload.LongLength, stream.DecodedLength);
            if (mode != PayloadKind.StreamingSigned)
            {
                Assert.Equal(Crc32Base64(payload), stream.Trailers["x-amz-checksum-crc32"]);
            }
        }
    }

    [Fact]
    public async Task The_AWSSDK_wire_format_from_the_capture_decodes_with_its_CRC32_trailer()
    {
        // docs/protocol/signatures.md#aws-chunked-bodies: "B;chunk-signature=…\r\nhello world\r\n0;chunk-signature=…\r\nx-amz-checksum-crc32:DUoRhQ==\r\nx-amz-trailer-signature:…\r\n\r\n"
        var (identity, body) = Build(PayloadKind.StreamingSignedTrailer, "hello world"u8.ToArray(), 81_920, new Random(1));
        string text = Encoding.ASCII.GetString(body);
        Assert.StartsWith("b;chunk-signature=", text);
        Assert.Contains("\r\nhello world\r\n0;chunk-signature=", text);
        Assert.Contains("\r\nx-amz-checksum-crc32:DUoRhQ==\r\nx-amz-trailer-signature:", text);
        Assert.EndsWith("\r\n\r\n", text);
        using var stream = new AwsChunkedStream(new MemoryStream(body), identity, 11);
        Assert.Equal("hello world"u8.ToArray(), await ReadAllAsync(stream, () => 1000));
        Assert.Equal("DUoRhQ==", stream.Trailers["x-amz-checksum-crc32"]);
    }

    [Fact]
    public async Task An_unsigned_trailer_body_needs_no_signatures()
    {
        var identity = Identity(PayloadKind.StreamingUnsignedTrailer);
        byte[] body = Encoding.ASCII.GetBytes("5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
        using var stream = new AwsChunkedStream(new MemoryStream(body), identity, 11);
        Assert.Equal("hello world"u8.ToArray(), await ReadAllAsync(stream, () => 3));
        Assert.Equal("DUoRhQ==", stream.Trailers["x-amz-checksum-crc32"]);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_flipped_data_byte_fails(PayloadKind mode)
    {
        var random = new Random(2);
        byte[] payload = new byte[20_000];
        random.NextBytes(payload);
        var (identity, body) = Build(mode, payload, 8192, random);
        int index = Encoding.ASCII.GetString(body).IndexOf("\r\n", StringComparison.Ordinal) + 2 + 9000 % 8192;
        body[index] ^= 0x01;
        using var stream = new AwsChunkedStream(new MemoryStream(body), identity, payload.Length);
        if (mode == PayloadKind.StreamingUnsignedTrailer)
        {
            // Nothing signs the data; the checksum trailer (checked by the caller) no longer matches.
            byte[] decoded = await ReadAllAsync(stream, () => 4096);
            Assert.NotEqual(Crc32Base64(decoded), stream.Trailers["x-amz-checksum-crc32"]);
        }
        else
        {
            await FailsAsync(ErrorCode.SignatureDoesNotMatch, stream);
        }
    }

    public static TheoryData<string> TrailerTampering => ["value", "added", "dropped", "signature", "signature missing"];

    [Theory]
    [MemberData(nameof(TrailerTampering))]
    public async Task A_tampered_trailer_fails_the_signature(string change)
    {
        var identity = ExampleIdentity(trailer: true);
        string trailer = "x-amz-checksum-crc32c:sOO8/Q==", signature = Example2TrailerSignature;
        byte[] body = change switch
        {
            "value" => ExampleBody(Example2Signatures, "x-amz-checksum-crc32c:AAAAAA==", signature),
            "added" => ExampleBody(Example2Signatures, trailer + "\r\nx-amz-meta-extra:1", signature),
            "dropped" => Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(ExampleBody(Example2Signatures, trailer, signature)).Replace(trailer + "\r\n", "")),
            "signature" => ExampleBody(Example2Signatures, trailer, Example2Signatures[0]),
            _ => Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(ExampleBody(Example2Signatures, trailer, signature)).Replace("x-amz-trailer-signature:" + signature + "\r\n", "")),
        };
        using var stream = new AwsChunkedStream(new MemoryStream(body), identity, 66_560);
        await FailsAsync(ErrorCode.SignatureDoesNotMatch, stream);
    }

    public static TheoryData<string> ChainTampering => ["chunk signature changed", "chunk signature missing", "final signature changed", "chunks reordered", "chunk dropped", "chunk appended", "cut at a chunk boundary"];

    [Theory]
    [MemberData(nameof(ChainTampering))]
    public async Task Breaking_the_signature_chain_fails(string change)
    {
        var identity = ExampleIdentity(trailer: false);
        string[] s = Example1Signatures;
        string Chunk(int length, string signature) => $"{length:x};chunk-signature={signature}\r\n{new string('a', length)}\r\n";
        string final = $"0;chunk-signature={s[2]}\r\n\r\n";
        string good = Encoding.ASCII.GetString(ExampleBody(s));
        string body = change switch
        {
            "chunk signature changed" => good.Replace(s[1], new string('0', 64)),
            "chunk signature missing" => good.Replace("400;chunk-signature=" + s[1], "400"),
            "final signature changed" => good.Replace(s[2], s[1]),
            "chunks reordered" => Chunk(1024, s[1]) + Chunk(65_536, s[0]) + final,
            "chunk dropped" => Chunk(65_536, s[0]) + final,
            "chunk appended" => Chunk(65_536, s[0]) + Chunk(1024, s[1]) + Chunk(1, s[2]) + final,
            _ => Chunk(65_536, s[0]) + $"0;chunk-signature={s[1]}\r\n\r\n",
        };
        using var stream = new AwsChunkedStream(new MemoryStream(Encoding.ASCII.GetBytes(body)), identity, -1);
        await FailsAsync(ErrorCode.SignatureDoesNotMatch, stream);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_body_cut_short_anywhere_before_the_final_chunk_is_IncompleteBody(PayloadKind mode)
    {
        var random = new Random(4);
        byte[] payload = new byte[700];
        random.NextBytes(payload);
        var (identity, body) = Build(mode, payload, 256, random);
        int finalChunk = Encoding.ASCII.GetString(body).LastIndexOf("\r\n0", StringComparison.Ordinal) + 2;
        for (int cut = 0; cut < finalChunk + 3; cut++)
        {
            using var stream = new AwsChunkedStream(new MemoryStream(body[..cut]), identity, payload.Length);
            await FailsAsync(ErrorCode.IncompleteBody, stream);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_body_cut_short_anywhere_never_decodes_silently_to_a_wrong_result(PayloadKind mode)
    {
        var random = new Random(5);
        byte[] payload = new byte[300];
        random.NextBytes(payload);
        var (identity, body) = Build(mode, payload, 128, random);
        for (int cut = 0; cut < body.Length; cut++)
        {
            using var stream = new AwsChunkedStream(new MemoryStream(body[..cut]), identity, payload.Length);
            try
            {
                byte[] decoded = await ReadAllAsync(stream, () => 64);
                // Only the final CRLF (or the trailer after the final chunk, which the caller
                // checks against x-amz-trailer) may be missing.
                Assert.Equal(payload, decoded);
                Assert.True(mode == PayloadKind.StreamingUnsignedTrailer || stream.Trailers.Count > 0 || mode == PayloadKind.StreamingSigned, $"cut {cut}");
            }
            catch (CofferException e)
            {
                Assert.Contains(e.Error, new[] { ErrorCode.IncompleteBody, ErrorCode.SignatureDoesNotMatch });
            }
        }
    }

    [Fact]
    public async Task A_decoded_length_other_than_expected_is_IncompleteBody()
    {
        var (identity, body) = Build(PayloadKind.StreamingSigned, new byte[1000], 300, new Random(6));
        using (var shorter = new AwsChunkedStream(new MemoryStream(body), identity, 999))
        {
            await FailsAsync(ErrorCode.IncompleteBody, shorter);
        }

        using var longer = new AwsChunkedStream(new MemoryStream(body), identity, 1001);
        await FailsAsync(ErrorCode.IncompleteBody, longer);
    }

    [Theory]
    [InlineData("zz\r\nhello\r\n0\r\n\r\n")]
    [InlineData("-5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("\r\nhello\r\n0\r\n\r\n")]
    [InlineData("0x5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("10000000000000000\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5\r\nhelloXX0\r\n\r\n")]
    [InlineData("3\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5\r\nhello\r\n0\r\nno-colon-here\r\n\r\n")]
    [InlineData("5\r\nhello\r\n0\r\n\r\nextra")]
    [InlineData("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:a\r\nx-amz-checksum-crc32:b\r\n\r\n")]
    public async Task Malformed_framing_is_InvalidRequest(string body)
    {
        using var stream = new AwsChunkedStream(new MemoryStream(Encoding.ASCII.GetBytes(body)), Identity(PayloadKind.StreamingUnsignedTrailer), -1);
        await FailsAsync(ErrorCode.InvalidRequest, stream);
    }

    [Fact]
    public async Task A_chunk_size_beyond_the_declared_length_is_IncompleteBody_before_any_data_is_read()
    {
        using var stream = new AwsChunkedStream(new MemoryStream(Encoding.ASCII.GetBytes("ffffffffffffffff\r\nhello")), Identity(PayloadKind.StreamingUnsignedTrailer), 5);
        await FailsAsync(ErrorCode.IncompleteBody, stream);
    }

    [Fact]
    public async Task A_huge_chunk_size_after_some_data_is_rejected_without_overflow()
    {
        using var stream = new AwsChunkedStream(new MemoryStream(Encoding.ASCII.GetBytes("5\r\nhello\r\n7fffffffffffffff\r\nx")), Identity(PayloadKind.StreamingUnsignedTrailer), 10);
        await FailsAsync(ErrorCode.IncompleteBody, stream);
        using var unknown = new AwsChunkedStream(new MemoryStream(Encoding.ASCII.GetBytes("5\r\nhello\r\n7fffffffffffffff\r\nx")), Identity(PayloadKind.StreamingUnsignedTrailer), -1);
        await FailsAsync(ErrorCode.IncompleteBody, unknown);
    }

    [Fact]
    public async Task An_endless_header_line_is_rejected_after_a_bounded_read()
    {
        var garbage = new TrickleStream(Enumerable.Repeat((byte)'1', 10_000_000).ToArray(), () => 1 << 20);
        using var stream = new AwsChunkedStream(garbage, Identity(PayloadKind.StreamingUnsignedTrailer), -1);
        await FailsAsync(ErrorCode.InvalidRequest, stream);
        Assert.True(garbage.Position < 64 * 1024, $"read {garbage.Position} bytes");
    }

    [Fact]
    public async Task Trailers_on_a_body_signed_without_trailer_are_rejected()
    {
        var identity = ExampleIdentity(trailer: false);
        string body = Encoding.ASCII.GetString(ExampleBody(Example1Signatures));
        body = body[..^2] + "x-amz-checksum-crc32:NSRBwg==\r\n\r\n";
        using var stream = new AwsChunkedStream(new MemoryStream(Encoding.ASCII.GetBytes(body)), identity, -1);
        await FailsAsync(ErrorCode.InvalidRequest, stream);
    }

    [Fact]
    public async Task After_a_failure_every_read_throws_the_same_exception()
    {
        using var stream = new AwsChunkedStream(new MemoryStream("zz\r\n"u8.ToArray()), Identity(PayloadKind.StreamingUnsignedTrailer), -1);
        var first = await Assert.ThrowsAsync<CofferException>(async () => _ = await stream.ReadAsync(new byte[10]));
        var second = Assert.Throws<CofferException>(() => _ = stream.Read(new byte[10], 0, 10));
        Assert.Same(first, second);
    }

    [Fact]
    public async Task A_lenient_body_ending_right_after_the_final_chunk_is_accepted()
    {
        var (identity, body) = Build(PayloadKind.StreamingSigned, "abc"u8.ToArray(), 10, new Random(8));
        using var stream = new AwsChunkedStream(new MemoryStream(body[..^2]), identity, 3);
        Assert.Equal("abc"u8.ToArray(), await ReadAllAsync(stream, () => 10));
    }

    [Fact]
    public void The_stream_is_read_only_and_forward_only()
    {
        using var stream = new AwsChunkedStream(new MemoryStream(), Identity(PayloadKind.StreamingUnsignedTrailer), -1);
        Assert.True(stream.CanRead);
        Assert.False(stream.CanSeek);
        Assert.False(stream.CanWrite);
        Assert.Throws<NotSupportedException>(() => stream.Length);
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.Write([1], 0, 1));
    }

    [Fact]
    public void Only_streaming_identities_are_accepted()
    {
        var identity = new AuthenticatedIdentity("a", null, SignatureScheme.SigV4Header, PayloadKind.Unsigned, null, null, "r");
        Assert.Throws<ArgumentException>(() => new AwsChunkedStream(new MemoryStream(), identity, -1));
        var noContext = identity with { Payload = PayloadKind.StreamingSigned };
        Assert.Throws<ArgumentException>(() => new AwsChunkedStream(new MemoryStream(), noContext, -1));
    }

    [Fact]
    public async Task Large_reads_go_straight_from_the_inner_stream()
    {
        var (identity, body) = Build(PayloadKind.StreamingUnsignedTrailer, new byte[1 << 20], 1 << 20, new Random(9));
        var inner = new TrickleStream(body, () => int.MaxValue);
        using var stream = new AwsChunkedStream(inner, identity, 1 << 20);
        await ReadAllAsync(stream, () => 1 << 17);
        Assert.True(inner.Reads < 20, $"{inner.Reads} inner reads");
    }

    [Fact]
    public async Task Decoding_throughput_is_reported_without_being_asserted()
    {
        byte[] payload = new byte[32 << 20];
        new Random(10).NextBytes(payload);
        foreach (var mode in new[] { PayloadKind.StreamingSignedTrailer, PayloadKind.StreamingUnsignedTrailer })
        {
            var (identity, body) = Build(mode, payload, 81_920, new Random(11));
            var watch = System.Diagnostics.Stopwatch.StartNew();
            using var stream = new AwsChunkedStream(new MemoryStream(body), identity, payload.Length);
            var sink = new byte[81_920];
            long total = 0;
            int n;
            while ((n = await stream.ReadAsync(sink)) > 0)
            {
                total += n;
            }

            output.WriteLine($"{mode}: {total / (1 << 20) / watch.Elapsed.TotalSeconds:F0} MB/s");
        }
    }

    private static AuthenticatedIdentity Identity(PayloadKind mode, ChunkSigningContext? context = null) =>
        new("AKID", null, SignatureScheme.SigV4Header, mode, null, context, "us-east-1");

    /// <summary>A signed identity (via the authenticator) and a body for <paramref name="payload"/> with a CRC32 trailer unless mode is StreamingSigned.</summary>
    private static (AuthenticatedIdentity Identity, byte[] Body) Build(PayloadKind mode, byte[] payload, int chunkSize, Random random)
    {
        AuthenticatedIdentity identity;
        if (mode == PayloadKind.StreamingUnsignedTrailer)
        {
            identity = Identity(mode);
        }
        else
        {
            var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero).AddSeconds(random.Next(1000));
            KeyValuePair<string, string>[] headers =
            [
                H("Host", "127.0.0.1:9000"),
                H("x-amz-date", SigV4Signer.FormatAmzDate(now)),
                H("x-amz-content-sha256", mode == PayloadKind.StreamingSigned ? SigV4Signer.StreamingPayload : SigV4Signer.StreamingPayloadTrailer),
                H("x-amz-decoded-content-length", payload.Length.ToString()),
            ];
            string authorization = SigV4Signer.Sign("AKID", "SECRET", "us-east-1", "s3", "PUT", "/b/k1", headers);
            identity = RequestAuthenticator.Authenticate(Make("PUT", "/b/k1", headers, authorization), Secrets(("AKID", "SECRET")), now)!;
        }

        var trailers = mode == PayloadKind.StreamingSigned ? null : new[] { H("x-amz-checksum-crc32", Crc32Base64(payload)) };
        return (identity, Encode(payload, chunkSize, identity.Chunking, trailers));
    }

    private static string Crc32Base64(byte[] data)
    {
        var hasher = ChecksumHasher.Create(ChecksumAlgorithm.Crc32);
        hasher.Append(data);
        return hasher.GetBase64();
    }

    private static async Task FailsAsync(ErrorCode code, Stream stream)
    {
        var e = await Assert.ThrowsAsync<CofferException>(() => ReadAllAsync(stream, () => 4096));
        Assert.Same(code, e.Error);
    }
}
