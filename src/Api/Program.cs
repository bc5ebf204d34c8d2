using F5Tts.Api.Endpoints;
using F5Tts.Inference;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddF5TtsAudio(builder.Configuration);

var app = builder.Build();
app.MapVoicesEndpoints();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program;
