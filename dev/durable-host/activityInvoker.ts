/**
 * Runs an activity the way the worker and the extension do, and turns its outcome into the completion
 * event the activity dispatcher writes.
 */
import type { InvocationContext } from "@azure/functions";
import { taskCompleted, taskFailed, type FailureDetailsPayload, type HistoryEvent } from "./historyEvents";
import type { ActivityHandler } from "./types";

/**
 * The activity's input as the worker receives it. The extension binds an out-of-process activity's input
 * as a string (`DurableActivityContext.GetInput(typeof(string))`: a JSON scalar through `JValue.ToObject`,
 * objects and arrays as JSON text), the host sends that string, and `@azure/functions` tries `JSON.parse`
 * on it. So `true` and `false` arrive as "True" and "False", and null as undefined (measured on the real
 * extension, test/conformance). The library JSON-encodes string inputs once more (`Utils.processInput`),
 * so strings arrive as sent.
 */
export function activityInputFromAction(actionInput: unknown): unknown {
  if (actionInput === null || actionInput === undefined) return undefined;
  if (typeof actionInput === "boolean") return actionInput ? "True" : "False";
  if (typeof actionInput !== "string") return actionInput;
  try {
    return JSON.parse(actionInput) as unknown;
  } catch {
    return actionInput;
  }
}

/** `TaskScheduledEvent.Input`: DurableTask.Core serializes the `params object[]` of `ScheduleTask`. */
export function serializedTaskInput(actionInput: unknown): string {
  return JSON.stringify([actionInput ?? null]);
}

/** The activity's return value as the extension stores it (null when the function returned nothing). */
export function serializedResult(value: unknown): string | null {
  if (value === undefined) return null;
  return JSON.stringify(value) ?? null;
}

/**
 * With `app.setExceptionPropertiesProvider`, `wrapActivityHandler` replaces the error message by a JSON
 * failure-details payload; extension >= 3.14 turns that into `FailureDetails`.
 */
function failureDetailsFrom(message: string, stack: string | undefined): FailureDetailsPayload | null {
  if (!message.startsWith("{")) return null;
  try {
    const parsed = JSON.parse(message) as Record<string, unknown>;
    if (typeof parsed.errorType !== "string" || typeof parsed.errorMessage !== "string") return null;
    return {
      ErrorType: parsed.errorType,
      ErrorMessage: parsed.errorMessage,
      StackTrace: typeof parsed.stackTrace === "string" ? parsed.stackTrace : (stack ?? null),
      IsNonRetriable: parsed.isNonRetriable === true,
      Properties: typeof parsed.properties === "object" && parsed.properties !== null ? (parsed.properties as Record<string, unknown>) : null,
      InnerFailure: null,
    };
  } catch {
    return null;
  }
}

/**
 * `TaskFailed.Details` as the extension writes it for an out-of-process activity (Newtonsoft with type
 * names; measured by test/conformance): a System.Exception (serialized as ISerializable) with the
 * activity's message, wrapping the host's RpcException (serialized by its public properties).
 */
function failureDetailsJson(message: string, stack: string): string {
  const rpcException = {
    $type: "Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException, Microsoft.Azure.WebJobs.Script",
    IsUserException: false,
    RemoteStackTrace: stack,
    RemoteMessage: message,
    RemoteTypeName: null,
    Message: `Result: Failure\nException: ${message}\nStack: ${stack}`,
    Data: { $type: "System.Collections.ListDictionaryInternal, System.Private.CoreLib" },
    InnerException: null,
    HelpLink: null,
    Source: "Microsoft.Azure.WebJobs.Script",
    HResult: -2146233088,
    StackTrace: null,
  };
  return JSON.stringify({
    $type: "System.Exception, System.Private.CoreLib",
    ClassName: "System.Exception",
    Message: message,
    Data: null,
    InnerException: rpcException,
    HelpURL: null,
    StackTraceString: null,
    RemoteStackTraceString: null,
    RemoteStackIndex: 0,
    ExceptionMethod: null,
    HResult: -2146233088,
    Source: null,
    WatsonBuckets: null,
  });
}

/**
 * What the extension records when an out-of-process activity throws (measured, test/conformance): the
 * host wraps the worker's error in its RpcException ("Result: Failure\nException: <message>\nStack:
 * <stack>", with RemoteMessage = the message); extension 3.19 recognises that type and takes RemoteMessage
 * as the friendly message, so the reason reads "Activity function 'X' failed: <message>", and the details
 * are .NET's serialization of an exception with that message wrapping the RpcException, not the
 * JavaScript stack. (Cut from the RpcException's text instead, as for other exception types, the message
 * would keep a leading space: that is what durable-functions.md §21 measured with a plain Exception.)
 */
export function activityFailure(at: number, taskScheduledId: number, activityName: string, thrown: unknown): HistoryEvent {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const failureDetails = failureDetailsFrom(error.message, error.stack);
  if (failureDetails) return taskFailed(at, taskScheduledId, `Activity function '${activityName}' failed: ${failureDetails.ErrorMessage}`, error.stack ?? null, failureDetails);
  const details = failureDetailsJson(error.message, error.stack ?? "");
  return taskFailed(at, taskScheduledId, `Activity function '${activityName}' failed: ${error.message}`, details, null);
}

export async function runActivity(
  handler: ActivityHandler,
  input: unknown,
  context: InvocationContext,
  completion: { taskScheduledId: number; activityName: string; now: () => number },
): Promise<HistoryEvent> {
  try {
    const result = await handler(input, context);
    return taskCompleted(completion.now(), completion.taskScheduledId, serializedResult(result));
  } catch (thrown) {
    return activityFailure(completion.now(), completion.taskScheduledId, completion.activityName, thrown);
  }
}
