using Microsoft.Azure.WebJobs;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace AciJobs.LocalFunctionsHost;

/// <summary>An HTTP request on its way to a function, and the response the function gives.</summary>
public sealed class HttpInvocation(JObject rpcHttp)
{
    public JObject Request { get; } = rpcHttp;
    public JObject? Response { get; set; }
}

/// <summary>
/// Turns a WebJobs invocation of an emitted function into an InvocationRequest for the worker and its
/// InvocationResponse back into what the WebJobs SDK and the extensions expect, following the script
/// host (RpcMessageConversionExtensions, RpcException).
/// </summary>
public static class FunctionDispatcher
{
    private static WorkerChannel? channel;
    private static IReadOnlyList<WorkerFunction> functions = [];

    public static void Initialize(WorkerChannel workerChannel, IReadOnlyList<WorkerFunction> workerFunctions)
    {
        channel = workerChannel;
        functions = workerFunctions;
    }

    /// <summary>Called by every emitted function method with its bound parameter values, trigger first.</summary>
    /// <remarks>
    /// Runs on the default scheduler: orchestrator functions are called from inside the Durable Task
    /// Framework's own task scheduler, and the worker's answer must not have to wait for it.
    /// </remarks>
    public static Task<object?> InvokeAsync(int index, object?[] arguments) => Task.Run(() => InvokeOnWorkerAsync(index, arguments));

    private static async Task<object?> InvokeOnWorkerAsync(int index, object?[] arguments)
    {
        var function = functions[index];
        var names = new[] { function.TriggerName }.Concat(function.Inputs.Select(i => i.Key)).ToArray();
        var inputData = new JArray();
        for (var i = 0; i < names.Length; i++)
        {
            inputData.Add(new JObject { ["name"] = names[i], ["data"] = ToTypedData(arguments[i]) });
        }
        var invocationId = Guid.NewGuid().ToString();
        var response = await channel!.InvokeAsync(new JObject
        {
            ["functionId"] = function.Name,
            ["invocationId"] = invocationId,
            ["inputData"] = inputData,
            ["triggerMetadata"] = new JObject(),
        }, CancellationToken.None).ConfigureAwait(false);

        var result = (JObject?)response["result"];
        if (result?.Value<string>("status") != "success")
        {
            var exception = result?["exception"] as JObject;
            // The script host's RpcException message; the Durable extension parses exactly this shape
            // (OutOfProcExceptionHelpers) to find an orchestrator's state after a failure.
            throw new Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException("Failure", exception?.Value<string>("message") ?? "", exception?.Value<string>("stackTrace") ?? "");
        }
        if (function.IsHttp)
        {
            var http = HttpOutput(response);
            ((HttpInvocation)arguments[0]!).Response = http;
            return null;
        }
        return FromTypedData(response["returnValue"] as JObject);
    }

    private static JObject? HttpOutput(JObject response)
    {
        if (response["returnValue"] is JObject ret && ret["http"] is JObject http) return http;
        foreach (var output in response["outputData"] as JArray ?? [])
        {
            if (output["data"] is JObject data && data["http"] is JObject outputHttp) return outputHttp;
        }
        return null;
    }

    /// <summary>A bound value as RpcTypedData: strings as strings (the worker tries JSON.parse on them).</summary>
    private static JToken ToTypedData(object? value) => value switch
    {
        null => new JObject(),
        string text => new JObject { ["string"] = text },
        HttpInvocation http => new JObject { ["http"] = http.Request },
        TimerInfo timer => new JObject { ["json"] = JsonConvert.SerializeObject(timer) },
        _ => new JObject { ["json"] = JsonConvert.SerializeObject(value) },
    };

    /// <summary>The worker's return value as the script host hands it to a binding: JSON becomes a JToken.</summary>
    private static object? FromTypedData(JObject? data)
    {
        if (data is null || !data.HasValues) return null;
        if (data["json"] is JToken json) return JToken.Parse(json.Value<string>()!);
        if (data["string"] is JToken text) return text.Value<string>();
        if (data["int"] is JToken integer) return integer.Value<long>();
        if (data["double"] is JToken number) return number.Value<double>();
        if (data["bytes"] is JToken bytes) return Convert.FromBase64String(bytes.Value<string>()!);
        return null;
    }
}
