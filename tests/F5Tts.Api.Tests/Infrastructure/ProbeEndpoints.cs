using F5Tts.Inference.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace F5Tts.Api.Tests.Infrastructure;

/// <summary>
/// Test-only endpoints appended behind the real pipeline (after the app's own endpoints, inside its exception
/// handler, status code pages and auth) so error mapping can be exercised before the product's JSON endpoints exist.
/// They bind JSON through the real minimal-API machinery (RequestDelegateFactory with the app's RouteHandlerOptions).
/// </summary>
internal sealed class ProbeEndpoints : IStartupFilter
{
    public const string JsonPath = "/v1/_probe/json";
    public const string ThrowPath = "/v1/_probe/throw";
    public const string TtsErrorPath = "/v1/_probe/tts-error";
    public const string ValidationPath = "/v1/_probe/validation";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        next(app);
        var throwOnBadRequest = app.ApplicationServices.GetRequiredService<IOptions<RouteHandlerOptions>>().Value.ThrowOnBadRequest;
        var options = new RequestDelegateFactoryOptions { ServiceProvider = app.ApplicationServices, ThrowOnBadRequest = throwOnBadRequest };

        var json = RequestDelegateFactory.Create((ProbeRequest request) => TypedResults.Ok(request), options).RequestDelegate;
        app.Map(JsonPath, branch => branch.Run(json));
        var validation = RequestDelegateFactory.Create(
            () => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["text"] = ["must not be empty"] }), options).RequestDelegate;
        app.Map(ValidationPath, branch => branch.Run(validation));
        app.Map(ThrowPath, branch => branch.Run(_ =>
            throw new InvalidOperationException("secret internal detail: /opt/models/x.onnx")));
        app.Map(TtsErrorPath, branch => branch.Run(context =>
        {
            var kind = Enum.Parse<TtsErrorKind>(context.Request.Query["kind"].ToString());
            throw kind switch
            {
                TtsErrorKind.QueueFull => TtsException.QueueFull(TimeSpan.FromSeconds(2.2)),
                TtsErrorKind.VoiceNotFound => TtsException.VoiceNotFound("nobody"),
                _ => new TtsException(kind, $"probe {kind}", parameter: "text"),
            };
        }));
    };
}

/// <summary>Body of the JSON probe.</summary>
public sealed record ProbeRequest(string Text, int Steps);
