using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using F5Tts.Api.Errors;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

public sealed class AuthTests(AuthTests.Host host) : IClassFixture<AuthTests.Host>
{
    private const string Key = "test-key-0123456789abcdef";

    public sealed class Host() : F5TtsApiFactory(new() { ["F5Tts:Auth:ApiKeys:0"] = Key });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Api_route_without_key_is_401_problem()
    {
        using var client = host.CreateSocketClient();
        using var response = await client.PostAsync(ProbeEndpoints.JsonPath.TrimStart('/'), Body(), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(ProblemTypes.Unauthorized, problem.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Wrong_key_is_401()
    {
        using var client = host.CreateSocketClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key + "x");
        using var response = await client.PostAsync(ProbeEndpoints.JsonPath.TrimStart('/'), Body(), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Bearer_key_and_X_Api_Key_are_accepted()
    {
        using var bearer = host.CreateSocketClient();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var viaBearer = await bearer.PostAsync(ProbeEndpoints.JsonPath.TrimStart('/'), Body(), Ct);
        Assert.Equal(HttpStatusCode.OK, viaBearer.StatusCode);

        using var header = host.CreateSocketClient();
        header.DefaultRequestHeaders.Add("X-Api-Key", Key);
        using var viaHeader = await header.PostAsync(ProbeEndpoints.JsonPath.TrimStart('/'), Body(), Ct);
        Assert.Equal(HttpStatusCode.OK, viaHeader.StatusCode);
    }

    [Theory]
    [InlineData("health/live")]
    [InlineData("metrics")]
    [InlineData("swagger/v1/swagger.json")]
    public async Task Probes_metrics_and_swagger_stay_open(string path)
    {
        using var client = host.CreateSocketClient();
        using var response = await client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static StringContent Body() => new("""{"text":"hi","steps":4}""", Encoding.UTF8, "application/json");
}
