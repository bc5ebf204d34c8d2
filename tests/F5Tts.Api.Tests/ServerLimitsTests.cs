using F5Tts.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace F5Tts.Api.Tests;

public sealed class ServerLimitsTests
{
    [Fact]
    public async Task Body_limit_and_shutdown_timeout_come_from_configuration()
    {
        await using var factory = new F5TtsApiFactory(new()
        {
            ["F5Tts:Server:MaxRequestBodyBytes"] = "123456",
            ["F5Tts:Server:ShutdownTimeoutSeconds"] = "7",
        });
        factory.StartServer();

        Assert.Equal(123456, factory.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestBodySize);
        Assert.Equal(123456, factory.Services.GetRequiredService<IOptions<FormOptions>>().Value.MultipartBodyLengthLimit);
        Assert.Equal(TimeSpan.FromSeconds(7), factory.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public async Task Defaults_of_the_root_appsettings_apply()
    {
        await using var factory = new F5TtsApiFactory();
        factory.StartServer();

        Assert.Equal(16L << 20, factory.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestBodySize);
        Assert.Equal(TimeSpan.FromSeconds(30), factory.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }
}
