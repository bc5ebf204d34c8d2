using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// Every operation of <c>/swagger/v1/swagger.json</c> executed with its own documented example (path parameters,
/// request body) against the running service on real Kestrel, expecting its documented success status: what Swagger
/// UI pre-fills must work as it stands.
/// </summary>
public sealed class SwaggerExamplesTests(SwaggerExamplesTests.Host host) : IClassFixture<SwaggerExamplesTests.Host>
{
    public sealed class Host : F5TtsApiFactory;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_operation_succeeds_with_its_documented_example()
    {
        using var client = host.CreateSocketClient();
        await Speech.WaitReadyAsync(client, Ct);
        using var document = JsonDocument.Parse(await client.GetStringAsync("swagger/v1/swagger.json", Ct));
        var root = document.RootElement;
        var operations = root.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (Path: path.Name, Method: op.Name, Operation: op.Value)))
            .OrderBy(o => o.Method == "delete") // DELETE removes what the POST example created
            .ToList();
        Assert.True(operations.Count >= 10, $"{operations.Count} operations");

        var failures = new List<string>();
        foreach (var (path, method, operation) in operations)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), Url(path, operation));
            request.Content = Body(root, operation);
            using var response = await client.SendAsync(request, Ct);
            var expected = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name)
                .Where(s => s.StartsWith('2')).Min(StringComparer.Ordinal);
            if (((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) != expected)
            {
                failures.Add($"{method.ToUpperInvariant()} {path}: {(int)response.StatusCode}, documented {expected}: "
                    + await response.Content.ReadAsStringAsync(Ct));
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static string Url(string path, JsonElement operation)
    {
        if (operation.TryGetProperty("parameters", out var parameters))
        {
            foreach (var parameter in parameters.EnumerateArray())
            {
                if (parameter.GetProperty("in").GetString() == "path")
                {
                    var name = parameter.GetProperty("name").GetString()!;
                    Assert.True(parameter.TryGetProperty("example", out var example), $"{path}: parameter {name} has no example");
                    path = path.Replace($"{{{name}}}", Uri.EscapeDataString(example.GetString()!), StringComparison.Ordinal);
                }
            }
        }

        return path.TrimStart('/');
    }

    private static HttpContent? Body(JsonElement root, JsonElement operation)
    {
        if (!operation.TryGetProperty("requestBody", out var body))
        {
            return null;
        }

        var content = body.GetProperty("content");
        if (content.TryGetProperty("application/json", out var json))
        {
            var example = Example(json) ?? Example(Resolve(root, json.GetProperty("schema")));
            Assert.True(example is not null, $"no example for {json}");
            return new StringContent(example!.Value.GetRawText(), Encoding.UTF8, "application/json");
        }

        var form = new MultipartFormDataContent();
        var schema = Resolve(root, content.GetProperty("multipart/form-data").GetProperty("schema"));
        foreach (var property in schema.GetProperty("properties").EnumerateObject())
        {
            if (property.Value.TryGetProperty("format", out var format) && format.GetString() == "binary")
            {
                var file = new ByteArrayContent(TtsEndpointTests.SineWav(2.0, 24_000));
                file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
                form.Add(file, property.Name, "example.wav"); // a file cannot be an example: any short clip
            }
            else if (Example(property.Value) is { } example)
            {
                form.Add(new StringContent(example.GetString()!), property.Name);
            }
        }

        return form;
    }

    private static JsonElement? Example(JsonElement element) =>
        element.TryGetProperty("example", out var example) ? example
        : element.TryGetProperty("examples", out var examples) && examples.ValueKind == JsonValueKind.Array ? examples[0]
        : null;

    private static JsonElement Resolve(JsonElement root, JsonElement schema)
    {
        if (!schema.TryGetProperty("$ref", out var reference))
        {
            return schema;
        }

        var name = reference.GetString()!.Split('/')[^1];
        return root.GetProperty("components").GetProperty("schemas").GetProperty(name);
    }
}
