using System.Net;
using System.Text;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// Every example body the OpenAPI document gives <c>POST /v1/tts</c> and <c>POST /v1/dub</c> — not only the first,
/// which <see cref="SwaggerExamplesTests"/> runs — posted as it stands to the running service: the pauses, dialogue,
/// loudness and timestamps examples must work on a fresh server too.
/// </summary>
public sealed class TimingExamplesTests(TimingExamplesTests.Host host) : IClassFixture<TimingExamplesTests.Host>
{
    public sealed class Host : F5TtsApiFactory;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/v1/tts", "TtsRequestDto", 3)]
    [InlineData("/v1/dub", "DubRequestDto", 1)]
    public async Task Every_example_body_succeeds(string path, string schema, int count)
    {
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);
        using var document = JsonDocument.Parse(await client.GetStringAsync("swagger/v1/swagger.json", Ct));
        // OpenAPI 3.0 holds one "example"; the further ones travel as the "x-jsonschema-examples" extension.
        var definition = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty(schema);
        List<JsonElement> examples = [definition.GetProperty("example")];
        if (definition.TryGetProperty("x-jsonschema-examples", out var more))
        {
            examples.AddRange(more.EnumerateArray());
        }

        Assert.Equal(count, examples.Count);
        foreach (var example in examples)
        {
            using var content = new StringContent(example.GetRawText(), Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(new Uri(path.TrimStart('/'), UriKind.Relative), content, Ct);
            var body = await response.Content.ReadAsByteArrayAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{example.GetRawText()}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
            Assert.True(body.Length > 1000, $"{example.GetRawText()}: {body.Length} bytes");
        }
    }
}
