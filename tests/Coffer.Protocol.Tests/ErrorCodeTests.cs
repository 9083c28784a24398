using Coffer.Protocol;

namespace Coffer.Protocol.Tests;

public sealed class ErrorCodeTests
{
    [Fact]
    public void Family_specific_codes_are_answered_in_the_callers_family()
    {
        Assert.Equal("NoSuchEncryptionConfiguration", ErrorCode.NoSuchEncryptionConfiguration.CodeFor(ProtocolFamily.Cos));
        Assert.Equal("ServerSideEncryptionConfigurationNotFoundError", ErrorCode.NoSuchEncryptionConfiguration.CodeFor(ProtocolFamily.S3));
        Assert.Equal(405, ErrorCode.RestoreNonArchiveObject.StatusFor(ProtocolFamily.Cos));
        Assert.Equal(403, ErrorCode.RestoreNonArchiveObject.StatusFor(ProtocolFamily.S3));
        Assert.Equal(404, ErrorCode.NoSuchKey.StatusFor(ProtocolFamily.S3));
    }
}
