/**
 * The history events the host writes on the extension's behalf after an episode: one per scheduling
 * decision, the completion of an execution, and the message a finished child sends to its parent.
 */
import { serializedResult, serializedTaskInput } from "./activityInvoker";
import type { ExecutionOutcome } from "./extensionShim";
import {
  continuedAsNew,
  executionCompleted,
  OrchestrationStatusCode,
  subOrchestrationCompleted,
  subOrchestrationCreated,
  subOrchestrationFailed,
  taskScheduled,
  timerCreated,
  type HistoryEvent,
  type OrchestrationInstanceRef,
} from "./historyEvents";
import type { Execution, InstanceRecord } from "./instanceRecord";
import type { Decision } from "./shimTasks";

export function instanceRef(instanceId: string, execution: Execution): OrchestrationInstanceRef {
  return { InstanceId: instanceId, ExecutionId: execution.executionId };
}

/** TaskScheduled / TimerCreated / SubOrchestrationInstanceCreated, numbered by the decision's sequence number. */
export function decisionEvent(decision: Decision, at: number): HistoryEvent {
  switch (decision.kind) {
    case "scheduleActivity":
      return taskScheduled(at, decision.eventId, decision.name, serializedTaskInput(decision.input));
    case "createTimer":
      return timerCreated(at, decision.eventId, decision.fireAt);
    case "createSubOrchestration":
      return subOrchestrationCreated(at, decision.eventId, {
        name: decision.name,
        instanceId: decision.instanceId,
        input: serializedSubOrchestrationInput(decision.input),
      });
  }
}

/** CallSubOrchestrator inputs are not pre-encoded by the library; the extension serializes them as they are. */
export function serializedSubOrchestrationInput(actionInput: unknown): string {
  return JSON.stringify(actionInput ?? null);
}

/** The ContinueAsNew action carries its input like CallActivity (strings JSON-encoded once more); decode that once. */
export function continueAsNewInput(actionInput: unknown): string {
  return typeof actionInput === "string" ? actionInput : JSON.stringify(actionInput ?? null);
}

/** ExecutionCompleted (or ContinueAsNew), taking the execution's next sequence number. */
export function completionEvent(execution: Execution, outcome: ExecutionOutcome, at: number): HistoryEvent {
  const eventId = execution.shim.allocateCompletionEventId();
  switch (outcome.kind) {
    case "completed":
      return executionCompleted(at, eventId, OrchestrationStatusCode.Completed, serializedResult(outcome.output));
    case "failed":
      return executionCompleted(at, eventId, OrchestrationStatusCode.Failed, outcome.reason);
    case "continuedAsNew":
      return continuedAsNew(at, eventId, continueAsNewInput(outcome.input));
  }
}

export function subOrchestrationCompletedFor(child: InstanceRecord, at: number, result: string | null): HistoryEvent | undefined {
  return child.parent === null ? undefined : subOrchestrationCompleted(at, child.parent.TaskScheduleId, result);
}

/** Failed and terminated children both report SubOrchestrationInstanceFailed (`ProcessWorkflowCompletedTaskDecision`). */
export function subOrchestrationFailedFor(child: InstanceRecord, at: number, reason: string, details: string | null): HistoryEvent | undefined {
  return child.parent === null ? undefined : subOrchestrationFailed(at, child.parent.TaskScheduleId, reason, details);
}
