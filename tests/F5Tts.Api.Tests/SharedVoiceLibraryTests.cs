using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

/// <summary>
/// Two real hosts (two Kestrel servers, two voice registries) on one voice directory, as replicas on a shared
/// ReadWriteMany volume: what one stores or deletes is usable or gone through the other on the very next request.
/// </summary>
public sealed class SharedVoiceLibraryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "f5tts-shared-voices", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private F5TtsApiFactory NewReplica() => new(new Dictionary<string, string?> { ["F5Tts:Voices:Directory"] = _dir });

    private static async Task<HttpStatusCode> UploadAsync(HttpClient client, string id, string name, double frequency = 330)
    {
        using var response = await client.PostAsync(
            new Uri("v1/voices", UriKind.Relative), VoiceForms.Form(VoiceForms.Wav(frequency: frequency), name: name, transcript: "Some words.", id: id), Ct);
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> DeleteAsync(HttpClient client, string id)
    {
        using var response = await client.DeleteAsync(new Uri($"v1/voices/{id}", UriKind.Relative), Ct);
        return response.StatusCode;
    }

    private static async Task<string?> NameAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync(new Uri($"v1/voices/{id}", UriKind.Relative), Ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("name").GetString();
    }

    private static async Task<string[]> ListAsync(HttpClient client)
    {
        var json = await client.GetFromJsonAsync<JsonElement>(new Uri("v1/voices", UriKind.Relative), Ct);
        return json.GetProperty("voices").EnumerateArray().Select(v => v.GetProperty("id").GetString()!).ToArray();
    }

    [Fact]
    public async Task A_voice_stored_replaced_or_deleted_through_one_replica_is_seen_at_once_through_the_other()
    {
        await using var a = NewReplica();
        await using var b = NewReplica();
        using var clientA = a.CreateSocketClient();
        using var clientB = b.CreateSocketClient();
        Assert.Equal(["default"], await ListAsync(clientB)); // both replicas loaded (and cached) an empty library

        Assert.Equal(HttpStatusCode.Created, await UploadAsync(clientA, "narrator", "First narrator"));
        Assert.Equal("First narrator", await NameAsync(clientB, "narrator"));
        Assert.Equal(["default", "narrator"], await ListAsync(clientB));

        // Synthesis through the other replica finds the voice's audio.
        await Speech.WaitReadyAsync(clientB, Ct);
        using (var speech = await Speech.PostJsonAsync(clientB, "v1/audio/speech", new { input = "Hello there.", voice = "narrator", response_format = "wav" }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, speech.StatusCode);
        }

        // Deleted through B: gone through A, which had it cached.
        Assert.Equal(HttpStatusCode.NoContent, await DeleteAsync(clientB, "narrator"));
        Assert.Null(await NameAsync(clientA, "narrator"));
        Assert.Equal(["default"], await ListAsync(clientA));
        Assert.Equal(HttpStatusCode.NotFound, await DeleteAsync(clientA, "narrator"));

        // Stored again, deleted through B and stored under the same id through B with another name: A serves the new one,
        // not its stale cached copy.
        Assert.Equal(HttpStatusCode.Created, await UploadAsync(clientA, "narrator", "First narrator"));
        Assert.Equal("First narrator", await NameAsync(clientA, "narrator"));
        Assert.Equal(HttpStatusCode.NoContent, await DeleteAsync(clientB, "narrator"));
        Assert.Equal(HttpStatusCode.Created, await UploadAsync(clientB, "narrator", "Second narrator", frequency: 440));
        Assert.Equal("Second narrator", await NameAsync(clientA, "narrator"));
        Assert.Equal(HttpStatusCode.Conflict, await UploadAsync(clientA, "narrator", "Third narrator"));
    }

    [Fact]
    public async Task Concurrent_uploads_and_deletes_through_both_replicas_leave_one_consistent_library()
    {
        await using var a = NewReplica();
        await using var b = NewReplica();
        using var clientA = a.CreateSocketClient();
        using var clientB = b.CreateSocketClient();
        const int Ids = 12;

        // Every id is uploaded through both replicas at once: exactly one upload wins, the other is 409.
        var uploads = Enumerable.Range(0, Ids).Select(async i =>
        {
            var both = await Task.WhenAll(UploadAsync(clientA, $"v{i}", $"A{i}"), UploadAsync(clientB, $"v{i}", $"B{i}", frequency: 440));
            return (Id: $"v{i}", A: both[0], B: both[1]);
        });
        foreach (var (id, fromA, fromB) in await Task.WhenAll(uploads))
        {
            Assert.True(
                (fromA, fromB) is (HttpStatusCode.Created, HttpStatusCode.Conflict) or (HttpStatusCode.Conflict, HttpStatusCode.Created),
                $"{id}: A {(int)fromA}, B {(int)fromB}");
            string expected = fromA == HttpStatusCode.Created ? "A" : "B";
            Assert.StartsWith(expected, await NameAsync(clientA, id), StringComparison.Ordinal);
            Assert.StartsWith(expected, await NameAsync(clientB, id), StringComparison.Ordinal);
        }

        // The even ids are deleted through both at once (one 204, one 404) while the odd ones are read through both.
        var deletes = Enumerable.Range(0, Ids).Where(i => i % 2 == 0).Select(async i =>
        {
            var both = await Task.WhenAll(DeleteAsync(clientA, $"v{i}"), DeleteAsync(clientB, $"v{i}"));
            Assert.True(
                (both[0], both[1]) is (HttpStatusCode.NoContent, HttpStatusCode.NotFound) or (HttpStatusCode.NotFound, HttpStatusCode.NoContent),
                $"v{i}: A {(int)both[0]}, B {(int)both[1]}");
        });
        var reads = Enumerable.Range(0, Ids).Where(i => i % 2 == 1).Select(async i =>
        {
            Assert.NotNull(await NameAsync(clientA, $"v{i}"));
            Assert.NotNull(await NameAsync(clientB, $"v{i}"));
        });
        await Task.WhenAll(deletes.Concat(reads));

        string[] expectedIds = ["default", .. Enumerable.Range(0, Ids).Where(i => i % 2 == 1).Select(i => $"v{i}").Order(StringComparer.Ordinal)];
        Assert.Equal(expectedIds, await ListAsync(clientA));
        Assert.Equal(expectedIds, await ListAsync(clientB));
        for (int i = 0; i < Ids; i += 2)
        {
            Assert.Null(await NameAsync(clientA, $"v{i}"));
            Assert.Null(await NameAsync(clientB, $"v{i}"));
        }

        // Nothing half-written or half-deleted is left: only the published folders.
        Assert.Equal(expectedIds[1..], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
