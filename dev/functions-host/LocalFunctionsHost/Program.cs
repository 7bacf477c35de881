// The local Functions host: what `func start` does for this app, without Core Tools. The real Durable
// Task extension (Azure Storage provider) and the real WebJobs timer extension run inside the WebJobs SDK;
// the app runs in a Node worker that loads it as the Functions Node worker does. See docs/architecture.md.
using System.Diagnostics;
using AciJobs.LocalFunctionsHost;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Azure.WebJobs.Extensions.DurableTask;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;

var options = HostOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: LocalFunctionsHost --app <dir> [--port 7071] [--settings <local.settings.json>] [--parent-pid <pid>] [--verbose] -- <worker command...>");
    return 2;
}

var appRoot = Path.GetFullPath(options.AppRoot);
// Variables that make the Durable extension believe it runs on an App Service plan (and, for one, write its
// telemetry to the console as on Linux Consumption); the local host is neither.
foreach (var name in new[] { "CONTAINER_NAME", "WEBSITE_INSTANCE_ID", "WEBSITE_SKU", "FUNCTIONS_LOGS_MOUNT_PATH" })
{
    Environment.SetEnvironmentVariable(name, null);
}
// The extension's local RPC endpoint runs a web host of its own that logs its lifetime at Information.
Environment.SetEnvironmentVariable("Logging__LogLevel__Microsoft.Hosting.Lifetime", options.Verbose ? "Information" : "Warning");
Environment.SetEnvironmentVariable("Logging__LogLevel__Microsoft.AspNetCore", options.Verbose ? "Information" : "Warning");
var hostJson = JObject.Parse(File.ReadAllText(Path.Combine(appRoot, "host.json")));
LocalSettings.Apply(options.SettingsFile);
var stopwatch = Stopwatch.StartNew();

await using var worker = new WorkerChannel(WorkerLog.Write);
IReadOnlyList<WorkerFunction> functions;
try
{
    var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
        .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
    var metadata = await worker.StartAsync(options.WorkerCommand, appRoot, environment, TimeSpan.FromSeconds(60));
    functions = metadata.Cast<JObject>().Select(WorkerFunction.From).ToList();
}
catch (Exception error) when (error is WorkerLoadException or WorkerExitedException or InvalidOperationException or TimeoutException)
{
    Console.Error.WriteLine($"The app could not be loaded: {error.Message}");
    return 1;
}
FunctionDispatcher.Initialize(worker, functions);
var functionsType = FunctionEmitter.Emit(functions);

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = appRoot, Args = [] });
builder.WebHost.UseUrls($"http://127.0.0.1:{options.Port}");
// host.json becomes the configuration section the extensions read (AzureFunctionsJobHost:extensions:...).
// The script host names that section as the WebJobs configuration root (AzureWebJobsConfigurationSection).
builder.Configuration.AddInMemoryCollection(
    HostJson.Flatten(hostJson, "AzureFunctionsJobHost").Append(KeyValuePair.Create("AzureWebJobsConfigurationSection", (string?)"AzureFunctionsJobHost")));
// App settings such as AzureFunctionsJobHost__extensions__durableTask__hubName override host.json, as in Azure.
builder.Configuration.AddEnvironmentVariables();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "[yyyy-MM-ddTHH:mm:ss.fffZ] "; o.UseUtcTimestamp = true; });
builder.Logging.SetMinimumLevel(options.Verbose ? LogLevel.Information : LogLevel.Warning);
if (!options.Verbose)
{
    builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
    builder.Logging.AddFilter("Host.Triggers.DurableTask", LogLevel.Warning);
    builder.Logging.AddFilter("DurableTask", LogLevel.Warning);
}
builder.Host.ConfigureWebJobs(webJobs =>
{
    webJobs.AddAzureStorageCoreServices();
    webJobs.AddDurableTask();
    webJobs.AddTimers();
});
builder.Services.AddSingleton<ITypeLocator>(new EmittedTypeLocator(functionsType));
builder.Services.AddSingleton<Microsoft.Azure.WebJobs.Host.Config.IWebHookProvider>(new LocalWebHookProvider(options.Port));
builder.Services.Configure<JobHostFunctionTimeoutOptions>(timeout =>
{
    // host.json functionTimeout, enforced the way the script host configures the WebJobs SDK.
    if (hostJson.Value<string>("functionTimeout") is string value && TimeSpan.TryParse(value, out var limit))
    {
        timeout.Timeout = limit;
        timeout.ThrowOnTimeout = true;
        timeout.TimeoutWhileDebugging = true;
    }
});

var app = builder.Build();
var routePrefix = hostJson.SelectToken("extensions.http.routePrefix")?.Value<string>() ?? "api";
var httpRoutes = HttpRoutes.Map(app, functions, routePrefix);
AdminApi.Map(app, functions);
DurableWebhooks.Map(app);

try
{
    await app.StartAsync();
}
catch (Exception error)
{
    Console.Error.WriteLine($"The host could not start: {error.GetBaseException().Message}");
    return 1;
}

Console.WriteLine();
Console.WriteLine("Functions:");
foreach (var function in functions)
{
    var route = httpRoutes.TryGetValue(function.Name, out var http) ? $"[{string.Join(",", http.Methods)}] http://127.0.0.1:{options.Port}/{http.Template}" : function.TriggerType;
    Console.WriteLine($"        {function.Name}: {route}");
}
Console.WriteLine();
Console.WriteLine($"Host started ({stopwatch.ElapsedMilliseconds} ms): http://127.0.0.1:{options.Port}");

var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
var workerGone = worker.WorkerExited.ContinueWith(_ =>
{
    if (lifetime.ApplicationStopping.IsCancellationRequested) return;
    Console.Error.WriteLine("The Node worker exited; stopping the host.");
    lifetime.StopApplication();
});
// Stopping waits for the extensions to let go of their storage leases; when storage is already gone
// (Azurite killed first) that can take minutes of retries. The local host gives it 15 s, then exits.
lifetime.ApplicationStopping.Register(() => _ = Task.Run(async () =>
{
    await Task.Delay(TimeSpan.FromSeconds(15));
    Console.Error.WriteLine("The host did not stop within 15 s; exiting.");
    await worker.DisposeAsync();
    Environment.Exit(1);
}));
if (options.ParentPid is int parentPid)
{
    // Whoever started the host (npm start, a test) may be killed outright; the host must not outlive it.
    _ = Task.Run(async () =>
    {
        while (!lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await Task.Delay(1000);
            if (!IsAlive(parentPid))
            {
                Console.Error.WriteLine($"The process that started the host ({parentPid}) is gone; stopping.");
                lifetime.StopApplication();
            }
        }
    });
}
await app.WaitForShutdownAsync();
return workerGone.IsCompleted && !lifetime.ApplicationStopping.IsCancellationRequested ? 1 : 0;

static bool IsAlive(int pid)
{
    // /proc/<pid>/stat: gone, or a zombie nobody reaped (state Z), means the parent has exited.
    var stat = $"/proc/{pid}/stat";
    if (File.Exists(stat))
    {
        var text = File.ReadAllText(stat);
        var state = text[(text.LastIndexOf(')') + 2)..].FirstOrDefault();
        return state != 'Z' && state != 'X';
    }
    try
    {
        using var process = System.Diagnostics.Process.GetProcessById(pid);
        return !process.HasExited;
    }
    catch (ArgumentException)
    {
        return false;
    }
}

internal sealed record HostOptions(string AppRoot, int Port, string? SettingsFile, bool Verbose, int? ParentPid, string[] WorkerCommand)
{
    public static HostOptions? Parse(string[] args)
    {
        string? app = null, settings = null;
        int? parentPid = null;
        var port = 7071;
        var verbose = false;
        var separator = Array.IndexOf(args, "--");
        if (separator < 0 || separator == args.Length - 1) return null;
        for (var i = 0; i < separator; i++)
        {
            switch (args[i])
            {
                case "--app": app = args[++i]; break;
                case "--port": port = int.Parse(args[++i]); break;
                case "--settings": settings = args[++i]; break;
                case "--verbose": verbose = true; break;
                case "--parent-pid": parentPid = int.Parse(args[++i]); break;
                default: return null;
            }
        }
        return app is null ? null : new HostOptions(app, port, settings, verbose, parentPid, args[(separator + 1)..]);
    }
}

/// <summary>local.settings.json's Values become environment variables, as Core Tools applies them.</summary>
internal static class LocalSettings
{
    public static void Apply(string? file)
    {
        if (file is null || !File.Exists(file)) return;
        var values = JObject.Parse(File.ReadAllText(file))["Values"] as JObject ?? new JObject();
        foreach (var property in values.Properties())
        {
            var value = property.Value.Type == JTokenType.Null ? "" : property.Value.ToString();
            // Core Tools: a variable already set in the environment wins over local.settings.json.
            if (Environment.GetEnvironmentVariable(property.Name) is not null) continue;
            Environment.SetEnvironmentVariable(property.Name, value);
        }
    }
}

internal static class HostJson
{
    public static IEnumerable<KeyValuePair<string, string?>> Flatten(JToken token, string prefix) => token switch
    {
        JObject obj => obj.Properties().SelectMany(p => Flatten(p.Value, $"{prefix}:{p.Name}")),
        JArray array => array.SelectMany((item, i) => Flatten(item, $"{prefix}:{i}")),
        _ => [KeyValuePair.Create(prefix, token.Type == JTokenType.Null ? null : token.ToString())],
    };
}

/// <summary>Worker log lines on the console, as `func start` prints them.</summary>
internal static class WorkerLog
{
    private static readonly object Gate = new();

    public static void Write(JObject message)
    {
        var level = message.Value<string>("level") ?? "information";
        var text = message.Value<string>("message") ?? "";
        var line = $"[{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}] {text}";
        lock (Gate)
        {
            if (level is "error" or "critical") Console.Error.WriteLine(line);
            else Console.WriteLine(line);
        }
    }
}
