using F5Tts.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddF5TtsLogging();
builder.Services.AddF5TtsApi(builder.Configuration);

var app = builder.Build();
app.UseF5TtsPipeline();
app.MapF5TtsEndpoints();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program;
