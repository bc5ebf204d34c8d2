using F5Tts.Api.Tests.Infrastructure;

namespace F5Tts.Api.Tests;

public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("F5Tts:Server:MaxRequestBodyBytes", "0", "The field F5Tts:Server:MaxRequestBodyBytes must be between 1024 and 1073741824.")]
    [InlineData("F5Tts:Server:ShutdownTimeoutSeconds", "-1", "The field F5Tts:Server:ShutdownTimeoutSeconds must be between 0 and 3600.")]
    [InlineData("F5Tts:Model:Directory", "", "The F5Tts:Model:Directory field is required.")]
    [InlineData("F5Tts:Auth:ApiKeys:0", "short", "F5Tts:Auth:ApiKeys entries must be at least 16 characters")]
    [InlineData("F5Tts:Server:MaxRequestBodyBytes", "lots", "F5Tts:Server:MaxRequestBodyBytes")]
    [InlineData("F5Tts:Realtime:MaxSessions", "0", "The field F5Tts:Realtime:MaxSessions must be between 1 and 100000.")]
    [InlineData("F5Tts:Realtime:FirstSegmentMinBytes", "100", "F5Tts:Realtime:FirstSegmentMinBytes (100) must not exceed F5Tts:Realtime:FirstSegmentMaxBytes (60).")]
    [InlineData("F5Tts:Engine:DeviceIds:0", "64", "F5Tts:Engine:DeviceIds must list distinct device ordinals from 0 to 63 (got [64])")]
    [InlineData("F5Tts:Workers:FaultLimit", "0", "The field F5Tts:Workers:FaultLimit must be between 1 and 1000.")]
    [InlineData("F5Tts:Workers:StallSeconds", "-1", "The field F5Tts:Workers:StallSeconds must be between 0 and 86400.")]
    public async Task Invalid_value_stops_startup_with_a_message_naming_the_key(string key, string value, string expected)
    {
        await using var factory = new F5TtsApiFactory(new() { [key] = value });

        var exception = Assert.ThrowsAny<Exception>(factory.StartServer);

        var messages = string.Join(" | ", Flatten(exception).Select(e => e.Message));
        Assert.Contains(expected, messages);
    }

    private static IEnumerable<Exception> Flatten(Exception exception)
    {
        yield return exception;
        var inner = exception is AggregateException aggregate
            ? aggregate.InnerExceptions.ToList()
            : exception.InnerException is { } single ? [single] : new List<Exception>();
        foreach (var child in inner.SelectMany(Flatten))
        {
            yield return child;
        }
    }
}
