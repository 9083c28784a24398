using System.Net;
using System.Xml.Linq;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Coffer.Sdk.Internal;

/// <summary>
/// Sends operations: builds and signs a fresh request per attempt, retries transient failures
/// through a Polly pipeline (retry with exponential backoff and jitter around a per-attempt
/// timeout), and turns error responses into <see cref="CofferException"/> and local or network
/// failures into <see cref="CosClientException"/>.
/// </summary>
internal sealed class CosHttp : IDisposable
{
    private static readonly ResiliencePropertyKey<AttemptState> StateKey = new("coffer.attempt");
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ResiliencePipeline _pipeline;

    public CosHttp(CosConfig config, HttpMessageHandler? handler)
    {
        Config = config;
        Endpoint = new Endpoint(config);
        Builder = new RequestBuilder(config, Endpoint);
        _http = new HttpClient(handler ?? CreateHandler(config, Endpoint), disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _ownsHttp = true;

        var builder = new ResiliencePipelineBuilder();
        if (config.Retry.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = config.Retry.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = config.Retry.UseJitter,
                Delay = config.Retry.BaseDelay,
                MaxDelay = config.Retry.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome.Exception, args.Context)),
            });
        }

        if (config.Timeout > TimeSpan.Zero && config.Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            builder.AddTimeout(config.Timeout);
        }

        _pipeline = builder.Build();
    }

    public CosConfig Config { get; }

    public Endpoint Endpoint { get; }

    public RequestBuilder Builder { get; }

    public static SocketsHttpHandler CreateHandler(CosConfig config, Endpoint endpoint) => new()
    {
        ConnectTimeout = config.ConnectTimeout,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        SslOptions = { RemoteCertificateValidationCallback = Tls.Callback(config, endpoint) },
    };

    /// <summary>
    /// Sends <paramref name="op"/> and returns the successful response with its body not yet
    /// read (the caller disposes it). Error responses are thrown.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(OperationRequest op, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        var state = new AttemptState(op, cancellationToken);
        context.Properties.Set(StateKey, state);
        try
        {
            return await _pipeline.ExecuteAsync(static async (ctx, self) =>
            {
                var st = ctx.Properties.GetValue(StateKey, null!);
                return await self.AttemptAsync(st, ctx.CancellationToken).ConfigureAwait(false);
            }, context, this).ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e, cancellationToken) is { } translated)
        {
            throw translated;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Sends and parses an XML response body (small documents only).</summary>
    public async Task<(HttpResponseMessage Response, XElement? Root)> SendForXmlAsync(OperationRequest op, CancellationToken cancellationToken)
    {
        var response = await SendAsync(op, cancellationToken).ConfigureAwait(false);
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(text))
            {
                return (response, null);
            }

            var root = XmlUtil.Parse(text);
            if (root.Name.LocalName == "Error")
            {
                // COS may answer 200 with an <Error> body when a copy or complete fails part-way.
                throw ErrorFrom(root, (int)response.StatusCode == 200 ? 500 : (int)response.StatusCode, response, op);
            }

            return (response, root);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<HttpResponseMessage> AttemptAsync(AttemptState state, CancellationToken token)
    {
        bool isRetry = Interlocked.Increment(ref state.Attempts) > 1;
        state.Op.OnAttempt?.Invoke();
        using var request = Builder.Build(state.Op, isRetry);
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ErrorFromResponseAsync(response, state.Op, token).ConfigureAwait(false);
        }
    }

    private static bool ShouldRetry(Exception? e, ResilienceContext context)
    {
        var state = context.Properties.GetValue(StateKey, null!);
        if (e is null || state.UserToken.IsCancellationRequested || (state.Op.Body is { CanReplay: false }))
        {
            return false;
        }

        return e switch
        {
            CofferException ce => ce.IsTransient,
            CosClientException ce => ce.IsTransient,
            HttpRequestException h => h.InnerException is not CosClientException { IsTransient: false },
            IOException or TimeoutRejectedException or TimeoutException => true,
            OperationCanceledException => true, // not the caller's token: a connect timeout
            _ => false,
        };
    }

    private static Exception? Translate(Exception e, CancellationToken userToken)
    {
        if (e is CofferException or CosClientException)
        {
            return null;
        }

        if (e is OperationCanceledException && userToken.IsCancellationRequested)
        {
            return null;
        }

        if (e is HttpRequestException { InnerException: CosClientException inner })
        {
            return inner;
        }

        return e switch
        {
            TimeoutRejectedException or TimeoutException or OperationCanceledException =>
                new CosClientException(CosClientErrorKind.Timeout, $"The request timed out after every retry: {e.Message}", e),
            HttpRequestException or IOException =>
                new CosClientException(CosClientErrorKind.Network, $"The request failed after every retry: {e.Message}", e),
            _ => null,
        };
    }

    /// <summary>Builds the exception for an error response (body read up to 64 KiB).</summary>
    public static async Task<CofferException> ErrorFromResponseAsync(HttpResponseMessage response, OperationRequest? op, CancellationToken token)
    {
        string text = "";
        try
        {
            using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
            var buffer = new byte[64 * 1024];
            int total = 0;
            int n;
            while (total < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(total), token).ConfigureAwait(false)) > 0)
            {
                total += n;
            }

            text = System.Text.Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // The status alone still says what happened.
        }

        XElement? root = null;
        if (text.Contains("<Error", StringComparison.Ordinal))
        {
            try
            {
                root = XmlUtil.Parse(text);
            }
            catch (CosClientException)
            {
                root = null;
            }
        }

        if (root is not null && root.Name.LocalName == "Error")
        {
            return ErrorFrom(root, (int)response.StatusCode, response, op);
        }

        // The KMS JSON API answers {"__type": "NotFoundException", "message": "…"}.
        if (text.TrimStart().StartsWith('{'))
        {
            try
            {
                var json = System.Text.Json.Nodes.JsonNode.Parse(text);
                string? type = json?["__type"]?.GetValue<string>();
                if (type is not null)
                {
                    return new CofferException(type[(type.LastIndexOf('#') + 1)..], json?["message"]?.GetValue<string>() ?? json?["Message"]?.GetValue<string>() ?? "",
                        (int)response.StatusCode, RequestIdOf(response));
                }
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
            {
                // Not the KMS error shape: fall back to the status.
            }
        }

        return Synthetic((int)response.StatusCode, response, op, text);
    }

    private static CofferException ErrorFrom(XElement root, int status, HttpResponseMessage response, OperationRequest? op)
    {
        string code = XmlUtil.Child(root, "Code") ?? Synthetic(status, response, op, "").Code;
        return new CofferException(code, XmlUtil.Child(root, "Message") ?? "", status,
            XmlUtil.Child(root, "RequestId") ?? RequestIdOf(response), XmlUtil.Child(root, "Resource"),
            XmlUtil.Child(root, "TraceId") ?? XmlUtil.Child(root, "HostId"));
    }

    private static CofferException Synthetic(int status, HttpResponseMessage response, OperationRequest? op, string text)
    {
        string code = status switch
        {
            304 => "NotModified",
            400 => "BadRequest",
            401 or 403 => ErrorCodes.AccessDenied,
            404 => ErrorCodes.NoSuchResource,
            405 => ErrorCodes.MethodNotAllowed,
            409 => "Conflict",
            412 => ErrorCodes.PreconditionFailed,
            416 => ErrorCodes.InvalidRange,
            429 => ErrorCodes.SlowDown,
            501 => ErrorCodes.NotImplemented,
            503 => ErrorCodes.ServiceUnavailable,
            >= 500 => ErrorCodes.InternalError,
            _ => "HttpStatus" + status.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        string message = op?.Method == HttpMethod.Head
            ? $"HEAD answered {status} {response.ReasonPhrase} (HEAD responses carry no error body)."
            : text.Length == 0 ? $"The server answered {status} {response.ReasonPhrase} without an error body." : $"The server answered {status} {response.ReasonPhrase}.";
        return new CofferException(code, message, status, RequestIdOf(response));
    }

    public static string? RequestIdOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-cos-request-id", out var v) ? v.FirstOrDefault()
        : response.Headers.TryGetValues("x-amz-request-id", out v) ? v.FirstOrDefault()
        : response.Headers.TryGetValues("x-amzn-RequestId", out v) ? v.FirstOrDefault() : null;

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private sealed class AttemptState(OperationRequest op, CancellationToken userToken)
    {
        public int Attempts;
        public OperationRequest Op { get; } = op;
        public CancellationToken UserToken { get; } = userToken;
    }
}
