using System.Globalization;
using Coffer.Protocol;
using Coffer.Protocol.Auth;
using Coffer.Protocol.Post;
using Coffer.Server.Hosting;

namespace Coffer.Server.Objects;

/// <summary>
/// Who signed a browser POST form (docs/protocol/post-object.md): its fields carry a SigV4, SigV2 or COS signature over
/// the policy, made with a secret from the credential store (a temporary one with its token in the form). A form with
/// no signature fields at all is anonymous.
/// </summary>
public static class PostAuthentication
{
    /// <summary>A verified form: its signer (null when anonymous), its policy (null when anonymous) and its protocol family.</summary>
    public sealed record Result(AuthenticatedIdentity? Identity, PostPolicy? Policy, ProtocolFamily Family);

    /// <summary>How far in the future a COS form's q-key-time may start (the clock skew COS signatures allow).</summary>
    private const long MaxSkewSeconds = 15 * 60;

    private static readonly string[] CosFields = ["q-sign-algorithm", "q-ak", "q-key-time", "q-signature"];
    private static readonly string[] SigV4Fields = ["x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"];
    private static readonly string[] SigV2Fields = ["awsaccesskeyid", "signature"];

    /// <summary>The fields S3 lets a form carry without a condition naming them (besides <c>x-ignore-*</c>).</summary>
    public static bool IsExempt(string field, bool sigV2) =>
        field is "policy" or "x-amz-signature" or "signature" or "file" || field.StartsWith("x-ignore-", StringComparison.Ordinal)
        || (sigV2 && field == "awsaccesskeyid");

    public static Result Authenticate(PostForm form, CofferServices s)
    {
        var f = form.Fields;
        var now = s.Time.GetUtcNow();
        if (CosFields.Any(f.ContainsKey))
        {
            Require(form, [.. CosFields, "policy"]);
            if (f["q-sign-algorithm"] != "sha1")
                throw new CofferException(ErrorCode.InvalidArgument, $"q-sign-algorithm must be sha1, not '{f["q-sign-algorithm"]}'.");
            CheckKeyTime(f["q-key-time"], now);
            var policy = PostPolicy.Parse(f["policy"]);
            var token = form.Field("x-cos-security-token");
            var secret = SecretOf(s, f["q-ak"], token, now);
            if (!PostSignatures.Matches(PostSignatures.Cos(secret, f["q-key-time"], policy.Json), f["q-signature"], hex: true))
                throw new CofferException(ErrorCode.SignatureDoesNotMatch, "The Signature you specified is invalid.");
            return new Result(new AuthenticatedIdentity(f["q-ak"], token, SignatureScheme.PostFormCos, PayloadKind.NotSigned, null, null, null), policy, ProtocolFamily.Cos);
        }
        if (SigV4Fields.Any(f.ContainsKey))
        {
            Require(form, ["x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy"]);
            if (f["x-amz-algorithm"] != PostSignatures.SigV4Algorithm)
                throw new CofferException(ErrorCode.InvalidArgument, $"x-amz-algorithm must be {PostSignatures.SigV4Algorithm}, not '{f["x-amz-algorithm"]}'.");
            var scope = f["x-amz-credential"].Split('/');
            if (scope.Length != 5 || scope[3] != "s3" || scope[4] != "aws4_request" || scope[1].Length != 8
                || !DateTime.TryParseExact(f["x-amz-date"], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) || !f["x-amz-date"].StartsWith(scope[1], StringComparison.Ordinal))
                throw new CofferException(ErrorCode.InvalidArgument,
                    "x-amz-credential must be <access key>/<yyyymmdd>/<region>/s3/aws4_request, its date that of x-amz-date (yyyymmddThhmmssZ).");
            var policy = PostPolicy.Parse(f["policy"]);
            var token = form.Field("x-amz-security-token");
            var secret = SecretOf(s, scope[0], token, now);
            if (!PostSignatures.Matches(PostSignatures.SigV4(secret, scope[1], scope[2], f["policy"]), f["x-amz-signature"], hex: true))
                throw new CofferException(ErrorCode.SignatureDoesNotMatch);
            return new Result(new AuthenticatedIdentity(scope[0], token, SignatureScheme.PostFormSigV4, PayloadKind.Unsigned, null, null, scope[2]) { Service = "s3" },
                policy, ProtocolFamily.S3);
        }
        if (SigV2Fields.Any(f.ContainsKey) || f.ContainsKey("policy"))
        {
            Require(form, ["awsaccesskeyid", "policy", "signature"]);
            var policy = PostPolicy.Parse(f["policy"]);
            var token = form.Field("x-amz-security-token");
            var secret = SecretOf(s, f["awsaccesskeyid"], token, now);
            if (!PostSignatures.Matches(PostSignatures.SigV2(secret, f["policy"]), f["signature"], hex: false))
                throw new CofferException(ErrorCode.SignatureDoesNotMatch);
            return new Result(new AuthenticatedIdentity(f["awsaccesskeyid"], token, SignatureScheme.PostFormSigV2, PayloadKind.Unsigned, null, null, null), policy, ProtocolFamily.S3);
        }
        return new Result(null, null, f.Keys.Any(k => k.StartsWith("x-cos-", StringComparison.Ordinal)) ? ProtocolFamily.Cos : ProtocolFamily.S3);
    }

    private static void Require(PostForm form, string[] names)
    {
        foreach (var name in names)
        {
            if (!form.Fields.ContainsKey(name))
            {
                var spelled = name == "awsaccesskeyid" ? "AWSAccessKeyId" : name;
                throw new CofferException(ErrorCode.InvalidArgument,
                    $"Bucket POST must contain a field named '{spelled}'.  If it is specified, please check the order of the fields.");
            }
        }
    }

    /// <summary>COS: q-key-time is "start;end" in Unix seconds, and now must fall within it.</summary>
    private static void CheckKeyTime(string keyTime, DateTimeOffset now)
    {
        var parts = keyTime.Split(';');
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var end) || end < start)
            throw new CofferException(ErrorCode.InvalidArgument, "q-key-time must be <start>;<end> in Unix seconds.");
        var seconds = now.ToUnixTimeSeconds();
        if (seconds > end)
            throw new CofferException(ErrorCode.AccessDenied,
                $"You post object request has been expired, expiration time: {end} but the time now : {seconds}");
        if (seconds + MaxSkewSeconds < start)
            throw new CofferException(ErrorCode.AccessDenied, $"The q-key-time of the form starts at {start}, later than now ({seconds}).");
    }

    /// <summary>The signing secret of an access key (a temporary one only with its valid token), or 403 InvalidAccessKeyId.</summary>
    private static string SecretOf(CofferServices s, string accessKeyId, string? token, DateTimeOffset now)
    {
        var secret = s.Credentials.SecretOf(accessKeyId, token) ?? throw new CofferException(ErrorCode.InvalidAccessKeyId);
        if (TemporaryCredentials.IsTemporary(accessKeyId))
        {
            var claims = TemporaryCredentials.Open(s.RootKey, token)
                ?? throw new CofferException(ErrorCode.InvalidAccessKeyId, "Temporary credentials need their session token in the form's x-amz-security-token (COS: x-cos-security-token) field.");
            if (claims.Expires <= now)
                throw new CofferException(ErrorCode.ExpiredToken, "The session token has expired; request new temporary credentials.");
        }
        return secret;
    }
}
