using System.Reflection;

namespace Microsoft.Azure.WebJobs.Script.Workers.Rpc;

/// <summary>
/// The script host's exception for a failed worker invocation (azure-functions-host
/// src/WebJobs.Script/Workers/Rpc/RpcException.cs), same name, properties and message format
/// ("Result: …\nException: …\nStack: …"), with the message passed through the WebJobs sanitizer as there.
/// The Durable extension parses that message (OutOfProcExceptionHelpers) and serializes the exception,
/// with these properties, into TaskFailed.Details.
/// </summary>
public class RpcException : Exception
{
    public RpcException(string result, string message, string stack)
        : base($"Result: {result}\nException: {Sanitize(message)}\nStack: {stack}")
    {
        RemoteStackTrace = stack;
        RemoteMessage = Sanitize(message);
    }

    public bool IsUserException { get; set; }

    public string RemoteStackTrace { get; set; }

    public string RemoteMessage { get; set; }

    public string? RemoteTypeName { get; set; }

    // Microsoft.Azure.WebJobs.Logging.Sanitizer is internal to the WebJobs SDK; the script host uses the same code.
    private static readonly MethodInfo? Sanitizer = typeof(Microsoft.Azure.WebJobs.JobHost).Assembly
        .GetType("Microsoft.Azure.WebJobs.Logging.Sanitizer")?
        .GetMethod("Sanitize", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(string)]);

    private static string Sanitize(string message) => Sanitizer?.Invoke(null, [message]) as string ?? message;
}
