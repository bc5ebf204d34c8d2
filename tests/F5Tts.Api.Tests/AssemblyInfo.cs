// Hosts in one process share meter names: the OpenTelemetry exporter of one host would also see another host's
// instruments. Running test classes one after another keeps each /metrics scrape about its own host, and keeps the
// 2-core CI machine from running several Kestrel hosts and Chromium at once.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]
