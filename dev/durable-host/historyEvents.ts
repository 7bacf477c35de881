/**
 * History events as the Durable extension writes them and hands them to the JavaScript worker.
 *
 * Shapes follow DurableTask.Core's `History/*.cs` classes as serialized by the extension
 * (`OrchestrationTriggerAttributeBindingProvider.OrchestrationContextToString`: `JArray.FromObject(History)`,
 * Newtonsoft with `[DataMember]` names, so PascalCase fields, enums as numbers, nulls kept), cross-checked
 * against what durable-functions 3.5.0 reads (`lib/src/history/*.js`, `TaskOrchestrationExecutor.js`).
 * Timestamps are ISO strings; the library turns them into Dates itself (`Utils.parseTimestampsAsDates`).
 */

/** `DurableTask.Core.History.EventType` (same numbers as durable-functions' `HistoryEventType`). */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;
export type EventTypeNumber = (typeof EventType)[keyof typeof EventType];

export const EventTypeName: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(EventType).map(([name, value]) => [value, name]),
);

/** `DurableTask.Core.OrchestrationStatus`, serialized as a number inside history events. */
export const OrchestrationStatusCode = {
  Running: 0,
  Completed: 1,
  ContinuedAsNew: 2,
  Failed: 3,
  Canceled: 4,
  Terminated: 5,
  Pending: 6,
  Suspended: 7,
} as const;

/** Fields every event carries (`HistoryEvent.cs`: EventId, IsPlayed, Timestamp, EventType). */
export interface HistoryEventBase {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
}

export interface OrchestrationInstanceRef {
  InstanceId: string;
  ExecutionId: string;
}

/** `ParentInstance.cs`: written into a sub-orchestration's ExecutionStarted. */
export interface ParentInstanceInfo {
  Name: string;
  Version: string;
  TaskScheduleId: number;
  OrchestrationInstance: OrchestrationInstanceRef;
}

/** `FailureDetails.cs` (what extension >= 3.14 writes when the worker reports structured failures). */
export interface FailureDetailsPayload {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace: string | null;
  IsNonRetriable: boolean;
  Properties: Record<string, unknown> | null;
  InnerFailure: FailureDetailsPayload | null;
}

export interface ExecutionStartedEvent extends HistoryEventBase {
  OrchestrationInstance: OrchestrationInstanceRef;
  ParentInstance: ParentInstanceInfo | null;
  Name: string;
  Version: string;
  Input: string | null;
  Tags: Record<string, string> | null;
}
export interface ExecutionCompletedEvent extends HistoryEventBase {
  OrchestrationStatus: number;
  Result: string | null;
  FailureDetails: FailureDetailsPayload | null;
}
export interface ExecutionTerminatedEvent extends HistoryEventBase {
  Input: string | null;
}
export interface TaskScheduledEvent extends HistoryEventBase {
  Name: string;
  Version: string;
  Input: string | null;
}
export interface TaskCompletedEvent extends HistoryEventBase {
  TaskScheduledId: number;
  Result: string | null;
}
export interface TaskFailedEvent extends HistoryEventBase {
  TaskScheduledId: number;
  Reason: string;
  Details: string | null;
  FailureDetails: FailureDetailsPayload | null;
}
export interface SubOrchestrationInstanceCreatedEvent extends HistoryEventBase {
  Name: string;
  Version: string;
  InstanceId: string;
  Input: string | null;
}
export interface SubOrchestrationInstanceCompletedEvent extends HistoryEventBase {
  TaskScheduledId: number;
  Result: string | null;
}
export interface SubOrchestrationInstanceFailedEvent extends HistoryEventBase {
  TaskScheduledId: number;
  Reason: string;
  Details: string | null;
  FailureDetails: FailureDetailsPayload | null;
}
export interface TimerCreatedEvent extends HistoryEventBase {
  FireAt: string;
}
export interface TimerFiredEvent extends HistoryEventBase {
  TimerId: number;
  FireAt: string;
}
export interface EventRaisedEvent extends HistoryEventBase {
  Name: string;
  Input: string | null;
}

export type HistoryEvent =
  | HistoryEventBase
  | ExecutionStartedEvent
  | ExecutionCompletedEvent
  | ExecutionTerminatedEvent
  | TaskScheduledEvent
  | TaskCompletedEvent
  | TaskFailedEvent
  | SubOrchestrationInstanceCreatedEvent
  | SubOrchestrationInstanceCompletedEvent
  | SubOrchestrationInstanceFailedEvent
  | TimerCreatedEvent
  | TimerFiredEvent
  | EventRaisedEvent;

/** Events that are not scheduling decisions carry EventId -1 (DurableTask.Core constructors take -1). */
const NO_EVENT_ID = -1;

function base(type: EventTypeNumber, eventId: number, at: number): HistoryEventBase {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: new Date(at).toISOString() };
}

/** `OrchestratorStartedEvent(-1)`: opens every episode; its Timestamp is the orchestration's "now". */
export function orchestratorStarted(at: number): HistoryEventBase {
  return base(EventType.OrchestratorStarted, NO_EVENT_ID, at);
}

/** `OrchestratorCompletedEvent(-1)`: closes an episode (TaskOrchestrationDispatcher, "finish up"). */
export function orchestratorCompleted(at: number): HistoryEventBase {
  return base(EventType.OrchestratorCompleted, NO_EVENT_ID, at);
}

/** `ExecutionStartedEvent.cs` as built by the client (StartNew) or by `ProcessCreateSubOrchestrationInstanceDecision`. */
export function executionStarted(
  at: number,
  fields: { instance: OrchestrationInstanceRef; parent: ParentInstanceInfo | null; name: string; input: string | null },
): ExecutionStartedEvent {
  return {
    ...base(EventType.ExecutionStarted, NO_EVENT_ID, at),
    OrchestrationInstance: fields.instance,
    ParentInstance: fields.parent,
    Name: fields.name,
    Version: "",
    Input: fields.input,
    Tags: null,
  };
}

/**
 * `ExecutionCompletedEvent(id, result, status, failureDetails)`. Its EventId is the next sequence number:
 * `TaskOrchestrationContext.CompleteOrchestration` takes `idCounter++` for the completion action.
 */
export function executionCompleted(
  at: number,
  eventId: number,
  status: number,
  result: string | null,
): ExecutionCompletedEvent {
  return { ...base(EventType.ExecutionCompleted, eventId, at), OrchestrationStatus: status, Result: result, FailureDetails: null };
}

/**
 * `ContinueAsNewEvent` (a subclass of ExecutionCompletedEvent whose EventType is ContinueAsNew, status
 * ContinuedAsNew, Result = the new input); `ProcessWorkflowCompletedTaskDecision` writes it to end a generation.
 */
export function continuedAsNew(at: number, eventId: number, newInput: string | null): ExecutionCompletedEvent {
  return {
    ...base(EventType.ContinueAsNew, eventId, at),
    OrchestrationStatus: OrchestrationStatusCode.ContinuedAsNew,
    Result: newInput,
    FailureDetails: null,
  };
}

/** `ExecutionTerminatedEvent(-1, reason)`: the terminate reason travels in `Input`. */
export function executionTerminated(at: number, reason: string | null): ExecutionTerminatedEvent {
  return { ...base(EventType.ExecutionTerminated, NO_EVENT_ID, at), Input: reason };
}

/** `TaskScheduledEvent(id)` from `ProcessScheduleTaskDecision`; Input is the serialized parameter array. */
export function taskScheduled(at: number, eventId: number, name: string, input: string | null): TaskScheduledEvent {
  return { ...base(EventType.TaskScheduled, eventId, at), Name: name, Version: "", Input: input };
}

/** `TaskCompletedEvent(-1, taskScheduledId, result)` from the activity dispatcher. */
export function taskCompleted(at: number, taskScheduledId: number, result: string | null): TaskCompletedEvent {
  return { ...base(EventType.TaskCompleted, NO_EVENT_ID, at), TaskScheduledId: taskScheduledId, Result: result };
}

/** `TaskFailedEvent(-1, taskScheduledId, reason, details, failureDetails)` from the activity dispatcher. */
export function taskFailed(
  at: number,
  taskScheduledId: number,
  reason: string,
  details: string | null,
  failureDetails: FailureDetailsPayload | null,
): TaskFailedEvent {
  return {
    ...base(EventType.TaskFailed, NO_EVENT_ID, at),
    TaskScheduledId: taskScheduledId,
    Reason: reason,
    Details: details,
    FailureDetails: failureDetails,
  };
}

/** `SubOrchestrationInstanceCreatedEvent(id)` from `ProcessCreateSubOrchestrationInstanceDecision`. */
export function subOrchestrationCreated(
  at: number,
  eventId: number,
  fields: { name: string; instanceId: string; input: string | null },
): SubOrchestrationInstanceCreatedEvent {
  return {
    ...base(EventType.SubOrchestrationInstanceCreated, eventId, at),
    Name: fields.name,
    Version: "",
    InstanceId: fields.instanceId,
    Input: fields.input,
  };
}

/** `SubOrchestrationInstanceCompletedEvent(-1, taskScheduleId, result)` sent by the child's completion. */
export function subOrchestrationCompleted(
  at: number,
  taskScheduledId: number,
  result: string | null,
): SubOrchestrationInstanceCompletedEvent {
  return { ...base(EventType.SubOrchestrationInstanceCompleted, NO_EVENT_ID, at), TaskScheduledId: taskScheduledId, Result: result };
}

/** `SubOrchestrationInstanceFailedEvent(-1, taskScheduleId, reason, details)` sent by a failed or terminated child. */
export function subOrchestrationFailed(
  at: number,
  taskScheduledId: number,
  reason: string,
  details: string | null,
): SubOrchestrationInstanceFailedEvent {
  return {
    ...base(EventType.SubOrchestrationInstanceFailed, NO_EVENT_ID, at),
    TaskScheduledId: taskScheduledId,
    Reason: reason,
    Details: details,
    FailureDetails: null,
  };
}

/** `TimerCreatedEvent(id)` from `ProcessCreateTimerDecision`. */
export function timerCreated(at: number, eventId: number, fireAt: number): TimerCreatedEvent {
  return { ...base(EventType.TimerCreated, eventId, at), FireAt: new Date(fireAt).toISOString() };
}

/**
 * `TimerFiredEvent(-1)`: DurableTask.Core builds it when the timer is *created* (the message is scheduled
 * for delivery at FireAt), so its Timestamp is the creation time, not the firing time.
 */
export function timerFired(createdAt: number, timerId: number, fireAt: number): TimerFiredEvent {
  return { ...base(EventType.TimerFired, NO_EVENT_ID, createdAt), TimerId: timerId, FireAt: new Date(fireAt).toISOString() };
}

/** `EventRaisedEvent(-1, input)` from the client's RaiseEvent. */
export function eventRaised(at: number, name: string, input: string | null): EventRaisedEvent {
  return { ...base(EventType.EventRaised, NO_EVENT_ID, at), Name: name, Input: input };
}

export function isEventOfType<T extends HistoryEvent>(event: HistoryEvent, type: EventTypeNumber): event is T {
  return event.EventType === type;
}
