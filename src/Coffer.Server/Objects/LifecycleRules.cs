using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>
/// What a lifecycle configuration does to one object or upload, as pure functions of the rules, the object and the
/// clock (docs/protocol/lifecycle.md): which rules name it, when it expires, which class it is due to move to, and
/// whether an upload is due to be aborted. The job (<see cref="Hosting.LifecycleJob"/>) and the x-amz-expiration
/// header share them, so what HEAD announces is what the job does.
/// </summary>
public static class LifecycleRules
{
    /// <summary>S3's default: objects under 128 KiB are not transitioned.</summary>
    public const long S3MinimumTransitionSize = 128 * 1024;

    /// <summary>COS: objects under 64 KiB are never transitioned.</summary>
    public const long CosMinimumTransitionSize = 64 * 1024;

    /// <summary>
    /// Whether the rule names an object of this key, size and tags: the key starts with the prefix, the size is strictly
    /// inside the size bounds, and every tag of the filter is among the object's (which may have more). Status aside.
    /// </summary>
    public static bool Names(LifecycleRule rule, string key, long size, IReadOnlyList<Tag> tags) =>
        key.StartsWith(rule.Prefix, StringComparison.Ordinal)
        && (rule.SizeGreaterThan is not { } gt || size > gt)
        && (rule.SizeLessThan is not { } lt || size < lt)
        && rule.Tags.All(tags.Contains);

    /// <summary>
    /// When something <paramref name="days"/> days after <paramref name="created"/> is due: at real speed the next
    /// midnight UTC at or after that instant (S3 rounds up so); under a time scale, the scaled instant itself.
    /// </summary>
    public static DateTimeOffset DueAfter(DateTimeOffset created, int days, double timeScale) =>
        ArchiveRestore.ExpiryAfter(created, days, timeScale);

    /// <summary>The earliest expiration (Days or Date) of an Enabled rule that names the object, with its rule; null when none does.</summary>
    public static (DateTimeOffset At, LifecycleRule Rule)? Expiry(BucketLifecycle? lifecycle, ObjectRecord obj, double timeScale)
    {
        if (lifecycle is null)
            return null;
        (DateTimeOffset At, LifecycleRule Rule)? earliest = null;
        foreach (var rule in lifecycle.Rules)
        {
            if (!rule.Enabled || rule.Expiration is not { } e || !Names(rule, obj.Key, obj.Size, obj.Tags))
                continue;
            DateTimeOffset? at = e.Days is { } days ? DueAfter(obj.LastModified, days, timeScale) : e.Date;
            if (at is { } due && (earliest is null || due < earliest.Value.At))
                earliest = (due, rule);
        }
        return earliest;
    }

    /// <summary>
    /// The class the object is due to move to at <paramref name="now"/>: the coldest target of the due transitions of the
    /// Enabled rules that name it (and whose minimum size it reaches), if colder than its class now; else null. A
    /// transition only ever goes colder.
    /// </summary>
    public static string? DueTransition(BucketLifecycle lifecycle, ObjectRecord obj, DateTimeOffset now, double timeScale)
    {
        string? target = null;
        foreach (var rule in lifecycle.Rules)
        {
            if (!rule.Enabled || rule.Transitions.Count == 0 || !Names(rule, obj.Key, obj.Size, obj.Tags))
                continue;
            foreach (var t in rule.Transitions)
            {
                var due = t.Days is { } days ? DueAfter(obj.LastModified, days, timeScale) : t.Date!.Value;
                var to = StorageClasses.Parse(t.StorageClass);
                if (due > now || obj.Size < MinimumSize(lifecycle, rule, to))
                    continue;
                if (Coldness(to) > Coldness(target ?? obj.StorageClass))
                    target = to;
            }
        }
        return target;
    }

    /// <summary>
    /// The smallest object a rule transitions to <paramref name="storageClass"/>: none when the rule has a size filter
    /// (the filter decides), else what the configuration's minimum says (S3: 128 KiB, or for
    /// varies_by_storage_class none for the archive classes; COS: 64 KiB).
    /// </summary>
    public static long MinimumSize(BucketLifecycle lifecycle, LifecycleRule rule, string storageClass)
    {
        if (rule.SizeGreaterThan is not null || rule.SizeLessThan is not null)
            return 0;
        return lifecycle.TransitionMinimumSize switch
        {
            BucketLifecycle.Cos64K => CosMinimumTransitionSize,
            BucketLifecycle.VariesByStorageClass when StorageClasses.IsArchive(storageClass) => 0,
            _ => S3MinimumTransitionSize,
        };
    }

    /// <summary>The Enabled rule that makes an upload of this key initiated then due to be aborted at <paramref name="now"/>, or null.</summary>
    public static LifecycleRule? AbortDue(BucketLifecycle lifecycle, MultipartUpload upload, DateTimeOffset now, double timeScale) =>
        AbortAt(lifecycle, upload, timeScale) is { } abort && abort.At <= now ? abort.Rule : null;

    /// <summary>When the earliest Enabled AbortIncompleteMultipartUpload rule naming the upload's key aborts it, and that rule; null when none does.</summary>
    public static (DateTimeOffset At, LifecycleRule Rule)? AbortAt(BucketLifecycle? lifecycle, MultipartUpload upload, double timeScale)
    {
        (DateTimeOffset At, LifecycleRule Rule)? earliest = null;
        foreach (var rule in lifecycle?.Rules ?? [])
        {
            // Rules with tag or size filters cannot carry an abort (LifecycleXml refuses them): the prefix decides.
            if (rule.Enabled && rule.AbortIncompleteUploadDays is { } days && rule.Tags.Count == 0 && rule.SizeGreaterThan is null
                && rule.SizeLessThan is null && upload.Key.StartsWith(rule.Prefix, StringComparison.Ordinal)
                && DueAfter(upload.Initiated, days, timeScale) is var at && (earliest is null || at < earliest.Value.At))
                earliest = (at, rule);
        }
        return earliest;
    }

    /// <summary>
    /// <c>x-amz-abort-date</c> and <c>x-amz-abort-rule-id</c> (COS: <c>x-cos-…</c>) on CreateMultipartUpload and ListParts, when a
    /// lifecycle rule will abort the upload: the date it becomes due, as S3 sends it.
    /// </summary>
    public static void WriteAbortHeaders(RequestContext ctx, MultipartUpload upload, double timeScale)
    {
        if (AbortAt(ctx.Bucket?.Lifecycle, upload, timeScale) is not { } abort)
            return;
        ctx.SetFamilyHeader("abort-date", XmlText.HttpDate(abort.At));
        ctx.SetFamilyHeader("abort-rule-id", abort.Rule.Id);
    }

    /// <summary>How cold a class is: STANDARD 0, the infrequent-access and tiering classes 1, ARCHIVE 2, DEEP_ARCHIVE 3.</summary>
    public static int Coldness(string storedClass) => storedClass switch
    {
        StorageClasses.DeepArchive => 3,
        _ when StorageClasses.IsArchive(storedClass) => 2,
        StorageClasses.Standard or "MAZ_STANDARD" => 0,
        _ => 1,
    };

    /// <summary>
    /// <c>x-amz-expiration: expiry-date="…", rule-id="…"</c> (COS: <c>x-cos-expiration</c>) when an Enabled Expiration rule names
    /// the object; the rule id is URL-encoded, as S3 sends it.
    /// </summary>
    public static void WriteExpirationHeader(RequestContext ctx, ObjectRecord obj, double timeScale)
    {
        if (Expiry(ctx.Bucket?.Lifecycle, obj, timeScale) is not { } expiry)
            return;
        ctx.SetFamilyHeader("expiration", $"expiry-date=\"{XmlText.HttpDate(expiry.At)}\", rule-id=\"{Uri.EscapeDataString(expiry.Rule.Id)}\"");
    }

    /// <summary>Whether the rule acts on current objects (Expiration by Days or Date, or a Transition).</summary>
    public static bool ActsOnObjects(LifecycleRule rule) =>
        rule.Enabled && (rule.Expiration is { Days: not null } or { Date: not null } || rule.Transitions.Count > 0);
}
