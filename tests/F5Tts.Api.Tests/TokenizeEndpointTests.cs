using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace F5Tts.Api.Tests;

/// <summary>/v1/tokenize through the real host (Kestrel test server) with the real front-end and vocabulary.</summary>
public sealed class TokenizeEndpointTests : IClassFixture<TokenizeEndpointTests.Factory>
{
    private readonly Factory _factory;

    public TokenizeEndpointTests(Factory factory) => _factory = factory;

    /// <summary>The real host (repository content root, tiny fixture model) with the official vocabulary copy.</summary>
    public sealed class Factory : F5Tts.Api.Tests.Infrastructure.F5TtsApiFactory
    {
        public Factory()
            : this([])
        {
        }

        internal Factory(Dictionary<string, string?> settings)
            : base(WithVocabulary(settings))
        {
        }

        private static Dictionary<string, string?> WithVocabulary(Dictionary<string, string?> settings)
        {
            settings.TryAdd("F5Tts:Text:VocabularyPath", Path.Combine(AppContext.BaseDirectory, "data", "f5-vocab.txt"));
            return settings;
        }
    }

    [Fact]
    public async Task Returns_tokens_ids_and_count_in_snake_case()
    {
        using var client = _factory.CreateClient();
        using var response = await client.PostAsJsonAsync("/v1/tokenize", new { text = "对，这就是我，万人敬仰的太乙真人。" },
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var root = doc.RootElement;
        Assert.Equal(31, root.GetProperty("count").GetInt32());
        Assert.Equal([0, 317, 2541, 0, 1341, 0, 546, 0, 1030, 0, 1178, 2541, 0, 1161, 0, 953, 0, 541, 0, 1248, 0, 272, 0, 1089, 0, 1261, 0, 1342, 0, 953, 1895],
            root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("dui4", root.GetProperty("tokens")[1].GetString());
    }

    [Fact]
    public async Task Joins_the_reference_text_and_honours_normalize()
    {
        using var client = _factory.CreateClient();
        using var response = await client.PostAsJsonAsync("/v1/tokenize",
            new { text = "5%", reference_text = "Hello", normalize = true }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        // Official joining: "Hello" + ". " + " ", then "five percent".
        Assert.Equal("Hello.  five percent", doc.RootElement.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("", 400, "urn:f5tts:problem:invalid-input")]
    [InlineData("行<hang9>", 400, "urn:f5tts:problem:invalid-input")]
    [InlineData("。。。", 422, "urn:f5tts:problem:no-speakable-text")]
    public async Task Bad_text_gives_problem_details(string text, int status, string type)
    {
        using var client = _factory.CreateClient();
        using var response = await client.PostAsJsonAsync("/v1/tokenize", new { text }, TestContext.Current.CancellationToken);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(type, doc.RootElement.GetProperty("type").GetString());
    }
}

/// <summary>Configuration of the front-end through the real host: lexicon file and start-up validation.</summary>
public sealed class TextConfigurationTests
{
    private static string Vocab => Path.Combine(AppContext.BaseDirectory, "data", "f5-vocab.txt");

    private sealed class Factory(Dictionary<string, string?> settings) : F5Tts.Api.Tests.Infrastructure.F5TtsApiFactory(settings);

    [Fact]
    public async Task A_configured_lexicon_is_used()
    {
        var lexicon = Path.Combine(Path.GetTempPath(), $"lexicon-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(lexicon, "# test\n你好\tni3 hao3\n", TestContext.Current.CancellationToken);
        try
        {
            await using var factory = new Factory(new() { ["F5Tts:Text:VocabularyPath"] = Vocab, ["F5Tts:Text:LexiconPath"] = lexicon });
            using var client = factory.CreateClient();
            using var response = await client.PostAsJsonAsync("/v1/tokenize", new { text = "你好" }, TestContext.Current.CancellationToken);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.Equal([" ", "ni3", " ", "hao3"], doc.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()));
        }
        finally
        {
            File.Delete(lexicon);
        }
    }

    [Fact]
    public void A_missing_lexicon_file_stops_start_up_naming_the_key()
    {
        using var factory = new Factory(new() { ["F5Tts:Text:VocabularyPath"] = Vocab, ["F5Tts:Text:LexiconPath"] = "/nonexistent/lexicon.txt" });
        var e = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("F5Tts:Text:LexiconPath", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_range_value_stops_start_up_naming_the_key()
    {
        using var factory = new Factory(new() { ["F5Tts:Text:VocabularyPath"] = Vocab, ["F5Tts:Text:MaxCharacters"] = "0" });
        var e = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("F5Tts:Text:MaxCharacters", e.ToString(), StringComparison.Ordinal);
    }
}
