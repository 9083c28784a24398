namespace Coffer.Storage;

/// <summary>
/// A bucket's lifecycle configuration (PUT ?lifecycle) as the server validated it: the rules in the order given and
/// the default minimum size of a transitioned object. Stored in the bucket's row (schema version 12) as JSON; the
/// server parses and checks the XML, the store only keeps it.
/// </summary>
/// <param name="Rules">1 to 1,000 rules with unique ids.</param>
/// <param name="TransitionMinimumSize">Which objects a rule without a size filter transitions:
/// <see cref="AllStorageClasses128K"/> (S3's default), <see cref="VariesByStorageClass"/>, or <see cref="Cos64K"/> (a
/// configuration set by a COS-signed request: COS never transitions objects under 64 KB).</param>
public sealed record BucketLifecycle(IReadOnlyList<LifecycleRule> Rules, string TransitionMinimumSize = BucketLifecycle.AllStorageClasses128K)
{
    /// <summary>S3's default: objects under 128 KiB are not transitioned unless the rule's size filter says otherwise.</summary>
    public const string AllStorageClasses128K = "all_storage_classes_128K";

    /// <summary>S3's other choice: objects under 128 KiB go to the archive classes, not to the infrequent-access ones.</summary>
    public const string VariesByStorageClass = "varies_by_storage_class";

    /// <summary>COS: objects under 64 KiB are never transitioned.</summary>
    public const string Cos64K = "cos_64K";

    public bool Equals(BucketLifecycle? other) =>
        other is not null && TransitionMinimumSize == other.TransitionMinimumSize && Rules.SequenceEqual(other.Rules);

    public override int GetHashCode() => HashCode.Combine(TransitionMinimumSize, Rules.Count);
}

/// <summary>
/// One lifecycle rule: which current objects (and uploads) it names — by key prefix, tags and size, all of which
/// must hold — and what it does to them. Versioning-shaped: the noncurrent actions are kept for buckets that keep
/// versions; an unversioned bucket has no noncurrent versions, so they act on nothing there.
/// </summary>
public sealed record LifecycleRule
{
    /// <summary>The rule's id: unique in its configuration, at most 255 characters.</summary>
    public required string Id { get; init; }

    /// <summary>Status Enabled (true) or Disabled (false): a disabled rule does nothing.</summary>
    public bool Enabled { get; init; }

    /// <summary>Whether the rule used the legacy rule-level &lt;Prefix&gt; instead of a &lt;Filter&gt; (kept so GET answers the same shape).</summary>
    public bool LegacyPrefix { get; init; }

    /// <summary>The key prefix the rule names; empty for every key.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>Tags an object must all carry (it may have more); none for any object.</summary>
    public IReadOnlyList<Tag> Tags { get; init; } = [];

    /// <summary>The object must be larger than this many bytes (strictly), when set.</summary>
    public long? SizeGreaterThan { get; init; }

    /// <summary>The object must be smaller than this many bytes (strictly), when set.</summary>
    public long? SizeLessThan { get; init; }

    /// <summary>Expiration: Days after creation, or a Date (midnight UTC), or ExpiredObjectDeleteMarker; null when none.</summary>
    public LifecycleExpiration? Expiration { get; init; }

    /// <summary>Transitions of current objects to colder classes, each by Days or Date.</summary>
    public IReadOnlyList<LifecycleTransition> Transitions { get; init; } = [];

    /// <summary>NoncurrentVersionExpiration; null when none (acts on noncurrent versions only).</summary>
    public NoncurrentExpiration? NoncurrentExpiration { get; init; }

    /// <summary>NoncurrentVersionTransition actions (act on noncurrent versions only).</summary>
    public IReadOnlyList<NoncurrentTransition> NoncurrentTransitions { get; init; } = [];

    /// <summary>AbortIncompleteMultipartUpload DaysAfterInitiation; null when none.</summary>
    public int? AbortIncompleteUploadDays { get; init; }

    public bool Equals(LifecycleRule? other) =>
        other is not null && Id == other.Id && Enabled == other.Enabled && LegacyPrefix == other.LegacyPrefix && Prefix == other.Prefix
        && Tags.SequenceEqual(other.Tags) && SizeGreaterThan == other.SizeGreaterThan && SizeLessThan == other.SizeLessThan
        && Expiration == other.Expiration && Transitions.SequenceEqual(other.Transitions)
        && NoncurrentExpiration == other.NoncurrentExpiration && NoncurrentTransitions.SequenceEqual(other.NoncurrentTransitions)
        && AbortIncompleteUploadDays == other.AbortIncompleteUploadDays;

    public override int GetHashCode() => HashCode.Combine(Id, Enabled, Prefix);
}

/// <summary>Expiration: exactly one of <paramref name="Days"/>, <paramref name="Date"/> and <paramref name="ExpiredObjectDeleteMarker"/>.</summary>
/// <param name="Days">Days after the object's creation (at least 1).</param>
/// <param name="Date">A midnight UTC from which on every object the rule names expires.</param>
/// <param name="ExpiredObjectDeleteMarker">Whether delete markers with no versions left are removed (versioned buckets only).</param>
public sealed record LifecycleExpiration(int? Days = null, DateTimeOffset? Date = null, bool? ExpiredObjectDeleteMarker = null);

/// <summary>A Transition: by <paramref name="Days"/> after creation (0 or more) or on a <paramref name="Date"/>, to <paramref name="StorageClass"/>.</summary>
/// <param name="StorageClass">The class as the client named it (COS or S3 name, upper case); the server maps it onto its classes.</param>
public sealed record LifecycleTransition(int? Days, DateTimeOffset? Date, string StorageClass);

/// <summary>NoncurrentVersionExpiration: <paramref name="Days"/> after a version became noncurrent, keeping the newest <paramref name="NewerNoncurrentVersions"/>.</summary>
public sealed record NoncurrentExpiration(int Days, int? NewerNoncurrentVersions = null);

/// <summary>NoncurrentVersionTransition: <paramref name="Days"/> after a version became noncurrent, to <paramref name="StorageClass"/>.</summary>
public sealed record NoncurrentTransition(int Days, string StorageClass, int? NewerNoncurrentVersions = null);
