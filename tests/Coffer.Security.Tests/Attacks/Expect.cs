using System.Net;
using System.Net.Http;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.Security.Tests.Attacks;

internal static class Expect
{
    /// <summary>Asserts the status and, where the response has a body (not HEAD), the error code.</summary>
    public static async Task RefusedAsync(HttpResponseMessage response, HttpStatusCode status, params string[] codes)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} {string.Join("|", codes)}, got {(int)response.StatusCode}: {body}");
        if (response.RequestMessage?.Method != HttpMethod.Head && codes.Length > 0)
        {
            var code = await response.ErrorCodeAsync();
            Assert.True(codes.Contains(code), $"expected code {string.Join("|", codes)}, got {code}: {body}");
        }
    }

    /// <summary>Codes that mean the request was not let through as its signer.</summary>
    public static readonly string[] AuthFailures = ["AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "RequestTimeTooSkewed", "AuthorizationQueryParametersError", "InvalidArgument"];
}
