using System.Globalization;
using System.Text;
using Coffer.Protocol.Post;

namespace Coffer.Sdk;

/// <summary>What a browser POST form built by <see cref="CosClient.PresignPost"/> may upload.</summary>
public sealed class PostPolicyOptions
{
    /// <summary>The bucket the form posts to.</summary>
    public required string Bucket { get; init; }

    /// <summary>The object key, or with <see cref="KeyIsPrefix"/> the prefix every key must start with.</summary>
    public required string Key { get; init; }

    /// <summary>Whether <see cref="Key"/> is a prefix: the form's key field is then <c>prefix${filename}</c> (the uploaded file's name) and the page may change it within the prefix.</summary>
    public bool KeyIsPrefix { get; init; }

    /// <summary>How long the form may be used; one hour by default.</summary>
    public TimeSpan Expires { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The fewest bytes the file may have; 0 by default.</summary>
    public long MinSize { get; init; }

    /// <summary>The most bytes the file may have; null for no limit but the server's.</summary>
    public long? MaxSize { get; init; }

    /// <summary>The object's Content-Type, fixed by the policy; null to leave it out.</summary>
    public string? ContentType { get; init; }

    /// <summary>How the object is encrypted (SSE-C and SSE-KMS forms must be posted over HTTPS); null for the bucket's default.</summary>
    public Sse? Encryption { get; init; }

    /// <summary>The object's storage class (STANDARD, STANDARD_IA, ARCHIVE, …), fixed by the policy; null for the default.</summary>
    public string? StorageClass { get; init; }

    /// <summary>User metadata (names without the x-cos-meta- / x-amz-meta- prefix), fixed by the policy.</summary>
    public IDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>200, 201 (a PostResponse document) or 204 (the server's default); null to leave it out.</summary>
    public int? SuccessActionStatus { get; init; }

    /// <summary>Where the browser goes after a successful upload (303 with bucket, key and etag in the query); null for none.</summary>
    public string? SuccessActionRedirect { get; init; }
}

/// <summary>
/// A signed browser POST form: post <see cref="Fields"/> in this order, then the file in a field named <c>file</c>,
/// as <c>multipart/form-data</c> to <see cref="Url"/>.
/// </summary>
public sealed class PostPolicyForm
{
    /// <summary>Where to post the form (the bucket's URL).</summary>
    public required string Url { get; init; }

    /// <summary>The form's fields, signature included, in order.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Fields { get; init; }

    /// <summary>Until when the form may be used.</summary>
    public required DateTimeOffset Expiration { get; init; }
}

public sealed partial class CosClient
{
    /// <summary>
    /// Builds a signed browser POST form (docs/protocol/post-object.md): a policy that fixes the bucket, the key (or its
    /// prefix), the size range, the content type, the metadata and the encryption, signed with the client's scheme — the
    /// COS form under <see cref="SignatureVersion.CosV5"/>, a SigV4 form otherwise. Anyone holding it can upload within it
    /// until it expires; nothing else. A session token is added to the form.
    /// </summary>
    /// <param name="options">What the form may upload.</param>
    public PostPolicyForm PresignPost(PostPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.Bucket) || (!options.KeyIsPrefix && string.IsNullOrEmpty(options.Key)))
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "The bucket and key are required.");
        if (options.Expires <= TimeSpan.Zero || (options.MaxSize is { } max && max < options.MinSize))
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "Expires must be positive and MaxSize at least MinSize.");

        var cos = !_http.Builder.IsSigV4;
        var family = cos ? "x-cos-" : "x-amz-";
        var now = Settings.TimeProvider.GetUtcNow();
        var expiration = now + options.Expires;
        var fields = new List<KeyValuePair<string, string>>();
        var conditions = new List<PostCondition> { Eq("bucket", options.Bucket) };
        void Field(string name, string value)
        {
            fields.Add(new(name, value));
            conditions.Add(Eq(name, value));
        }

        fields.Add(new("key", options.KeyIsPrefix ? options.Key + "${filename}" : options.Key));
        conditions.Add(options.KeyIsPrefix ? new PostCondition(PostConditionKind.StartsWith, "key", options.Key, 0, 0, "") : Eq("key", options.Key));
        if (options.MaxSize is { } maxSize)
            conditions.Add(new PostCondition(PostConditionKind.ContentLengthRange, "", "", options.MinSize, maxSize, ""));
        if (options.ContentType is not null) Field("Content-Type", options.ContentType);
        if (options.StorageClass is not null) Field(family + "storage-class", options.StorageClass);
        foreach (var (name, value) in options.Metadata) Field(family + "meta-" + name, value);
        if (options.SuccessActionStatus is { } status) Field("success_action_status", status.ToString(CultureInfo.InvariantCulture));
        if (options.SuccessActionRedirect is not null) Field("success_action_redirect", options.SuccessActionRedirect);
        switch (options.Encryption)
        {
            case SseCos sseCos:
                Field(family + "server-side-encryption", sseCos.Algorithm);
                break;
            case SseKms kms:
                Field(family + "server-side-encryption", cos ? "cos/kms" : "aws:kms");
                if (kms.KeyId is not null) Field(family + (cos ? "server-side-encryption-cos-kms-key-id" : "server-side-encryption-aws-kms-key-id"), kms.KeyId);
                if (kms.ContextBase64 is not null) Field(family + "server-side-encryption-context", kms.ContextBase64);
                break;
            case SseCustomer customer:
                Field(family + "server-side-encryption-customer-algorithm", customer.Algorithm);
                Field(family + "server-side-encryption-customer-key", customer.KeyBase64);
                Field(family + "server-side-encryption-customer-key-MD5", customer.KeyMd5);
                break;
        }
        var token = string.IsNullOrEmpty(Settings.Token) ? null : Settings.Token;

        if (cos)
        {
            var start = now.ToUnixTimeSeconds();
            var keyTime = $"{start};{expiration.ToUnixTimeSeconds()}";
            conditions.AddRange([Eq("q-sign-algorithm", "sha1"), Eq("q-ak", Settings.SecretId), Eq("q-sign-time", keyTime)]);
            if (token is not null) Field("x-cos-security-token", token);
            var json = PostPolicy.Write(expiration, conditions);
            fields.Add(new("policy", Convert.ToBase64String(Encoding.UTF8.GetBytes(json))));
            fields.Add(new("q-sign-algorithm", "sha1"));
            fields.Add(new("q-ak", Settings.SecretId));
            fields.Add(new("q-key-time", keyTime));
            fields.Add(new("q-signature", PostSignatures.Cos(Settings.SecretKey, keyTime, Encoding.UTF8.GetBytes(json))));
        }
        else
        {
            var date = now.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
            var credential = $"{Settings.SecretId}/{date}/{Settings.Region}/s3/aws4_request";
            Field("x-amz-algorithm", PostSignatures.SigV4Algorithm);
            Field("x-amz-credential", credential);
            Field("x-amz-date", now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture));
            if (token is not null) Field("x-amz-security-token", token);
            var policy = Convert.ToBase64String(Encoding.UTF8.GetBytes(PostPolicy.Write(expiration, conditions)));
            fields.Add(new("policy", policy));
            fields.Add(new("x-amz-signature", PostSignatures.SigV4(Settings.SecretKey, date, Settings.Region, policy)));
        }

        var (baseUrl, _, prefix) = _http.Endpoint.For(options.Bucket);
        return new PostPolicyForm { Url = baseUrl + (prefix.Length == 0 ? "/" : prefix), Fields = fields, Expiration = expiration };
    }

    private static PostCondition Eq(string field, string value) => new(PostConditionKind.Equals, field, value, 0, 0, "");
}
