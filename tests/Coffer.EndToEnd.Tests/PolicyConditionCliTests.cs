using System.Diagnostics;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Every condition operator family and condition key of docs/protocol/policy.md through awscli, the deny cases
/// included: the bucket owner puts the row's policy with <c>aws s3api put-bucket-policy --policy file://…</c>, then a
/// second user (environment credentials, as a profile would give them) makes the call the condition governs with
/// <c>aws s3api …</c>. Each row asserts awscli's exit code and, when refused, the error code it prints. Each
/// condition is tried on both sides: a row whose condition holds and one whose condition does not.
/// </summary>
[Collection(CofferCollection.Name)]
public sealed class PolicyConditionCliTests(CofferFixture f)
{
    /// <summary>
    /// One row: the statements the owner puts (BUCKET and USER are replaced), the second user's awscli call (BUCKET
    /// replaced; <c>http:</c> first sends it over plain HTTP), and what awscli must end with: null for success, else
    /// the error code it prints.
    /// </summary>
    public sealed record Row(string Name, string Statements, string Call, string? Error)
    {
        public override string ToString() => Name;
    }

    /// <summary>Lets the second user do everything in the bucket: the base of the Deny rows.</summary>
    private const string AllowAll = """{"Sid":"base","Effect":"Allow","Principal":{"AWS":"USER"},"Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"]}""";

    private static string Allow(string action, string resource, string condition) =>
        $$"""{"Sid":"row","Effect":"Allow","Principal":{"AWS":"USER"},"Action":"{{action}}","Resource":"{{resource}}","Condition":{{condition}}}""";

    private static string Deny(string action, string resource, string condition) =>
        AllowAll + "," + $$"""{"Sid":"row","Effect":"Deny","Principal":{"AWS":"USER"},"Action":"{{action}}","Resource":"{{resource}}","Condition":{{condition}}}""";

    private const string Objects = "arn:aws:s3:::BUCKET/*";
    private const string Bucket = "arn:aws:s3:::BUCKET";
    private const string Get = "s3api get-object --bucket BUCKET --key public/a.txt OUT";
    private const string Put = "s3api put-object --bucket BUCKET --key up/new.txt --body BODY";
    private const string PutAes = Put + " --server-side-encryption AES256";

    public static readonly Row[] Rows =
    [
        // String: s3:x-amz-server-side-encryption, s3:prefix, s3:delimiter, aws:username
        new("StringEquals sse allows AES256", Allow("s3:PutObject", Objects, """{"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}}"""), PutAes, null),
        new("StringEquals sse refuses a plain put", Allow("s3:PutObject", Objects, """{"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}}"""), Put, "AccessDenied"),
        new("StringNotEquals sse denies a plain put", Deny("s3:PutObject", Objects, """{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}"""), Put, "AccessDenied"),
        new("StringNotEquals sse lets AES256 through", Deny("s3:PutObject", Objects, """{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}"""), PutAes, null),
        new("StringEqualsIgnoreCase prefix allows another case", Allow("s3:ListBucket", Bucket, """{"StringEqualsIgnoreCase":{"s3:prefix":"PUBLIC/"}}"""),
            "s3api list-objects-v2 --bucket BUCKET --prefix public/", null),
        new("StringEqualsIgnoreCase prefix refuses another prefix", Allow("s3:ListBucket", Bucket, """{"StringEqualsIgnoreCase":{"s3:prefix":"PUBLIC/"}}"""),
            "s3api list-objects-v2 --bucket BUCKET --prefix private/", "AccessDenied"),
        new("StringNotEqualsIgnoreCase delimiter denies another delimiter", Deny("s3:ListBucket", Bucket, """{"StringNotEqualsIgnoreCase":{"s3:delimiter":"/"}}"""),
            "s3api list-objects-v2 --bucket BUCKET --delimiter |", "AccessDenied"),
        new("StringNotEqualsIgnoreCase delimiter lets / through", Deny("s3:ListBucket", Bucket, """{"StringNotEqualsIgnoreCase":{"s3:delimiter":"/"}}"""),
            "s3api list-objects-v2 --bucket BUCKET --delimiter /", null),
        new("StringLike prefix allows below home/USER/", Allow("s3:ListBucket", Bucket, """{"StringLike":{"s3:prefix":"home/USER/*"}}"""),
            "s3api list-objects-v2 --bucket BUCKET --prefix home/USER/docs/", null),
        new("StringLike prefix refuses someone else's home", Allow("s3:ListBucket", Bucket, """{"StringLike":{"s3:prefix":"home/USER/*"}}"""),
            "s3api list-objects-v2 --bucket BUCKET --prefix home/carol/", "AccessDenied"),
        new("StringNotLike username denies a user not named zz*", Deny("s3:GetObject", Objects, """{"StringNotLike":{"aws:username":"zz*"}}"""), Get, "AccessDenied"),
        new("StringNotLike username lets the named user through", Deny("s3:GetObject", Objects, """{"StringNotLike":{"aws:username":"USER"}}"""), Get, null),
        new("StringEquals username allows the user", Allow("s3:GetObject", Objects, """{"StringEquals":{"aws:username":"USER"}}"""), Get, null),
        new("StringEquals username refuses another name", Allow("s3:GetObject", Objects, """{"StringEquals":{"aws:username":"carol"}}"""), Get, "AccessDenied"),

        // Numeric: s3:max-keys (awscli's --page-size is the MaxKeys of each request)
        new("NumericLessThanEquals max-keys allows 5", Allow("s3:ListBucket", Bucket, """{"NumericLessThanEquals":{"s3:max-keys":"10"}}"""),
            "s3api list-objects-v2 --bucket BUCKET --page-size 5", null),
        new("NumericLessThanEquals max-keys refuses 50", Allow("s3:ListBucket", Bucket, """{"NumericLessThanEquals":{"s3:max-keys":"10"}}"""),
            "s3api list-objects-v2 --bucket BUCKET --page-size 50", "AccessDenied"),
        new("NumericGreaterThan max-keys denies 500", Deny("s3:ListBucket", Bucket, """{"NumericGreaterThan":{"s3:max-keys":"100"}}"""),
            "s3api list-objects --bucket BUCKET --page-size 500", "AccessDenied"),
        new("NumericGreaterThan max-keys lets 100 through", Deny("s3:ListBucket", Bucket, """{"NumericGreaterThan":{"s3:max-keys":"100"}}"""),
            "s3api list-objects --bucket BUCKET --page-size 100", null),
        new("NumericLessThanEqualsIfExists allows a list without max-keys", Allow("s3:ListBucket", Bucket, """{"NumericLessThanEqualsIfExists":{"s3:max-keys":"10"}}"""),
            "s3api list-objects-v2 --bucket BUCKET --no-paginate", null),
        new("NumericLessThanEquals refuses a list without max-keys", Allow("s3:ListBucket", Bucket, """{"NumericLessThanEquals":{"s3:max-keys":"10"}}"""),
            "s3api list-objects-v2 --bucket BUCKET --no-paginate", "AccessDenied"),

        // Date: aws:CurrentTime
        new("DateGreaterThan CurrentTime allows after 2000", Allow("s3:GetObject", Objects, """{"DateGreaterThan":{"aws:CurrentTime":"2000-01-01T00:00:00Z"}}"""), Get, null),
        new("DateLessThan CurrentTime refuses after 2000", Allow("s3:GetObject", Objects, """{"DateLessThan":{"aws:CurrentTime":"2000-01-01T00:00:00Z"}}"""), Get, "AccessDenied"),
        new("DateGreaterThanEquals CurrentTime denies from 2000", Deny("s3:GetObject", Objects, """{"DateGreaterThanEquals":{"aws:CurrentTime":"2000-01-01T00:00:00Z"}}"""), Get, "AccessDenied"),
        new("DateGreaterThan CurrentTime denies nothing before 9999", Deny("s3:GetObject", Objects, """{"DateGreaterThan":{"aws:CurrentTime":"9999-01-01T00:00:00Z"}}"""), Get, null),

        // Bool: aws:SecureTransport
        new("Bool SecureTransport false denies plain HTTP", Deny("s3:*", Objects, """{"Bool":{"aws:SecureTransport":"false"}}"""), "http:" + Get, "AccessDenied"),
        new("Bool SecureTransport false lets HTTPS through", Deny("s3:*", Objects, """{"Bool":{"aws:SecureTransport":"false"}}"""), Get, null),
        new("Bool SecureTransport true allows HTTPS", Allow("s3:GetObject", Objects, """{"Bool":{"aws:SecureTransport":"true"}}"""), Get, null),
        new("Bool SecureTransport true refuses plain HTTP", Allow("s3:GetObject", Objects, """{"Bool":{"aws:SecureTransport":"true"}}"""), "http:" + Get, "AccessDenied"),

        // IP: aws:SourceIp (awscli reaches the server from 127.0.0.1)
        new("IpAddress SourceIp allows loopback", Allow("s3:GetObject", Objects, """{"IpAddress":{"aws:SourceIp":["127.0.0.0/8","::1/128"]}}"""), Get, null),
        new("IpAddress SourceIp refuses another network", Allow("s3:GetObject", Objects, """{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"""), Get, "AccessDenied"),
        new("NotIpAddress SourceIp denies outside 192.0.2.0/24", Deny("s3:GetObject", Objects, """{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"""), Get, "AccessDenied"),
        new("NotIpAddress SourceIp lets loopback through", Deny("s3:GetObject", Objects, """{"NotIpAddress":{"aws:SourceIp":["127.0.0.0/8","::1/128"]}}"""), Get, null),

        // Null: s3:x-amz-server-side-encryption-customer-algorithm, s3:x-amz-server-side-encryption
        new("Null false on SSE-C algorithm denies an SSE-C put", Deny("s3:PutObject", Objects, """{"Null":{"s3:x-amz-server-side-encryption-customer-algorithm":"false"}}"""),
            Put + " --sse-customer-algorithm AES256 --sse-customer-key 0123456789abcdef0123456789abcdef", "AccessDenied"),
        new("Null false on SSE-C algorithm lets SSE-S3 through", Deny("s3:PutObject", Objects, """{"Null":{"s3:x-amz-server-side-encryption-customer-algorithm":"false"}}"""), PutAes, null),
        new("Null true on sse denies a put without it", Deny("s3:PutObject", Objects, """{"Null":{"s3:x-amz-server-side-encryption":"true"}}"""), Put, "AccessDenied"),
        new("Null true on sse lets AES256 through", Deny("s3:PutObject", Objects, """{"Null":{"s3:x-amz-server-side-encryption":"true"}}"""), PutAes, null),

        // KMS key id: s3:x-amz-server-side-encryption-aws-kms-key-id (refused before any KMS call)
        new("StringNotLikeIfExists kms key id denies another key", Deny("s3:PutObject", Objects,
                """{"StringNotLikeIfExists":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:*:000000000000:key/ours-*"}}"""),
            Put + " --server-side-encryption aws:kms --ssekms-key-id arn:aws:kms:us-east-1:000000000000:key/theirs", "AccessDenied"),
        new("StringLikeIfExists kms key id allows a put without one", Allow("s3:PutObject", Objects,
                """{"StringLikeIfExists":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:*:000000000000:key/ours-*"}}"""), PutAes, null),
        new("StringLikeIfExists kms key id refuses another key", Allow("s3:PutObject", Objects,
                """{"StringLikeIfExists":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:*:000000000000:key/ours-*"}}"""),
            Put + " --server-side-encryption aws:kms --ssekms-key-id arn:aws:kms:us-east-1:000000000000:key/theirs", "AccessDenied"),
        // As in AWS, …IfExists holds for an absent key, so a Deny with it denies a put that names no key at all.
        new("StringNotLikeIfExists kms key id denies a put without one", Deny("s3:PutObject", Objects,
                """{"StringNotLikeIfExists":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:*:000000000000:key/ours-*"}}"""), PutAes, "AccessDenied"),
        new("StringNotLike kms key id denies a put without one", Deny("s3:PutObject", Objects,
                """{"StringNotLike":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:*:000000000000:key/ours-*"}}"""), PutAes, "AccessDenied"),

        // ARN: aws:PrincipalArn
        new("ArnLike PrincipalArn allows the user", Allow("s3:GetObject", Objects, """{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/USER"}}"""), Get, null),
        new("ArnLike PrincipalArn refuses another user", Allow("s3:GetObject", Objects, """{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/carol"}}"""), Get, "AccessDenied"),
        new("ArnNotEquals PrincipalArn denies everyone else", Deny("s3:GetObject", Objects, """{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/carol"}}"""), Get, "AccessDenied"),

        // Tags: s3:ExistingObjectTag/<key>, s3:RequestObjectTag/<key>
        new("ExistingObjectTag allows a tagged object", Allow("s3:GetObject", Objects, """{"StringEquals":{"s3:ExistingObjectTag/class":"public"}}"""), Get, null),
        new("ExistingObjectTag refuses an untagged object", Allow("s3:GetObject", Objects, """{"StringEquals":{"s3:ExistingObjectTag/class":"public"}}"""),
            "s3api get-object --bucket BUCKET --key private/b.txt OUT", "AccessDenied"),
        new("RequestObjectTag allows a put tagged team=USER", Allow("s3:PutObject", Objects, """{"StringEquals":{"s3:RequestObjectTag/team":"USER"}}"""),
            Put + " --tagging team=USER", null),
        new("RequestObjectTag refuses a put tagged otherwise", Allow("s3:PutObject", Objects, """{"StringEquals":{"s3:RequestObjectTag/team":"USER"}}"""),
            Put + " --tagging team=carol", "AccessDenied"),

        // ForAnyValue / ForAllValues
        new("ForAnyValue StringEquals allows one matching value", Allow("s3:PutObject", Objects, """{"ForAnyValue:StringEquals":{"s3:x-amz-server-side-encryption":["aws:kms","AES256"]}}"""), PutAes, null),
        new("ForAnyValue StringEquals refuses an absent key", Allow("s3:PutObject", Objects, """{"ForAnyValue:StringEquals":{"s3:x-amz-server-side-encryption":["aws:kms","AES256"]}}"""), Put, "AccessDenied"),
        new("ForAllValues StringEquals allows an absent key", Allow("s3:PutObject", Objects, """{"ForAllValues:StringEquals":{"s3:x-amz-server-side-encryption":["AES256"]}}"""), Put, null),
        new("ForAllValues StringEquals refuses a value outside the set", Allow("s3:PutObject", Objects, """{"ForAllValues:StringEquals":{"s3:x-amz-server-side-encryption":["AES256"]}}"""),
            Put + " --server-side-encryption aws:kms", "AccessDenied"),

        // …IfExists on a string key
        new("StringEqualsIfExists sse allows a put without it", Allow("s3:PutObject", Objects, """{"StringEqualsIfExists":{"s3:x-amz-server-side-encryption":"AES256"}}"""), Put, null),
        new("StringEqualsIfExists sse refuses another value", Allow("s3:PutObject", Objects, """{"StringEqualsIfExists":{"s3:x-amz-server-side-encryption":"AES256"}}"""),
            Put + " --server-side-encryption aws:kms", "AccessDenied"),
    ];

    public static TheoryData<string> RowNames() => [.. Rows.Select(r => r.Name)];

    [Theory]
    [MemberData(nameof(RowNames))]
    public async Task A_condition_governs_the_call_of_a_second_user(string name)
    {
        var row = Rows.Single(r => r.Name == name);
        var user = "cli-" + Guid.NewGuid().ToString("N")[..8];
        var (accessKey, secretKey) = (await Coffer.Server.Hosting.Credentials.AddUserAsync(f.Server.Services.Store, f.Server.Services.RootKey, user))!.Value;
        var bucket = CofferFixture.NewBucket("cond");
        using (var owner = Clients.S3(f))
        {
            await owner.PutBucketAsync(bucket);
            await owner.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "public/a.txt", ContentBody = "public",
                TagSet = [new Tag { Key = "class", Value = "public" }] });
            await owner.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "private/b.txt", ContentBody = "private" });
        }

        var dir = Directory.CreateTempSubdirectory("coffer-cond-").FullName;
        try
        {
            var policy = Path.Combine(dir, "policy.json");
            await File.WriteAllTextAsync(policy, """{"Version":"2012-10-17","Statement":[""" + row.Statements.Replace("BUCKET", bucket).Replace("USER", user) + "]}");
            var put = await AwsAsync(CofferFixture.AccessKey, CofferFixture.SecretKey, https: true, "s3api", "put-bucket-policy", "--bucket", bucket, "--policy", "file://" + policy);
            Assert.True(put.Code == 0, $"put-bucket-policy: {put.Err}");

            var body = Path.Combine(dir, "body.txt");
            await File.WriteAllTextAsync(body, "from the second user");
            var https = !row.Call.StartsWith("http:", StringComparison.Ordinal);
            var args = row.Call[(https ? 0 : 5)..].Split(' ')
                .Select(a => a switch { "BODY" => body, "OUT" => Path.Combine(dir, "out"), _ => a.Replace("BUCKET", bucket).Replace("USER", user) }).ToArray();
            var call = await AwsAsync(accessKey, secretKey, https, args);
            if (row.Error is null)
            {
                Assert.True(call.Code == 0, $"{row.Call}: expected success, got exit {call.Code}: {call.Err}");
            }
            else
            {
                Assert.True(call.Code != 0, $"{row.Call}: expected {row.Error}, got success: {call.Out}");
                Assert.Contains($"({row.Error})", call.Err);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Runs the machine's awscli as the given key pair (environment credentials, no config file), over HTTPS or plain HTTP.</summary>
    private async Task<(int Code, string Out, string Err)> AwsAsync(string accessKey, string secretKey, bool https, params string[] args)
    {
        var start = new ProcessStartInfo("aws") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--endpoint-url");
        start.ArgumentList.Add(https ? $"https://localhost:{f.HttpsUrl.Port}" : $"http://localhost:{f.HttpUrl.Port}");
        foreach (var a in args)
            start.ArgumentList.Add(a);
        start.Environment["AWS_ACCESS_KEY_ID"] = accessKey;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = secretKey;
        start.Environment["AWS_DEFAULT_REGION"] = CofferFixture.Region;
        start.Environment["AWS_CONFIG_FILE"] = "/dev/null";
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        start.Environment["AWS_CA_BUNDLE"] = f.Server.CertificatePath!;
        start.Environment["AWS_MAX_ATTEMPTS"] = "1";
        start.Environment["AWS_PAGER"] = "";
        start.Environment["PATH"] = "/usr/bin:" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
