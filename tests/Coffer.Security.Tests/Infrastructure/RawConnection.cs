using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.Security.Tests.Infrastructure;

/// <summary>One HTTP/1.1 response as it came off the wire.</summary>
public sealed record RawResponse(int Status, string Head, string Body)
{
    public string? Header(string name)
    {
        foreach (var line in Head.Split("\r\n").Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                return line[(colon + 1)..].Trim();
        }
        return null;
    }
}

/// <summary>
/// A raw TCP (or TLS) connection to the fixture's server, for what no HTTP client will send: a body
/// written after the server already answered, bytes that look like a second request.
/// </summary>
public sealed class RawConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly MemoryStream _pending = new();

    private RawConnection(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        _stream = stream;
    }

    public static async Task<RawConnection> OpenAsync(CofferFixture f, bool https)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, (https ? f.HttpsUrl : f.HttpUrl).Port);
        Stream stream = tcp.GetStream();
        if (https)
        {
            var tls = new SslStream(stream, leaveInnerStreamOpen: false, (_, cert, _, _) =>
                cert is not null && cert.GetCertHashString() == f.Server.Certificate!.GetCertHashString());
            await tls.AuthenticateAsClientAsync(CofferFixture.Domain);
            stream = tls;
        }
        return new RawConnection(tcp, stream);
    }

    public async Task WriteAsync(string text)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(text));
        await _stream.FlushAsync();
    }

    /// <summary>Reads one response (head and Content-Length body); null when the server closed the connection first.</summary>
    public async Task<RawResponse?> ReadResponseAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        int headEnd;
        while ((headEnd = IndexOf(_pending, "\r\n\r\n"u8)) < 0)
            if (!await FillAsync(timeout.Token))
                return null;
        var all = _pending.ToArray();
        var head = Encoding.ASCII.GetString(all, 0, headEnd);
        var status = int.Parse(head.Split(' ')[1]);
        var response = new RawResponse(status, head, "");
        var length = int.Parse(response.Header("Content-Length") ?? "0");
        while (_pending.Length < headEnd + 4 + length)
            if (!await FillAsync(timeout.Token))
                throw new IOException("the connection closed in the middle of a response body");
        all = _pending.ToArray();
        var body = Encoding.UTF8.GetString(all, headEnd + 4, length);
        _pending.SetLength(0);
        _pending.Write(all, headEnd + 4 + length, all.Length - headEnd - 4 - length);
        return response with { Body = body };
    }

    /// <summary>
    /// Everything the server sends until it closes the connection. Throws when the connection is
    /// still open after <paramref name="limit"/> (a bound on the test, not a timing assertion).
    /// </summary>
    public async Task<string> ReadToCloseAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            while (await FillAsync(timeout.Token)) { }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException(
                $"the server kept the connection open (nothing closed it within {limit.TotalSeconds} s); received so far: {Encoding.ASCII.GetString(_pending.ToArray())}");
        }
        return Encoding.ASCII.GetString(_pending.ToArray());
    }

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int n;
        try
        {
            n = await _stream.ReadAsync(buffer, ct);
        }
        catch (IOException)
        {
            return false;   // reset by the server: closed
        }
        if (n == 0)
            return false;
        _pending.Write(buffer, 0, n);
        return true;
    }

    private static int IndexOf(MemoryStream stream, ReadOnlySpan<byte> needle) =>
        stream.GetBuffer().AsSpan(0, (int)stream.Length).IndexOf(needle);

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
