/**
 * @module
 * The in-process Durable Functions host (development and tests only; never deployed).
 */
export { DurableHost, type WaitForCompletionOptions } from "./DurableHost";
export { captureRegistrations } from "./captureRegistrations";
export { InProcessDurableClient, statusNotFoundMessage } from "./client";
export {
  EventType,
  EventTypeName,
  OrchestrationStatusCode,
  type EventRaisedEvent,
  type ExecutionCompletedEvent,
  type ExecutionStartedEvent,
  type ExecutionTerminatedEvent,
  type FailureDetailsPayload,
  type HistoryEvent,
  type HistoryEventBase,
  type OrchestrationInstanceRef,
  type ParentInstanceInfo,
  type SubOrchestrationInstanceCompletedEvent,
  type SubOrchestrationInstanceCreatedEvent,
  type SubOrchestrationInstanceFailedEvent,
  type TaskCompletedEvent,
  type TaskFailedEvent,
  type TaskScheduledEvent,
  type TimerCreatedEvent,
  type TimerFiredEvent,
} from "./historyEvents";
export { ActionType, type OrchestratorStateJson, type WireAction, type WireRetryOptions } from "./orchestratorState";
export { nextRetryDelayMs, toRetryPolicy, type RetryPolicy } from "./retryPolicy";
export { LONG_RUNNING_TIMER_INTERVAL_MS, MAXIMUM_SHORT_TIMER_MS } from "./shimTasks";
export type {
  ActivityHandler,
  CapturedBinding,
  CapturedFunction,
  CapturedFunctionMetadata,
  DurableHostOptions,
  HostLogRecord,
  HostStats,
  InstanceStats,
  OrchestrationBindingInfo,
  OrchestrationHandler,
} from "./types";
