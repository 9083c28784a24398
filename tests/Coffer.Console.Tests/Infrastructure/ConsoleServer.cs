using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Coffer.Testing;

namespace Coffer.Console.Tests.Infrastructure;

/// <summary>The console tests' server: HTTP and HTTPS on loopback, metrics for the administrator (the default).</summary>
public sealed class ConsoleServer : TestServer
{
    public new const string AccessKey = "AKIDCOFFERCONSOLEROOT00000000000000";
    public new const string SecretKey = "CofferConsoleRootSecret0123456789abcdefg";

    public ConsoleServer()
    {
        base.AccessKey = AccessKey;
        base.SecretKey = SecretKey;
    }

    public Uri ConsoleUrl => new(HttpsUrl, "/_coffer/console/");

    /// <summary>A client that trusts the server's generated certificate.</summary>
    public HttpClient Client(bool https = true) => new(new HttpClientHandler
    {
        ServerCertificateCustomValidationCallback = (_, _, _, _) => true,
        AllowAutoRedirect = false,
    })
    { BaseAddress = https ? HttpsUrl : HttpUrl };

    /// <summary>
    /// Sends a request line exactly as given (HttpClient would normalize "..", "%2e" and the like away) over plain HTTP
    /// and answers the status code, the headers and the body.
    /// </summary>
    public async Task<(int Status, Dictionary<string, string> Headers, string Body)> RawAsync(string method, string target, string? host = null, string extraHeaders = "")
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(HttpUrl.Host, HttpUrl.Port);
        var stream = tcp.GetStream();
        var request = $"{method} {target} HTTP/1.1\r\nHost: {host ?? HttpUrl.Authority}\r\n{extraHeaders}Content-Length: 0\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var lines = text[..split].Split("\r\n");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }
        return (int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), headers, text[(split + 4)..]);
    }
}
