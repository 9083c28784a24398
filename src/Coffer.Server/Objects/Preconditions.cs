using System.Globalization;
using Coffer.Protocol;
using Coffer.Server.Pipeline;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, evaluated as S3 does.</summary>
public static class Preconditions
{
    /// <summary>Outcome: proceed, answer 304 Not Modified, or fail with 412.</summary>
    public enum Result { Proceed, NotModified }

    public static Result Evaluate(Func<string, string?> header, ObjectRecord obj, string prefix = "")
    {
        var ifMatch = header(prefix + "If-Match");
        var ifNoneMatch = header(prefix + "If-None-Match");
        var ifModifiedSince = ParseDate(header(prefix + "If-Modified-Since"));
        var ifUnmodifiedSince = ParseDate(header(prefix + "If-Unmodified-Since"));
        var lastModified = Truncate(obj.LastModified);

        if (ifMatch is not null)
        {
            if (!Matches(ifMatch, obj.ETag))
                throw Failed();
        }
        else if (ifUnmodifiedSince is { } unmodified && lastModified > unmodified)
        {
            throw Failed();
        }

        if (ifNoneMatch is not null)
        {
            if (Matches(ifNoneMatch, obj.ETag))
                return Result.NotModified;
        }
        else if (ifModifiedSince is { } modified && lastModified <= modified)
        {
            return Result.NotModified;
        }
        return Result.Proceed;
    }

    private static CofferException Failed() => new(ErrorCode.PreconditionFailed, "At least one of the preconditions you specified did not hold (If-Match / If-Unmodified-Since).");

    private static bool Matches(string header, string etag)
    {
        foreach (var part in header.Split(','))
        {
            var candidate = part.Trim();
            if (candidate == "*") return true;
            if (candidate.StartsWith("W/", StringComparison.Ordinal)) candidate = candidate[2..];
            if (candidate.Trim('"') == etag) return true;
        }
        return false;
    }

    private static DateTimeOffset? ParseDate(string? value) =>
        value is not null && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) ? date : null;

    private static DateTimeOffset Truncate(DateTimeOffset t) => new(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, TimeSpan.Zero);
}

/// <summary>A single byte range (RFC 9110 `bytes=a-b`, `a-`, `-n`).</summary>
public readonly record struct ByteRange(long Offset, long Length)
{
    /// <summary>Parses Range against an object size. Null: no range or a form we ignore (multiple ranges, other units), so the whole object is sent.</summary>
    public static ByteRange? Parse(string? header, long size)
    {
        if (string.IsNullOrWhiteSpace(header) || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
            return null;
        var spec = header[6..].Trim();
        if (spec.Contains(','))
            return null;
        var dash = spec.IndexOf('-');
        if (dash < 0)
            return null;
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix))
                return null;
            if (suffix == 0 || size == 0)
                throw Unsatisfiable(size);
            var length = Math.Min(suffix, size);
            return new ByteRange(size - length, length);
        }
        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            return null;
        long end = size - 1;
        if (last.Length > 0 && (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start))
            return null;
        if (start >= size)
            throw Unsatisfiable(size);
        end = Math.Min(end, size - 1);
        return new ByteRange(start, end - start + 1);
    }

    private static CofferException Unsatisfiable(long size)
    {
        var e = new CofferException(ErrorCode.InvalidRange, $"The requested range is not satisfiable: the object has {size} bytes.");
        e.Headers["Content-Range"] = $"bytes */{size}";
        return e;
    }
}
