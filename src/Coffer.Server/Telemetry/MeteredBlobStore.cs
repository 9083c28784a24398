using System.Diagnostics;
using Coffer.Storage;

namespace Coffer.Server.Telemetry;

/// <summary>
/// The blob store as the request path and the reclaimer see it: every call timed and counted (<c>coffer.blob.*</c>),
/// whichever backend is underneath. A missing blob on open, and a cancelled call, are outcomes, not backend errors.
/// The orphan sweeps keep the undecorated store (they ask for its concrete type).
/// </summary>
internal sealed class MeteredBlobStore(IBlobStore inner, CofferMetrics metrics) : IBlobStore, IDisposable
{
    public IBlobStore Inner => inner;

    public IBlobWriter CreateWriter() => new Writer(inner.CreateWriter(), metrics);

    public async ValueTask<Stream> OpenReadAsync(string blobId, long offset = 0, long? length = null, CancellationToken ct = default)
    {
        using var span = CofferTracing.Source.StartActivity("coffer.blob.open");
        var start = Stopwatch.GetTimestamp();
        try
        {
            var stream = await inner.OpenReadAsync(blobId, offset, length, ct).ConfigureAwait(false);
            metrics.RecordBlobCall("open", ok: true, start);
            return stream;
        }
        catch (Exception e) when (Record("open", e, start, span))
        {
            throw; // not reached: the filter records the call and lets the exception pass
        }
    }

    public async ValueTask<bool> ExistsAsync(string blobId, CancellationToken ct = default)
    {
        using var span = CofferTracing.Source.StartActivity("coffer.blob.exists");
        var start = Stopwatch.GetTimestamp();
        try
        {
            var exists = await inner.ExistsAsync(blobId, ct).ConfigureAwait(false);
            metrics.RecordBlobCall("exists", ok: true, start);
            return exists;
        }
        catch (Exception e) when (Record("exists", e, start, span))
        {
            throw;
        }
    }

    public async ValueTask DeleteAsync(string blobId, CancellationToken ct = default)
    {
        using var span = CofferTracing.Source.StartActivity("coffer.blob.delete");
        var start = Stopwatch.GetTimestamp();
        try
        {
            await inner.DeleteAsync(blobId, ct).ConfigureAwait(false);
            metrics.RecordBlobCall("delete", ok: true, start);
        }
        catch (Exception e) when (Record("delete", e, start, span))
        {
            throw;
        }
    }

    public IAsyncEnumerable<BlobInfo> ListAsync(CancellationToken ct = default)
    {
        metrics.RecordBlobCall("list", ok: true, Stopwatch.GetTimestamp());
        return inner.ListAsync(ct);
    }

    public void Dispose() => (inner as IDisposable)?.Dispose();

    private bool Record(string call, Exception e, long start, Activity? span)
    {
        var ok = e is FileNotFoundException or OperationCanceledException;
        metrics.RecordBlobCall(call, ok, start);
        if (!ok)
            CofferTracing.Fail(span, e);
        return false;
    }

    private sealed class Writer(IBlobWriter inner, CofferMetrics metrics) : IBlobWriter
    {
        public string BlobId => inner.BlobId;

        public Stream Stream => inner.Stream;

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default) => inner.WriteAsync(data, ct);

        public async Task CommitAsync(CancellationToken ct = default)
        {
            using var span = CofferTracing.Source.StartActivity("coffer.blob.commit");
            var start = Stopwatch.GetTimestamp();
            try
            {
                await inner.CommitAsync(ct).ConfigureAwait(false);
                metrics.RecordBlobCall("commit", ok: true, start);
            }
            catch (Exception e) when (Record(e, start, span))
            {
                throw;
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        private bool Record(Exception e, long start, Activity? span)
        {
            metrics.RecordBlobCall("commit", ok: e is OperationCanceledException, start);
            return CofferTracing.Fail(span, e);
        }
    }
}
