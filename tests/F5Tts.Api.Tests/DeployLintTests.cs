using System.Diagnostics;

namespace F5Tts.Api.Tests;

/// <summary>
/// Runs tests/deploy/check_deploy.py, the static checks of deploy/ (Helm chart and Dockerfile): no helm and no
/// docker engine exist where the tests run, so yamllint plus these checks are what CI can prove about them.
/// The mutation cases show that each kind of check can fail: they run the script on a copy of the files with
/// one defect planted.
/// </summary>
public sealed class DeployLintTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    [Fact]
    public async Task Deploy_files_pass_the_static_checks()
    {
        var (exitCode, output) = await RunCheckAsync(RepoRoot);

        Assert.True(exitCode == 0, $"check_deploy.py exited {exitCode}:\n{output}");
        Assert.Contains("0 failed", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deploy/helm/f5tts/templates/service.yaml", "  type: {{ .Values.service.type }}",
        "  type: {{ .Values.service.kind }}", ".Values.service.kind is not in values.yaml")]
    [InlineData("deploy/helm/f5tts/templates/pdb.yaml", "{{- end }}\n  selector:",
        "\n  selector:", "'if' never closed")]
    [InlineData("deploy/helm/f5tts/templates/deployment.yaml", "{{- include \"f5tts.validate\" . }}",
        "{{- include \"f5tts.validated\" . }}", "include of undefined 'f5tts.validated'")]
    [InlineData("deploy/helm/f5tts/templates/service.yaml", "{{ .Values.service.type }}",
        "{{ .Values.service.type | toYml }}", "unknown function 'toYml'")]
    [InlineData("deploy/helm/f5tts/values.yaml", "# PriorityClass of the pods.\n", "",
        "priorityClassName has no comment")]
    [InlineData("deploy/helm/f5tts/values.yaml", "    failureThreshold: 180", "    failureThreshold: 30",
        "TensorRT engine builds need >= 1800 s")]
    [InlineData("deploy/helm/f5tts/values.yaml", "replicaCount: 1", "replicaCount: 1\n# Unused.\nunusedKey: 3",
        "unusedKey is not used by any template")]
    [InlineData("deploy/helm/f5tts/templates/deployment.yaml", "{{- toYaml .Values.securityContext | nindent 12 }}",
        "{{- toYaml .Values.securityContext | nindent 10 }}", "defaults: container securityContext is not locked down")]
    [InlineData("deploy/helm/f5tts/templates/service.yaml", "targetPort: http", "targetPort: web",
        "Service port http does not reach the container")]
    [InlineData("deploy/helm/f5tts/templates/deployment.yaml", "{{- if not .Values.gpu.enabled }}",
        "{{- if .Values.gpu.enabled }}", "CPU mode without the CPU provider chain")]
    [InlineData("deploy/helm/f5tts/templates/_helpers.tpl", "{{- if lt (int .Values.terminationGracePeriodSeconds) (int $drain) }}",
        "{{- if gt (int .Values.terminationGracePeriodSeconds) (int $drain) }}", "rendering refused the values: terminationGracePeriodSeconds (60)")]
    [InlineData("deploy/Dockerfile", "COPY src/Engines/F5Tts.Engines.csproj src/Engines/\n", "",
        "src/Engines/F5Tts.Engines.csproj (referenced by the API host) is not copied before restore")]
    [InlineData("deploy/Dockerfile", "COPY .editorconfig appsettings.json ./", "COPY .editorconfig appsettings.jsn ./",
        "COPY source 'appsettings.jsn' does not exist")]
    [InlineData("deploy/Dockerfile", "FROM app AS app-cpu", "FROM ap AS app-cpu",
        "FROM 'ap' is neither an earlier stage nor a tagged image")]
    [InlineData("deploy/Dockerfile", "USER 10001:10001\nEXPOSE 8080\n# Long start period: the first start on",
        "USER 0\nEXPOSE 8080\n# Long start period: the first start on", "runtime-gpu: last USER must be")]
    [InlineData(".dockerignore", "artifacts\n", "artifacts\nsrc\n", "is excluded by .dockerignore")]
    public async Task A_planted_defect_fails_the_checks(string file, string find, string replace, string expected)
    {
        var copy = CopyDeployInputs();
        try
        {
            var path = Path.Combine(copy, file);
            var text = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);
            Assert.True(text.Contains(find, StringComparison.Ordinal), $"{file} no longer contains the text to mutate: {find}");
            await File.WriteAllTextAsync(path, text.Replace(find, replace, StringComparison.Ordinal), TestContext.Current.CancellationToken);

            var (exitCode, output) = await RunCheckAsync(copy);

            Assert.True(exitCode == 1, $"expected exit 1 for the planted defect, got {exitCode}:\n{output}");
            Assert.True(output.Contains(expected, StringComparison.Ordinal), $"expected '{expected}' in:\n{output}");
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunCheckAsync(string root)
    {
        // Debian's python3 first: apt's yamllint brings PyYAML (python3-yaml) for it, which the renderer needs.
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.ArgumentList.Add(Path.Combine(RepoRoot, "tests", "deploy", "check_deploy.py"));
        start.ArgumentList.Add(root);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Copies what the script reads (deploy/, the build-context files, project files) to a temp dir.</summary>
    private static string CopyDeployInputs()
    {
        var dest = Path.Combine(Path.GetTempPath(), "f5tts-deploy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dest);
        CopyTree(Path.Combine(RepoRoot, "deploy"), Path.Combine(dest, "deploy"), _ => true);
        CopyTree(Path.Combine(RepoRoot, "src"), Path.Combine(dest, "src"), f => f.EndsWith(".csproj", StringComparison.Ordinal));
        foreach (var file in new[] { ".dockerignore", ".editorconfig", "appsettings.json", "global.json", "Directory.Build.props", "Directory.Packages.props" })
        {
            var source = Path.Combine(RepoRoot, file);
            if (File.Exists(source))
            {
                File.Copy(source, Path.Combine(dest, file));
            }
        }

        return dest;
    }

    private static void CopyTree(string source, string dest, Func<string, bool> include)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(source, file);
            if (rel.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj") || !include(file))
            {
                continue;
            }

            var target = Path.Combine(dest, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "F5Tts.Server.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("F5Tts.Server.sln not found above " + AppContext.BaseDirectory);
    }
}
