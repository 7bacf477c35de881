using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace AciJobs.LocalFunctionsHost;

/// <summary>
/// The host's side of the conversation with the Node worker. The real Functions host speaks gRPC
/// (FunctionRpc.proto); this speaks the same messages as JSON lines over a loopback socket the host
/// listens on and the worker connects to, as the real worker connects to the host's gRPC port.
/// </summary>
public sealed class WorkerChannel : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JObject>> pending = new();
    private readonly TaskCompletionSource<JObject> indexed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly Action<JObject> onLog;
    private Process? process;
    private StreamWriter? writer;

    public WorkerChannel(Action<JObject> onLog) => this.onLog = onLog;

    /// <summary>Starts the worker process and waits for its function metadata (worker indexing).</summary>
    public async Task<JArray> StartAsync(string[] command, string workingDirectory, IDictionary<string, string> environment, TimeSpan timeout)
    {
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var start = new ProcessStartInfo(command[0]) { WorkingDirectory = workingDirectory, UseShellExecute = false };
        foreach (var argument in command.Skip(1)) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.Environment["ACI_JOBS_WORKER_CHANNEL"] = $"127.0.0.1:{port}";
        process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the worker: {string.Join(' ', command)}");
        var accept = listener.AcceptTcpClientAsync();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(accept, exited, Task.Delay(timeout));
        if (first != accept)
        {
            throw new InvalidOperationException(first == exited
                ? $"The Node worker exited with code {process.ExitCode} before it connected."
                : $"The Node worker did not connect within {timeout.TotalSeconds:0} s.");
        }
        var client = await accept;
        var stream = client.GetStream();
        writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        _ = Task.Run(() => ReadLoopAsync(new StreamReader(stream, Encoding.UTF8)));
        var init = await indexed.Task.WaitAsync(timeout);
        if (init["error"] is JToken error && error.Type != JTokenType.Null)
        {
            throw new WorkerLoadException(error.Value<string>() ?? "The app failed to load.");
        }
        return (JArray)init["functions"]!;
    }

    public async Task<JObject> InvokeAsync(JObject request, CancellationToken cancellation)
    {
        var id = Guid.NewGuid().ToString("N");
        var completion = new TaskCompletionSource<JObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = completion;
        request["type"] = "invocationRequest";
        request["requestId"] = id;
        await SendAsync(request).ConfigureAwait(false);
        using (cancellation.Register(() => completion.TrySetCanceled()))
        {
            return await completion.Task.ConfigureAwait(false);
        }
    }

    private async Task SendAsync(JObject message)
    {
        var line = message.ToString(Formatting.None);
        await writeLock.WaitAsync().ConfigureAwait(false);
        try { await writer!.WriteLineAsync(line).ConfigureAwait(false); }
        finally { writeLock.Release(); }
    }

    private async Task ReadLoopAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is string line)
            {
                var message = JObject.Parse(line);
                switch (message.Value<string>("type"))
                {
                    case "functionMetadataResponse":
                        indexed.TrySetResult(message);
                        break;
                    case "invocationResponse":
                        if (pending.TryRemove(message.Value<string>("requestId")!, out var completion)) completion.TrySetResult(message);
                        break;
                    case "log":
                        onLog(message);
                        break;
                }
            }
        }
        catch (IOException) { }
        var gone = new WorkerExitedException("The Node worker closed its channel (it exited or crashed).");
        indexed.TrySetException(gone);
        foreach (var completion in pending.Values) completion.TrySetException(gone);
    }

    public Task WorkerExited => process?.WaitForExitAsync() ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            try
            {
                if (writer is not null) await SendAsync(new JObject { ["type"] = "workerTerminate" });
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception) { }
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        listener.Stop();
    }
}

public sealed class WorkerLoadException(string message) : Exception(message);

public sealed class WorkerExitedException(string message) : Exception(message);
