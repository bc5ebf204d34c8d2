using F5Tts.Api.Endpoints;
using F5Tts.Inference.Text;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddF5TtsText(builder.Configuration);

var app = builder.Build();
app.MapTokenizeEndpoints();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program;
