using System.Diagnostics;
using k8s;
using k8s.Models;

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

    /// <summary>
    /// The manifests rendered for every value set must load into the Kubernetes API models of the official C#
    /// client with its strict deserializer (an unknown or misspelt field, or a wrong type, throws). The
    /// ServiceMonitor (Prometheus Operator) and the ScaledObject (KEDA) are CRDs the client has no model for; the script
    /// checks them.
    /// </summary>
    [Fact]
    public async Task Rendered_manifests_load_strictly_into_the_Kubernetes_models()
    {
        var (loaded, errors) = await RenderAndLoadAsync(RepoRoot);

        Assert.True(errors.Count == 0, string.Join("\n\n", errors));
        Assert.Equal(8, loaded.Count);
        var hpa = Assert.Single(loaded["hpa-on-the-predicted-wait"].OfType<V2HorizontalPodAutoscaler>());
        Assert.Equal("f5tts_predicted_wait_seconds", Assert.Single(hpa.Spec.Metrics).Pods.Metric.Name);
        Assert.Null(Assert.Single(loaded["hpa-on-the-predicted-wait"].OfType<V1Deployment>()).Spec.Replicas);
        var onePod = Assert.Single(Assert.Single(loaded["example-node-8gpu-1pod"].OfType<V1Deployment>()).Spec.Template.Spec.Containers);
        Assert.Equal("8", onePod.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal(8, onePod.Env.Count(e => e.Name.StartsWith("F5Tts__Engine__DeviceIds__", StringComparison.Ordinal)));
        var defaults = loaded["defaults"];
        var deployment = Assert.Single(defaults.OfType<V1Deployment>());
        var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
        Assert.Equal("1", container.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("/health/live", container.LivenessProbe.HttpGet.Path);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Equal(3, defaults.OfType<V1PersistentVolumeClaim>().Count());
        Assert.Single(defaults.OfType<V1Service>());

        var cpu = loaded["cpu-auth-keys-appsettings-metrics-pdb"];
        var cpuContainer = Assert.Single(Assert.Single(cpu.OfType<V1Deployment>()).Spec.Template.Spec.Containers);
        Assert.False(cpuContainer.Resources.Limits.ContainsKey("nvidia.com/gpu"));
        Assert.Single(cpu.OfType<V1Secret>());
        Assert.Single(cpu.OfType<V1ConfigMap>());
        Assert.Single(cpu.OfType<V1PodDisruptionBudget>());
    }

    [Fact]
    public async Task A_misspelt_field_fails_the_strict_model_load()
    {
        var copy = CopyDeployInputs();
        try
        {
            var path = Path.Combine(copy, "deploy/helm/f5tts/templates/deployment.yaml");
            var text = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);
            Assert.Contains("imagePullPolicy:", text, StringComparison.Ordinal);
            await File.WriteAllTextAsync(path, text.Replace("imagePullPolicy:", "imagePulPolicy:", StringComparison.Ordinal), TestContext.Current.CancellationToken);

            var (_, errors) = await RenderAndLoadAsync(copy);

            Assert.Equal(8, errors.Count(e => e.Contains("deployment.yaml", StringComparison.Ordinal) && e.Contains("imagePulPolicy", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>Renders the chart of <paramref name="root"/> and loads each manifest strictly; returns objects per value set and load errors.</summary>
    private static async Task<(Dictionary<string, List<object>> Loaded, List<string> Errors)> RenderAndLoadAsync(string root)
    {
        var outDir = Path.Combine(Path.GetTempPath(), "f5tts-rendered-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exitCode, output) = await RunCheckAsync(root, "--out", outDir);
            Assert.True(Directory.Exists(outDir), $"check_deploy.py rendered nothing (exit {exitCode}):\n{output}");

            var loaded = new Dictionary<string, List<object>>();
            var errors = new List<string>();
            foreach (var file in Directory.EnumerateFiles(outDir, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var text = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
                if (string.IsNullOrWhiteSpace(text) || Path.GetFileName(file) is "servicemonitor.yaml" or "keda-scaledobject.yaml")
                {
                    continue;
                }

                var scenario = Path.GetFileName(Path.GetDirectoryName(file)!);
                try
                {
                    var objects = KubernetesYaml.LoadAllFromString(text, typeMap: null, strict: true);
                    if (!loaded.TryGetValue(scenario, out var list))
                    {
                        loaded[scenario] = list = [];
                    }

                    list.AddRange(objects);
                }
#pragma warning disable CA1031 // any load failure is a finding to report, whatever its type
                catch (Exception e)
#pragma warning restore CA1031
                {
                    errors.Add($"{scenario}/{Path.GetFileName(file)} does not load strictly: {e.Message}\n{text}");
                }
            }

            return (loaded, errors);
        }
        finally
        {
            if (Directory.Exists(outDir))
            {
                Directory.Delete(outDir, recursive: true);
            }
        }
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
    [InlineData("deploy/Dockerfile", "FROM build AS app-cpu", "FROM buld AS app-cpu",
        "FROM 'buld' is neither an earlier stage nor a tagged image")]
    [InlineData("deploy/Dockerfile", "FROM build AS app-cpu", "FROM app-${RUN_TESTS} AS app-cpu",
        "FROM app-${RUN_TESTS} picks a stage through a build argument")]
    [InlineData("deploy/Dockerfile", "COPY voices/ voices/\n", "",
        "voices/default/transcript.txt (an item of the projects) is not copied into the build stage")]
    [InlineData("deploy/Dockerfile", "--no-install-recommends curl libmp3lame0 ", "--no-install-recommends curl ",
        "runtime-cpu: apt-get install does not install libmp3lame0")]
    [InlineData("deploy/test-image.sh", "IMAGE=\"$repository:$app_version-cpu\"", "IMAGE=\"$repository:cpu\"",
        "chart (gpu.enabled=false) runs f5tts-server:0.1.0-cpu, deploy/test-image.sh builds f5tts-server:cpu")]
    [InlineData("deploy/helm/f5tts/values.yaml", "containerPort: 8080", "containerPort: 8081",
        "runtime-gpu vs chart: container port 8081, image EXPOSE [8080]")]
    [InlineData("deploy/helm/f5tts/values.yaml", "  voices: /data/voices", "  voices: /voices",
        "F5Tts__Voices__Directory: image /data/voices, chart /voices")]
    [InlineData("deploy/helm/f5tts/values.yaml", "  runAsUser: 10001", "  runAsUser: 1000",
        "image USER 10001:10001, pod runs as 1000:10001")]
    [InlineData("deploy/helm/f5tts/values.yaml", "  timeoutSeconds: 45", "  timeoutSeconds: 50",
        "F5Tts__Server__ShutdownTimeoutSeconds: image 45, chart 50")]
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

    private static async Task<(int ExitCode, string Output)> RunCheckAsync(string root, params string[] options)
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
        foreach (var option in options)
        {
            start.ArgumentList.Add(option);
        }

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

    /// <summary>Copies what the script reads (deploy/, the build-context files, project files, voices/) to a temp dir.</summary>
    private static string CopyDeployInputs()
    {
        var dest = Path.Combine(Path.GetTempPath(), "f5tts-deploy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dest);
        CopyTree(Path.Combine(RepoRoot, "deploy"), Path.Combine(dest, "deploy"), _ => true);
        CopyTree(Path.Combine(RepoRoot, "src"), Path.Combine(dest, "src"), f => f.EndsWith(".csproj", StringComparison.Ordinal));
        CopyTree(Path.Combine(RepoRoot, "voices"), Path.Combine(dest, "voices"), _ => true);
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
