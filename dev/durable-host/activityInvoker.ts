/**
 * Runs an activity the way the worker and the extension do, and turns its outcome into the completion
 * event the activity dispatcher writes.
 */
import type { InvocationContext } from "@azure/functions";
import { taskCompleted, taskFailed, type FailureDetailsPayload, type HistoryEvent } from "./historyEvents";
import type { ActivityHandler } from "./types";

/**
 * The activity's input as the worker delivers it. The library JSON-encodes string inputs once more
 * (`Utils.processInput`) precisely because the worker decodes them once; other values arrive as they are.
 */
export function activityInputFromAction(actionInput: unknown): unknown {
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

/** `TaskActivityShim.RunAsync`: the failure reason names the activity; details carry the stack. */
export function activityFailure(at: number, taskScheduledId: number, activityName: string, thrown: unknown): HistoryEvent {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const failureDetails = failureDetailsFrom(error.message, error.stack);
  const message = failureDetails?.ErrorMessage ?? error.message;
  return taskFailed(at, taskScheduledId, `Activity function '${activityName}' failed: ${message}`, error.stack ?? null, failureDetails);
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
