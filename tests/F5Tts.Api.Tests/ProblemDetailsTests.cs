using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using F5Tts.Api.Errors;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

public sealed class ProblemDetailsTests(ProblemDetailsTests.Host host) : IClassFixture<ProblemDetailsTests.Host>
{
    /// <summary>One host for the class, with a small body limit so 413 is cheap to provoke.</summary>
    public sealed class Host() : F5TtsApiFactory(new() { ["F5Tts:Server:MaxRequestBodyBytes"] = "4096" });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Unknown_route_is_404_problem()
    {
        using var client = host.CreateSocketClient();
        using var response = await client.GetAsync("no/such/route", Ct);

        var problem = await AssertProblemAsync(response, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        Assert.Equal("/no/such/route", problem.GetProperty("instance").GetString());
    }

    [Fact]
    public async Task Unknown_route_is_problem_json_even_when_the_client_accepts_only_html()
    {
        using var client = host.CreateSocketClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "nothing-here");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        using var response = await client.SendAsync(request, Ct);

        await AssertProblemAsync(response, HttpStatusCode.NotFound, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task Wrong_method_is_405_problem()
    {
        using var client = host.CreateSocketClient();
        using var response = await client.DeleteAsync("health/live", Ct);

        await AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed, ProblemTypes.MethodNotAllowed);
    }

    [Fact]
    public async Task Valid_json_reaches_the_endpoint()
    {
        using var client = host.CreateSocketClient();
        using var response = await client.PostAsync(ProbeEndpoints.JsonPath.TrimStart('/'), Json("""{"text":"hello","steps":32}"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"steps\":32", await response.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData("""{"text":"hello","steps":""")]            // truncated
    [InlineData("""{"text": hello}""")]                     // not JSON
    [InlineData("""{"text":"hello","steps":"many"}""")]     // wrong type
    [InlineData("""[1,2,3]""")]                             // wrong shape
    public async Task Malformed_json_is_400_problem_not_500(string body)
    {
        using var client = host.CreateSocketClient();
        using var response = await client.PostAsync(ProbeEndpoints.JsonPath.TrimStart('/'), Json(body), Ct);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, ProblemTypes.MalformedJson);
        Assert.StartsWith("The request body is not valid JSON", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Empty_body_is_400_problem()
    {
        using var client = host.CreateSocketClient();
        using var response = await client.PostAsync(ProbeEndpoints.JsonPath.TrimStart('/'), Json(""), Ct);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, ProblemTypes.BadRequest);
    }

    [Fact]
    public async Task Wrong_content_type_is_415_problem()
    {
        using var client = host.CreateSocketClient();
        using var content = new StringContent("""{"text":"hello","steps":1}""", Encoding.UTF8, "text/plain");
        using var response = await client.PostAsync(ProbeEndpoints.JsonPath.TrimStart('/'), content, Ct);

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, ProblemTypes.UnsupportedContentType);
    }

    [Fact]
    public async Task Body_over_the_configured_limit_is_413_problem()
    {
        using var client = host.CreateSocketClient();
        var text = new string('a', 8192); // limit is 4096 bytes in this host
        using var response = await client.PostAsync(ProbeEndpoints.JsonPath.TrimStart('/'), Json($$"""{"text":"{{text}}","steps":1}"""), Ct);

        var problem = await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, ProblemTypes.PayloadTooLarge);
        Assert.Contains("F5Tts:Server:MaxRequestBodyBytes", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Unhandled_exception_is_500_problem_without_internals()
    {
        using var client = host.CreateSocketClient();
        using var response = await client.GetAsync(ProbeEndpoints.ThrowPath.TrimStart('/'), Ct);

        var problem = await AssertProblemAsync(response, HttpStatusCode.InternalServerError, ProblemTypes.InternalError);
        var raw = problem.GetRawText();
        Assert.DoesNotContain("secret", raw);
        Assert.DoesNotContain("InvalidOperationException", raw);
        Assert.DoesNotContain(".onnx", raw);
    }

    [Fact]
    public async Task Validation_problem_from_an_endpoint_gets_the_invalid_input_type_and_trace_id()
    {
        using var client = host.CreateSocketClient();
        using var response = await client.GetAsync(ProbeEndpoints.ValidationPath.TrimStart('/'), Ct);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidInput);
        Assert.Equal("must not be empty", problem.GetProperty("errors").GetProperty("text")[0].GetString());
    }

    [Theory]
    [InlineData("InvalidInput", HttpStatusCode.BadRequest, ProblemTypes.InvalidInput)]
    [InlineData("VoiceNotFound", HttpStatusCode.NotFound, ProblemTypes.VoiceNotFound)]
    [InlineData("PayloadTooLarge", HttpStatusCode.RequestEntityTooLarge, ProblemTypes.PayloadTooLarge)]
    [InlineData("UnsupportedMedia", HttpStatusCode.UnsupportedMediaType, ProblemTypes.UnsupportedMedia)]
    [InlineData("NoSpeakableText", HttpStatusCode.UnprocessableEntity, ProblemTypes.NoSpeakableText)]
    [InlineData("QueueFull", HttpStatusCode.TooManyRequests, ProblemTypes.QueueFull)]
    [InlineData("NotReady", HttpStatusCode.ServiceUnavailable, ProblemTypes.NotReady)]
    [InlineData("DeadlineExceeded", HttpStatusCode.GatewayTimeout, ProblemTypes.DeadlineExceeded)]
    public async Task TtsException_kinds_map_to_status_and_type(string kind, HttpStatusCode status, string type)
    {
        using var client = host.CreateSocketClient();
        using var response = await client.GetAsync($"{ProbeEndpoints.TtsErrorPath.TrimStart('/')}?kind={kind}", Ct);

        var problem = await AssertProblemAsync(response, status, type);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        if (kind == "QueueFull")
        {
            // 2.2 s rounds up: never tell a client to come back before the hint.
            Assert.Equal("3", response.Headers.GetValues("Retry-After").Single());
        }
        else if (kind == "VoiceNotFound")
        {
            Assert.Equal("voice", problem.GetProperty("parameter").GetString());
            Assert.Contains("nobody", problem.GetProperty("detail").GetString());
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        return problem;
    }
}
