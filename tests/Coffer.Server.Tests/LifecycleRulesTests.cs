using System.Text;
using Coffer.Protocol;
using Coffer.Server.Objects;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Tests;

/// <summary>
/// Lifecycle configurations (docs/protocol/lifecycle.md): what PUT ?lifecycle accepts and refuses, with S3's codes,
/// and which objects and uploads a rule names and when.
/// </summary>
public sealed class LifecycleRulesTests
{
    private static BucketLifecycle Parse(string rules, ProtocolFamily family = ProtocolFamily.S3, string? minimumSize = null) =>
        LifecycleXml.Parse(XmlInput.Parse(Encoding.UTF8.GetBytes(
            $"<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{rules}</LifecycleConfiguration>"), "LifecycleConfiguration"), family, minimumSize);

    private static readonly DateTimeOffset Created = new(2014, 1, 15, 10, 30, 0, TimeSpan.Zero);

    private static ObjectRecord Obj(string key, long size = 200_000, string storageClass = "STANDARD", params Tag[] tags) => new()
    {
        Bucket = "b",
        Key = key,
        Size = size,
        ETag = "e",
        Crc64 = 0,
        LastModified = Created,
        Streams = [],
        StorageClass = storageClass,
        Tags = tags,
    };

    [Fact]
    public void A_full_configuration_parses_with_every_element()
    {
        var lifecycle = Parse("""
            <Rule><ID>logs</ID>
              <Filter><And><Prefix>logs/</Prefix><Tag><Key>t</Key><Value>1</Value></Tag><ObjectSizeGreaterThan>1024</ObjectSizeGreaterThan><ObjectSizeLessThan>4096</ObjectSizeLessThan></And></Filter>
              <Status>Enabled</Status>
              <Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>
              <Transition><Days>60</Days><StorageClass>GLACIER</StorageClass></Transition>
              <Expiration><Days>365</Days></Expiration>
              <NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>
              <NoncurrentVersionExpiration><NoncurrentDays>90</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>
            </Rule>
            <Rule><ID>cleanup</ID><Filter/><Status>Disabled</Status>
              <Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>
              <AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>
            </Rule>
            <Rule><Prefix>old/</Prefix><Status>Enabled</Status><Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration></Rule>
            """);
        Assert.Equal(BucketLifecycle.AllStorageClasses128K, lifecycle.TransitionMinimumSize);
        var logs = lifecycle.Rules[0];
        Assert.Equal(("logs", true, "logs/", 1024L, 4096L), (logs.Id, logs.Enabled, logs.Prefix, logs.SizeGreaterThan!.Value, logs.SizeLessThan!.Value));
        Assert.Equal([new Tag("t", "1")], logs.Tags);
        Assert.Equal([new LifecycleTransition(30, null, "STANDARD_IA"), new LifecycleTransition(60, null, "GLACIER")], logs.Transitions);
        Assert.Equal(new LifecycleExpiration(Days: 365), logs.Expiration);
        Assert.Equal(new NoncurrentExpiration(90, 3), logs.NoncurrentExpiration);
        Assert.Equal([new NoncurrentTransition(30, "GLACIER")], logs.NoncurrentTransitions);
        var cleanup = lifecycle.Rules[1];
        Assert.Equal((false, "", 7), (cleanup.Enabled, cleanup.Prefix, cleanup.AbortIncompleteUploadDays!.Value));
        Assert.True(cleanup.Expiration!.ExpiredObjectDeleteMarker);
        var legacy = lifecycle.Rules[2];
        Assert.True(legacy.LegacyPrefix);
        Assert.Equal(32, legacy.Id.Length);   // generated, as S3 does for a rule without an ID
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), legacy.Expiration!.Date);
    }

    [Fact]
    public void The_minimum_transition_size_follows_the_header_in_s3_and_is_64K_in_cos()
    {
        const string rule = "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>";
        Assert.Equal(BucketLifecycle.VariesByStorageClass, Parse(rule, minimumSize: "varies_by_storage_class").TransitionMinimumSize);
        Assert.Equal(BucketLifecycle.Cos64K, Parse(rule, ProtocolFamily.Cos).TransitionMinimumSize);
        var e = Assert.Throws<CofferException>(() => Parse(rule, minimumSize: "tiny"));
        Assert.Equal(ErrorCode.InvalidArgument, e.Error);
    }

    public static TheoryData<string, string, string> Refused => new()
    {
        { "", "MalformedXML", "at least one <Rule>" },
        { "<Rule><ID>a</ID><Filter/><Status>enabled</Status><Expiration><Days>1</Days></Expiration></Rule>", "MalformedXML", "exact case" },
        { "<Rule><ID>a</ID><Filter/><Expiration><Days>1</Days></Expiration></Rule>", "MalformedXML", "<Status>" },
        { "<Rule><ID>a</ID><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>", "MalformedXML", "needs a <Filter>" },
        { "<Rule><ID>a</ID><Prefix>x</Prefix><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>", "MalformedXML", "both a <Filter>" },
        { "<Rule><ID>a</ID><Filter><Prefix>x</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>", "MalformedXML", "combine several in <And>" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>", "InvalidArgument", "'Days' for Expiration action must be a positive integer" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>-3</Days></Expiration></Rule>", "InvalidArgument", "positive integer" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>x</Days></Expiration></Rule>", "MalformedXML", "whole number" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration></Rule>", "InvalidArgument", "'Date' must be at midnight GMT" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Date>20300101</Date></Expiration></Rule>", "InvalidArgument", "ISO 8601" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>", "MalformedXML", "exactly one" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status></Rule>", "InvalidRequest", "At least one action needs to be specified in a rule" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule><Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>", "InvalidArgument", "Rule ID must be unique" },
        { $"<Rule><ID>{new string('i', 256)}</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>", "InvalidArgument", "ID length should not exceed allowed limit of 255" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition><Days>10</Days><StorageClass>STANDARD_IA</StorageClass></Transition></Rule>", "InvalidArgument", "greater than or equal to 30 for storageClass 'STANDARD_IA'" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition><Days>10</Days><StorageClass>STANDARD</StorageClass></Transition></Rule>", "MalformedXML", "not a transition target" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition><Days>10</Days><StorageClass>GLACIER</StorageClass></Transition><Transition><Days>20</Days><StorageClass>ARCHIVE</StorageClass></Transition></Rule>", "InvalidArgument", "'StorageClass' must be different" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition><Days>10</Days><StorageClass>GLACIER</StorageClass></Transition><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>", "InvalidRequest", "mixed 'Date' and 'Days'" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Transition><Days>10</Days><StorageClass>GLACIER</StorageClass></Transition><Expiration><Days>10</Days></Expiration></Rule>", "InvalidArgument", "must be greater than 'Days' in the Transition" },
        { "<Rule><ID>a</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>", "InvalidRequest", "cannot be specified with tags" },
        { "<Rule><ID>a</ID><Filter><ObjectSizeLessThan>10</ObjectSizeLessThan></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>", "InvalidRequest", "object size filter" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>", "InvalidArgument", "positive integer" },
        { "<Rule><ID>a</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>", "InvalidRequest", "ExpiredObjectDeleteMarker cannot be specified with object tags" },
        { "<Rule><ID>a</ID><Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>10</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>", "InvalidArgument", "must be less than ObjectSizeLessThan" },
        { "<Rule><ID>a</ID><Filter><And><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>k</Key><Value>w</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>", "InvalidArgument", "Duplicate Tag Keys" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration></Rule>", "InvalidArgument", "positive integer" },
        { "<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration><Bogus/></Rule>", "MalformedXML", "<Bogus>" },
        { "<Other/>", "MalformedXML", "only <Rule>" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Bad_configurations_are_refused_with_the_reference_code_and_a_reason(string rules, string code, string reason)
    {
        var e = Assert.Throws<CofferException>(() => Parse(rules));
        Assert.Equal(code, e.Error.Code);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void More_than_1000_rules_are_refused()
    {
        var rules = string.Concat(Enumerable.Range(0, 1001).Select(i => $"<Rule><ID>r{i}</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"));
        var e = Assert.Throws<CofferException>(() => Parse(rules));
        Assert.Equal(ErrorCode.InvalidArgument, e.Error);
        Assert.Contains("at most 1000", e.Message);
        Assert.Equal(1000, Parse(string.Concat(Enumerable.Range(0, 1000).Select(i => $"<Rule><ID>r{i}</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"))).Rules.Count);
    }

    [Fact]
    public void Cos_allows_short_infrequent_access_transitions_but_caps_expiration_days()
    {
        var ok = Parse("<Rule><ID>a</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Transition><Days>10</Days><StorageClass>STANDARD_IA</StorageClass></Transition></Rule>", ProtocolFamily.Cos);
        Assert.Equal(10, ok.Rules[0].Transitions[0].Days);
        var e = Assert.Throws<CofferException>(() => Parse("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration><Days>3651</Days></Expiration></Rule>", ProtocolFamily.Cos));
        Assert.Equal(ErrorCode.InvalidArgument, e.Error);
    }

    [Fact]
    public void A_rule_names_an_object_only_when_prefix_every_tag_and_both_size_bounds_hold()
    {
        var rule = new LifecycleRule { Id = "r", Enabled = true, Prefix = "logs/", Tags = [new("a", "1"), new("b", "2")], SizeGreaterThan = 100, SizeLessThan = 200 };
        Tag[] both = [new("b", "2"), new("a", "1"), new("extra", "x")];
        Assert.True(LifecycleRules.Names(rule, "logs/x", 150, both));
        Assert.False(LifecycleRules.Names(rule, "log/x", 150, both));
        Assert.False(LifecycleRules.Names(rule, "Logs/x", 150, both));
        Assert.False(LifecycleRules.Names(rule, "logs/x", 150, [new("a", "1")]));
        Assert.False(LifecycleRules.Names(rule, "logs/x", 150, [new("a", "1"), new("b", "3")]));
        Assert.False(LifecycleRules.Names(rule, "logs/x", 100, both));
        Assert.False(LifecycleRules.Names(rule, "logs/x", 200, both));
        Assert.True(LifecycleRules.Names(rule, "logs/x", 101, both));
        Assert.True(LifecycleRules.Names(rule, "logs/x", 199, both));
    }

    [Fact]
    public void Days_count_from_creation_rounded_up_to_midnight_utc_at_real_speed_and_scaled_otherwise()
    {
        // S3's own example: created 2014-01-15 10:30 UTC, 3 days → 2014-01-19 00:00 UTC.
        Assert.Equal(new DateTimeOffset(2014, 1, 19, 0, 0, 0, TimeSpan.Zero), LifecycleRules.DueAfter(Created, 3, 1.0));
        Assert.Equal(new DateTimeOffset(2014, 1, 16, 0, 0, 0, TimeSpan.Zero), LifecycleRules.DueAfter(Created, 0, 1.0));
        Assert.Equal(Created + TimeSpan.FromSeconds(3), LifecycleRules.DueAfter(Created, 3, 86400));
    }

    [Fact]
    public void The_expiry_is_the_earliest_of_the_enabled_rules_that_name_the_object()
    {
        var lifecycle = new BucketLifecycle(
        [
            new LifecycleRule { Id = "late", Enabled = true, Expiration = new LifecycleExpiration(Days: 10) },
            new LifecycleRule { Id = "off", Enabled = false, Expiration = new LifecycleExpiration(Days: 1) },
            new LifecycleRule { Id = "other prefix", Enabled = true, Prefix = "x/", Expiration = new LifecycleExpiration(Days: 1) },
            new LifecycleRule { Id = "early rule", Enabled = true, Prefix = "a", Expiration = new LifecycleExpiration(Days: 2) },
        ]);
        var (at, rule) = LifecycleRules.Expiry(lifecycle, Obj("a/k"), 1.0)!.Value;
        Assert.Equal(("early rule", new DateTimeOffset(2014, 1, 18, 0, 0, 0, TimeSpan.Zero)), (rule.Id, at));
        Assert.Equal("late", LifecycleRules.Expiry(lifecycle, Obj("b"), 1.0)!.Value.Rule.Id);
        Assert.Null(LifecycleRules.Expiry(null, Obj("b"), 1.0));
    }

    [Fact]
    public void A_due_transition_goes_to_the_coldest_target_and_never_warmer()
    {
        var lifecycle = new BucketLifecycle(
        [
            new LifecycleRule
            {
                Id = "r", Enabled = true,
                Transitions = [new LifecycleTransition(30, null, "STANDARD_IA"), new LifecycleTransition(60, null, "GLACIER"), new LifecycleTransition(90, null, "DEEP_ARCHIVE")],
            },
        ]);
        var day = (int d) => LifecycleRules.DueAfter(Created, d, 1.0);
        Assert.Null(LifecycleRules.DueTransition(lifecycle, Obj("k"), day(30) - TimeSpan.FromTicks(1), 1.0));
        Assert.Equal("STANDARD_IA", LifecycleRules.DueTransition(lifecycle, Obj("k"), day(30), 1.0));
        Assert.Equal("ARCHIVE", LifecycleRules.DueTransition(lifecycle, Obj("k"), day(60), 1.0));
        Assert.Equal("DEEP_ARCHIVE", LifecycleRules.DueTransition(lifecycle, Obj("k"), day(90), 1.0));
        Assert.Null(LifecycleRules.DueTransition(lifecycle, Obj("k", storageClass: "ARCHIVE"), day(30), 1.0));
        Assert.Null(LifecycleRules.DueTransition(lifecycle, Obj("k", storageClass: "DEEP_ARCHIVE"), day(90), 1.0));
    }

    [Theory]
    [InlineData(BucketLifecycle.AllStorageClasses128K, "ARCHIVE", 128 * 1024 - 1, false)]
    [InlineData(BucketLifecycle.AllStorageClasses128K, "ARCHIVE", 128 * 1024, true)]
    [InlineData(BucketLifecycle.VariesByStorageClass, "ARCHIVE", 1, true)]
    [InlineData(BucketLifecycle.VariesByStorageClass, "STANDARD_IA", 128 * 1024 - 1, false)]
    [InlineData(BucketLifecycle.Cos64K, "ARCHIVE", 64 * 1024 - 1, false)]
    [InlineData(BucketLifecycle.Cos64K, "ARCHIVE", 64 * 1024, true)]
    public void Small_objects_are_not_transitioned_unless_a_size_filter_says_so(string minimum, string target, long size, bool moves)
    {
        var plain = new LifecycleRule { Id = "r", Enabled = true, Transitions = [new LifecycleTransition(0, null, target)] };
        var now = LifecycleRules.DueAfter(Created, 0, 1.0);
        Assert.Equal(moves, LifecycleRules.DueTransition(new BucketLifecycle([plain], minimum), Obj("k", size), now, 1.0) is not null);
        var filtered = plain with { SizeGreaterThan = 0 };
        Assert.NotNull(LifecycleRules.DueTransition(new BucketLifecycle([filtered], minimum), Obj("k", size), now, 1.0));
    }

    [Fact]
    public void An_upload_is_due_for_abort_after_its_days_under_the_rule_prefix_only()
    {
        var lifecycle = new BucketLifecycle([new LifecycleRule { Id = "r", Enabled = true, Prefix = "tmp/", AbortIncompleteUploadDays = 2 }]);
        MultipartUpload Upload(string key) => new()
        {
            UploadId = "u",
            Bucket = "b",
            Key = key,
            Initiated = Created,
            Owner = "o",
            StorageClass = "STANDARD",
            Encryption = ObjectEncryption.None,
        };
        var due = LifecycleRules.DueAfter(Created, 2, 1.0);
        Assert.Null(LifecycleRules.AbortDue(lifecycle, Upload("tmp/a"), due - TimeSpan.FromTicks(1), 1.0));
        Assert.Equal("r", LifecycleRules.AbortDue(lifecycle, Upload("tmp/a"), due, 1.0)?.Id);
        Assert.Null(LifecycleRules.AbortDue(lifecycle, Upload("keep/a"), due.AddDays(100), 1.0));
    }

    [Fact]
    public void Scan_prefixes_cover_every_rule_prefix_once()
    {
        Assert.Equal(["a", "b/"], Hosting.LifecycleJob.ScanPrefixes(["b/", "a", "ab", "a/c", "b/x"]));
        Assert.Equal([""], Hosting.LifecycleJob.ScanPrefixes(["x", "", "y"]));
        Assert.Empty(Hosting.LifecycleJob.ScanPrefixes([]));
    }
}
