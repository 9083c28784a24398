using Coffer.Crypto.Kms;
using Coffer.Protocol;
using Coffer.Server.Kms;

namespace Coffer.Server.Tests;

/// <summary>The KMS API's error table: what each refusal is called on the wire, as AWS KMS calls it.</summary>
public sealed class KmsErrorTypeTests
{
    [Theory]
    [InlineData(KmsErrorKind.NotFound, "NotFoundException")]
    [InlineData(KmsErrorKind.Disabled, "DisabledException")]
    [InlineData(KmsErrorKind.PendingDeletion, "KMSInvalidStateException")]
    [InlineData(KmsErrorKind.InvalidState, "KMSInvalidStateException")]
    [InlineData(KmsErrorKind.InvalidCiphertext, "InvalidCiphertextException")]
    [InlineData(KmsErrorKind.AccessDenied, "AccessDeniedException")]
    [InlineData(KmsErrorKind.InvalidArgument, "ValidationException")]
    [InlineData(KmsErrorKind.AlreadyExists, "AlreadyExistsException")]
    [InlineData(KmsErrorKind.Unsupported, "UnsupportedOperationException")]
    [InlineData(KmsErrorKind.LimitExceeded, "LimitExceededException")]
    public void Every_kms_refusal_has_its_aws_type_and_is_a_client_error(KmsErrorKind kind, string type)
    {
        var error = KmsErrorType.For(kind);
        Assert.Equal(type, error.Type);
        Assert.Equal(400, error.Status);
        Assert.Equal(type, Coffer.Server.Sse.KmsErrors.ApiType(kind));
    }

    [Fact]
    public void Every_kind_is_in_the_table() =>
        Assert.All(Enum.GetValues<KmsErrorKind>(), kind => Assert.EndsWith("Exception", KmsErrorType.For(kind).Type, StringComparison.Ordinal));

    [Theory]
    [InlineData("SignatureDoesNotMatch", "InvalidSignatureException", 400)]
    [InlineData("RequestTimeTooSkewed", "InvalidSignatureException", 400)]
    [InlineData("InvalidAccessKeyId", "UnrecognizedClientException", 400)]
    [InlineData("ExpiredToken", "ExpiredTokenException", 400)]
    [InlineData("AccessDenied", "AccessDeniedException", 400)]
    [InlineData("AuthorizationHeaderMalformed", "IncompleteSignatureException", 400)]
    [InlineData("SlowDown", "ThrottlingException", 400)]
    [InlineData("InternalError", "KMSInternalException", 500)]
    [InlineData("InvalidArgument", "ValidationException", 400)]
    public void A_refusal_found_before_the_call_is_named_as_aws_kms_names_it(string code, string type, int status)
    {
        var objectError = typeof(ErrorCode).GetFields().Select(f => f.GetValue(null)).OfType<ErrorCode>().First(e => e.Code == code);
        var error = KmsErrorType.For(objectError);
        Assert.Equal((type, status), (error.Type, error.Status));
    }
}
