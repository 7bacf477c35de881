/**
 * Calls a registered orchestration handler the way the Functions worker does, with the payload the
 * extension sends, and reads its answer the way the extension does.
 */
import type { InvocationContext } from "@azure/functions";
import type { OrchestratorAnswer } from "./extensionShim";
import { EventType, type HistoryEvent } from "./historyEvents";
import { HOST_REPLAY_SCHEMA, LEGACY_UPPER_SCHEMA, parseOrchestratorState } from "./orchestratorState";
import type { OrchestrationBindingInfo, OrchestrationHandler } from "./types";

/** The label durable-functions puts before the state JSON in `OrchestrationFailureError` messages. */
const OUT_OF_PROC_DATA_LABEL = "$OutOfProcData$:";

export interface BindingFields {
  instanceId: string;
  parentInstanceId: string | null;
  history: readonly HistoryEvent[];
  /** The ExecutionStarted input (a JSON string) or null. */
  serializedInput: string | null;
  isReplaying: boolean;
}

/**
 * The payload of `OrchestrationContextToString`: a fresh JSON copy each time (the library rewrites
 * Timestamps into Dates in place), timer limits as .NET TimeSpan strings, and both schema fields.
 */
export function orchestrationBinding(fields: BindingFields): OrchestrationBindingInfo {
  const history = JSON.parse(JSON.stringify(fields.history)) as HistoryEvent[];
  // The extension sends these two without their inputs (measured, durable-functions.md §21 and test/conformance).
  for (const event of history) {
    if (event.EventType === EventType.TaskScheduled || event.EventType === EventType.SubOrchestrationInstanceCreated) {
      (event as HistoryEvent & { Input: string | null }).Input = null;
    }
  }
  return {
    history,
    input: fields.serializedInput === null ? null : (JSON.parse(fields.serializedInput) as unknown),
    instanceId: fields.instanceId,
    isReplaying: fields.isReplaying,
    parentInstanceId: fields.parentInstanceId,
    upperSchemaVersion: LEGACY_UPPER_SCHEMA,
    upperSchemaVersionNew: HOST_REPLAY_SCHEMA,
    longRunningTimerIntervalDuration: "3.00:00:00",
    maximumShortTimerDuration: "6.00:00:00",
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

export async function invokeOrchestrator(
  handler: OrchestrationHandler,
  binding: OrchestrationBindingInfo,
  context: InvocationContext,
): Promise<OrchestratorAnswer> {
  let returned: unknown;
  try {
    returned = await handler(binding, context);
  } catch (thrown) {
    const error = asError(thrown);
    const labelAt = error.message.indexOf(OUT_OF_PROC_DATA_LABEL);
    if (labelAt < 0) return { kind: "error", state: undefined, message: error.message, stack: error.stack ?? "" };
    try {
      const state = parseOrchestratorState(JSON.parse(error.message.slice(labelAt + OUT_OF_PROC_DATA_LABEL.length)));
      return { kind: "error", state, message: state.error ?? error.message.slice(0, labelAt).trim(), stack: error.stack ?? "" };
    } catch (unreadable) {
      return { kind: "error", state: undefined, message: asError(unreadable).message, stack: error.stack ?? "" };
    }
  }
  try {
    return { kind: "state", state: parseOrchestratorState(returned) };
  } catch (invalid) {
    const error = asError(invalid);
    return { kind: "error", state: undefined, message: error.message, stack: error.stack ?? "" };
  }
}
