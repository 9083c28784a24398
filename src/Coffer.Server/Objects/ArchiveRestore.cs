using Coffer.Protocol;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>The retrieval speed a restore asks for (RestoreRequest …JobParameters/Tier).</summary>
public enum RestoreTier
{
    /// <summary>ARCHIVE only: minutes.</summary>
    Expedited,
    /// <summary>The default: hours.</summary>
    Standard,
    /// <summary>The cheapest: many hours.</summary>
    Bulk,
}

/// <summary>
/// Restores of archived objects as pure functions of time: a restore is a <see cref="RestoreState"/>
/// of instants fixed when it is requested (ready at, expires at), and everything else (ongoing,
/// readable, the x-cos-restore headers) is computed from the clock when asked. No timer runs, so a
/// restart in the middle of a restore neither loses it nor runs it twice.
/// </summary>
public static class ArchiveRestore
{
    /// <summary>Shortest lifetime of a restored copy, in days (RestoreRequest Days).</summary>
    public const int MinDays = 1;

    /// <summary>Longest lifetime of a restored copy, in days.</summary>
    public const int MaxDays = 365;

    /// <summary>
    /// How long a restore takes at TimeScale 1: the upper bound of the range COS documents for the
    /// class and tier (POST Object restore: ARCHIVE Expedited 1–5 min, Standard 3–5 h, Bulk 5–12 h;
    /// DEEP_ARCHIVE Standard 12–24 h, Bulk 24–48 h), so a client that waits as long as COS says
    /// never finds it still running. Null when the class does not offer the tier.
    /// </summary>
    public static TimeSpan? Duration(string storageClass, RestoreTier tier) => (storageClass, tier) switch
    {
        (StorageClasses.DeepArchive, RestoreTier.Expedited) => null,
        (StorageClasses.DeepArchive, RestoreTier.Standard) => TimeSpan.FromHours(24),
        (StorageClasses.DeepArchive, RestoreTier.Bulk) => TimeSpan.FromHours(48),
        (_, RestoreTier.Expedited) => TimeSpan.FromMinutes(5),
        (_, RestoreTier.Standard) => TimeSpan.FromHours(5),
        _ => TimeSpan.FromHours(12),
    };

    /// <summary>The clock restores are measured on: <see cref="CofferServerOptions.RestoreClock"/>, else the server's.</summary>
    public static DateTimeOffset Now(CofferServices s) => (s.Options.RestoreClock ?? s.Time).GetUtcNow();

    /// <summary>A new restore requested at <paramref name="now"/>: ready after the tier's duration, expiring <paramref name="days"/> later.</summary>
    public static RestoreState Start(string storageClass, RestoreTier tier, int days, DateTimeOffset now, double timeScale)
    {
        var duration = Duration(storageClass, tier)
            ?? throw new ArgumentException($"{storageClass} cannot be restored with the {tier} tier.", nameof(tier));
        var readyAt = now + Scale(duration, timeScale);
        return new RestoreState(now, tier.ToString(), days, readyAt, ExpiryAfter(readyAt, days, timeScale));
    }

    /// <summary>A repeated restore of a restored copy: it now lives <paramref name="days"/> from <paramref name="now"/> (S3 semantics).</summary>
    public static RestoreState Extend(RestoreState state, int days, DateTimeOffset now, double timeScale) =>
        state with { Days = days, ExpiresAt = ExpiryAfter(now, days, timeScale) };

    /// <summary>
    /// <paramref name="days"/> after <paramref name="from"/>, divided by the time scale. At real
    /// speed (scale 1) it is rounded up to the next midnight UTC, as COS and S3 align expiry dates;
    /// a scaled day is too short for that.
    /// </summary>
    public static DateTimeOffset ExpiryAfter(DateTimeOffset from, int days, double timeScale)
    {
        var expiry = from + Scale(TimeSpan.FromDays(days), timeScale);
        if (timeScale != 1.0)
            return expiry;
        var utc = expiry.ToUniversalTime();
        var midnight = new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
        return midnight == utc ? midnight : midnight.AddDays(1);
    }

    /// <summary>Whether the object's data can be read (GET, copy source) now: any non-archive object, or an archived one with a live restored copy.</summary>
    public static bool IsReadable(ObjectRecord obj, DateTimeOffset now) =>
        !StorageClasses.IsArchive(obj.StorageClass) || obj.Restore?.IsRestored(now) == true;

    /// <summary>
    /// x-cos-restore (and while ongoing, for COS callers, x-cos-restore-status) as COS sends them on
    /// HEAD and GET (docs/protocol/objects.md#restoreobject); nothing when never restored or the copy has expired.
    /// </summary>
    public static void WriteHeaders(RequestContext ctx, RestoreState? restore, DateTimeOffset now)
    {
        if (restore is null || restore.IsExpired(now))
            return;
        if (restore.IsOngoing(now))
        {
            ctx.SetFamilyHeader("restore", "ongoing-request=\"true\"");
            if (ctx.Family == ProtocolFamily.Cos)
                ctx.SetFamilyHeader("restore-status", $"tier=\"{restore.Tier.ToLowerInvariant()}\"; request-date=\"{XmlText.HttpDate(restore.RequestDate)}\"");
            return;
        }
        ctx.SetFamilyHeader("restore", $"ongoing-request=\"false\", expiry-date=\"{XmlText.HttpDate(restore.ExpiresAt)}\"");
    }

    private static TimeSpan Scale(TimeSpan duration, double timeScale) =>
        timeScale == 1.0 ? duration : TimeSpan.FromTicks((long)(duration.Ticks / timeScale));
}
