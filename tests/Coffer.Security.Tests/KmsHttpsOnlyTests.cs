using System.Net;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests;

/// <summary>
/// The KMS API returns plaintext and data keys, so it is refused on the plain HTTP listener, as SSE-C and SSE-KMS
/// requests are: a KMS JSON error (AccessDeniedException, 400) saying to use HTTPS, and nothing done.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class KmsHttpsOnlyTests(TenantsFixture t)
{
    [Fact]
    public async Task Every_kms_call_over_http_is_refused_before_anything_is_done()
    {
        using var https = t.Kms(t.Carol);
        var keyId = (await https.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var keysBefore = (await https.ListKeysAsync(new ListKeysRequest())).Keys.Count;

        using var http = t.Kms(t.Carol, https: false);
        var calls = new Func<Task>[]
        {
            () => http.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = keyId, KeySpec = DataKeySpec.AES_256 }),
            () => http.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream([1]) }),
            () => http.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId }),
            () => http.ListKeysAsync(new ListKeysRequest()),
            () => http.CreateKeyAsync(new CreateKeyRequest()),
            () => http.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId }),
        };
        foreach (var call in calls)
        {
            var e = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(call);
            Assert.Equal("AccessDeniedException", e.ErrorCode);
            Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
            Assert.Contains("HTTPS", e.Message, StringComparison.Ordinal);
        }

        Assert.Equal(keysBefore, (await https.ListKeysAsync(new ListKeysRequest())).Keys.Count);
        Assert.Equal(KeyState.Enabled, (await https.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId })).KeyMetadata.KeyState);
    }
}
