using System.Xml.Linq;
using Coffer.Protocol;
using Coffer.Server.Objects;
using Coffer.Storage;

namespace Coffer.Server.Tests;

/// <summary>RestoreRequest parsing and the restore schedule: durations per class and tier, scaled time, midnight-aligned expiry.</summary>
public sealed class RestoreRulesTests
{
    private static readonly DateTimeOffset Noon = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static RestoreRequest Parse(string xml) => RestoreRequest.Parse(XElement.Parse(xml));

    [Theory]
    [InlineData("<RestoreRequest><Days>1</Days><CASJobParameters><Tier>Expedited</Tier></CASJobParameters></RestoreRequest>", 1, RestoreTier.Expedited)]
    [InlineData("<RestoreRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Days>7</Days><GlacierJobParameters><Tier>Bulk</Tier></GlacierJobParameters></RestoreRequest>", 7, RestoreTier.Bulk)]
    [InlineData("<RestoreRequest><Days>365</Days><Tier>standard</Tier></RestoreRequest>", 365, RestoreTier.Standard)]
    [InlineData("<RestoreRequest><Days> 2 </Days></RestoreRequest>", 2, RestoreTier.Standard)]
    public void Cos_and_s3_bodies_give_days_and_tier(string xml, int days, RestoreTier tier) =>
        Assert.Equal(new RestoreRequest(days, tier), Parse(xml));

    [Theory]
    [InlineData("<RestoreRequest><CASJobParameters><Tier>Expedited</Tier></CASJobParameters></RestoreRequest>", "MalformedXML")]
    [InlineData("<RestoreRequest><Days>one</Days></RestoreRequest>", "MalformedXML")]
    [InlineData("<RestoreRequest><Days>1</Days><CASJobParameters><Tier>Instant</Tier></CASJobParameters></RestoreRequest>", "MalformedXML")]
    [InlineData("<RestoreRequest><Days>1</Days><Tier>1</Tier></RestoreRequest>", "MalformedXML")]
    [InlineData("<RestoreRequest><Days>0</Days></RestoreRequest>", "InvalidArgument")]
    [InlineData("<RestoreRequest><Days>-1</Days></RestoreRequest>", "InvalidArgument")]
    [InlineData("<RestoreRequest><Days>366</Days></RestoreRequest>", "InvalidArgument")]
    public void Bad_bodies_are_refused(string xml, string code)
    {
        var e = Assert.Throws<CofferException>(() => Parse(xml));
        Assert.Equal(code, e.Error.Code);
        Assert.Equal(400, e.Error.Status);
    }

    [Theory]
    [InlineData("ARCHIVE", RestoreTier.Expedited, 5 * 60)]
    [InlineData("ARCHIVE", RestoreTier.Standard, 5 * 3600)]
    [InlineData("ARCHIVE", RestoreTier.Bulk, 12 * 3600)]
    [InlineData("MAZ_ARCHIVE", RestoreTier.Expedited, 5 * 60)]
    [InlineData("DEEP_ARCHIVE", RestoreTier.Standard, 24 * 3600)]
    [InlineData("DEEP_ARCHIVE", RestoreTier.Bulk, 48 * 3600)]
    public void Durations_are_the_upper_bound_cos_documents(string storageClass, RestoreTier tier, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ArchiveRestore.Duration(storageClass, tier));

    [Fact]
    public void Deep_archive_has_no_expedited_tier() => Assert.Null(ArchiveRestore.Duration("DEEP_ARCHIVE", RestoreTier.Expedited));

    [Fact]
    public void At_real_speed_the_copy_expires_at_the_midnight_after_days()
    {
        var state = ArchiveRestore.Start("ARCHIVE", RestoreTier.Standard, 2, Noon, timeScale: 1);

        Assert.Equal(Noon, state.RequestDate);
        Assert.Equal(Noon.AddHours(5), state.ReadyAt);
        Assert.Equal(new DateTimeOffset(2025, 6, 4, 0, 0, 0, TimeSpan.Zero), state.ExpiresAt);
        Assert.Equal("Standard", state.Tier);
        Assert.Equal(2, state.Days);
    }

    [Fact]
    public void An_expiry_exactly_at_midnight_stays_there()
    {
        var midnight = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(midnight.AddDays(1), ArchiveRestore.ExpiryAfter(midnight, 1, 1));
    }

    [Fact]
    public void Scaled_time_divides_durations_and_days_without_alignment()
    {
        var state = ArchiveRestore.Start("ARCHIVE", RestoreTier.Expedited, 1, Noon, timeScale: 300);

        Assert.Equal(Noon.AddSeconds(1), state.ReadyAt);
        Assert.Equal(Noon.AddSeconds(1 + 288), state.ExpiresAt);
    }

    [Fact]
    public void Extending_a_restored_copy_counts_days_from_now_and_keeps_the_request()
    {
        var state = ArchiveRestore.Start("ARCHIVE", RestoreTier.Expedited, 1, Noon, timeScale: 1);
        var later = Noon.AddHours(30);

        var extended = ArchiveRestore.Extend(state, 3, later, timeScale: 1);

        Assert.Equal(state.RequestDate, extended.RequestDate);
        Assert.Equal(state.ReadyAt, extended.ReadyAt);
        Assert.Equal(3, extended.Days);
        Assert.Equal(new DateTimeOffset(2025, 6, 6, 0, 0, 0, TimeSpan.Zero), extended.ExpiresAt);
    }

    [Fact]
    public void Only_archived_objects_wait_for_a_restore()
    {
        var obj = new ObjectRecord { Bucket = "b", Key = "k", Size = 0, ETag = "", Crc64 = 0, LastModified = Noon, Streams = [] };
        var restore = ArchiveRestore.Start("ARCHIVE", RestoreTier.Expedited, 1, Noon, timeScale: 1);

        Assert.True(ArchiveRestore.IsReadable(obj with { StorageClass = "STANDARD_IA" }, Noon));
        Assert.False(ArchiveRestore.IsReadable(obj with { StorageClass = "ARCHIVE" }, Noon));
        Assert.False(ArchiveRestore.IsReadable(obj with { StorageClass = "DEEP_ARCHIVE", Restore = restore }, Noon));
        Assert.True(ArchiveRestore.IsReadable(obj with { StorageClass = "DEEP_ARCHIVE", Restore = restore }, restore.ReadyAt));
        Assert.False(ArchiveRestore.IsReadable(obj with { StorageClass = "ARCHIVE", Restore = restore }, restore.ExpiresAt));
    }

    [Theory]
    [InlineData(null, "STANDARD")]
    [InlineData("", "STANDARD")]
    [InlineData("standard_ia", "STANDARD_IA")]
    [InlineData("GLACIER", "ARCHIVE")]
    [InlineData("DEEP_ARCHIVE", "DEEP_ARCHIVE")]
    [InlineData("INTELLIGENT_TIERING", "INTELLIGENT_TIERING")]
    [InlineData("MAZ_STANDARD", "MAZ_STANDARD")]
    [InlineData("ONEZONE_IA", "STANDARD_IA")]
    [InlineData("REDUCED_REDUNDANCY", "STANDARD")]
    public void Storage_classes_of_both_families_are_stored_in_cos_spelling(string? requested, string stored) =>
        Assert.Equal(stored, StorageClasses.Parse(requested));

    [Fact]
    public void An_unknown_storage_class_is_refused()
    {
        var e = Assert.Throws<CofferException>(() => StorageClasses.Parse("COLD"));
        Assert.Equal(ErrorCode.NotSupportedStorageClass, e.Error);
        Assert.Equal("InvalidStorageClass", e.Error.CodeFor(ProtocolFamily.S3));
    }

    [Theory]
    [InlineData("ARCHIVE", ProtocolFamily.S3, "GLACIER")]
    [InlineData("ARCHIVE", ProtocolFamily.Cos, "ARCHIVE")]
    [InlineData("DEEP_ARCHIVE", ProtocolFamily.S3, "DEEP_ARCHIVE")]
    [InlineData("STANDARD_IA", ProtocolFamily.S3, "STANDARD_IA")]
    public void Classes_are_reported_in_the_callers_family(string stored, ProtocolFamily family, string reported) =>
        Assert.Equal(reported, StorageClasses.ForFamily(stored, family));
}
