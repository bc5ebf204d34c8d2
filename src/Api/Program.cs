using F5Tts.Api.Cli;
using F5Tts.Api.Extensions;

if (SynthesizeCommand.IsInvocation(args))
{
    return await SynthesizeCommand.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddF5TtsLogging();
builder.Services.AddF5TtsApi(builder.Configuration);

var app = builder.Build();
app.UseF5TtsPipeline();
app.MapF5TtsEndpoints();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program;
