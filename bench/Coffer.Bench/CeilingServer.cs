using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Coffer.Bench;

/// <summary>
/// The machine's ceiling for the same HTTP traffic: a bare Kestrel endpoint with no object
/// logic that streams a file from disk (GET) or writes the body to a file and fsyncs it (PUT);
/// DELETE removes the file.
/// </summary>
internal static class CeilingServer
{
    public static async Task RunAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(System.Net.IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        app.Run(async http =>
        {
            var path = Path.Combine(directory, "f" + Math.Abs(http.Request.Path.Value!.GetHashCode()));
            if (HttpMethods.IsDelete(http.Request.Method))
            {
                File.Delete(path);
                http.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }
            if (HttpMethods.IsPut(http.Request.Method))
            {
                var temp = path + ".tmp";
                await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
                {
                    await http.Request.Body.CopyToAsync(file, 1 << 20);
                    await file.FlushAsync();
                    file.Flush(flushToDisk: true);
                }
                File.Move(temp, path, overwrite: true);
                return;
            }
            await using var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
            http.Response.ContentLength = read.Length;
            await read.CopyToAsync(http.Response.Body, 1 << 20);
        });
        await app.StartAsync();
        var address = app.Urls.First();
        Console.WriteLine($"  HTTP   {address}/");
        Console.WriteLine("CEILING READY");
        await Task.Delay(Timeout.Infinite);
    }
}
