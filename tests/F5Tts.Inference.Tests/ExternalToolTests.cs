namespace F5Tts.Inference.Tests;

/// <summary>The shared helper every test uses to run external programs (tests/Shared/ExternalTool.cs).</summary>
public sealed class ExternalToolTests
{
    private const string Absent = "f5tts-deliberately-absent-tool";

    [Fact]
    public void A_missing_tool_fails_naming_its_Debian_package_and_test_sh()
    {
        var e = Assert.Throws<MissingToolException>(() => ExternalTool.Require(Absent, "f5tts-absent-package"));

        Assert.Equal(
            $"'{Absent}' is not installed: install the Debian package 'f5tts-absent-package' (apt-get install f5tts-absent-package); "
            + "./test.sh installs every package the tests need.",
            e.Message);
    }

    [Fact]
    public void Running_a_missing_tool_by_name_fails_the_same_way_not_with_Win32Exception()
    {
        var e = Assert.ThrowsAny<Exception>(() => ExternalTool.Run(Absent, [], TimeSpan.FromSeconds(10)));

        // An unknown program has no package entry: the helper says so instead of starting it blind.
        Assert.IsNotType<System.ComponentModel.Win32Exception>(e);
        Assert.Contains(Absent, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_known_tool_resolves_to_its_path()
    {
        var path = ExternalTool.Require("ffprobe");

        Assert.True(Path.IsPathRooted(path), path);
        Assert.Equal(0, ExternalTool.Run(path, ["-version"], TimeSpan.FromSeconds(60)).ExitCode);
    }
}
