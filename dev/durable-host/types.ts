/** Public types of the in-process Durable host. */
import type { InvocationContext, LogLevel } from "@azure/functions";
import type { Clock } from "../clock";
import type { HistoryEvent } from "./historyEvents";

/**
 * The orchestrator binding payload the extension sends to the worker
 * (`OrchestrationTriggerAttributeBindingProvider.OrchestrationContextToString`).
 */
export interface OrchestrationBindingInfo {
  history: HistoryEvent[];
  input: unknown;
  instanceId: string;
  isReplaying: boolean;
  parentInstanceId: string | null;
  upperSchemaVersion: number;
  upperSchemaVersionNew: number;
  longRunningTimerIntervalDuration: string;
  maximumShortTimerDuration: string;
  defaultHttpAsyncRequestSleepTimeMillseconds: number;
}

/** Exactly what durable-functions registers for an orchestration (`createOrchestrator(fn)`). */
export type OrchestrationHandler = (bindingInfo: OrchestrationBindingInfo, context: InvocationContext) => unknown;

/** Exactly what durable-functions registers for an activity (`wrapActivityHandler(handler)`). */
export type ActivityHandler = (input: unknown, context: InvocationContext) => unknown;

export interface HostLogRecord {
  /** Host clock time (ms since epoch) when the line was written. */
  time: number;
  level: LogLevel;
  /** "function": written by user code through InvocationContext; "host": written by the host itself. */
  category: "function" | "host";
  functionName?: string;
  functionKind?: "orchestrator" | "activity";
  instanceId?: string;
  invocationId?: string;
  /** For orchestrator lines: `context.df.isReplaying` when the line was written. */
  isReplaying?: boolean;
  message: string;
}

export interface DurableHostOptions {
  /** Defaults to `systemClock`. With a `VirtualClock` the host jumps to the next timer whenever it is idle. */
  clock?: Clock;
  /** Task hub name used in management URLs. Default "TestHubName" (the extension's local default). */
  taskHub?: string;
  log?: (line: HostLogRecord) => void;
  /** Origin of the management URLs when no request is given. Default "http://localhost:7071". */
  webhookOrigin?: string;
  /** Value of `code=` in management URLs (the extension's system key). */
  systemKey?: string;
  /** Guard against orchestrations that never stop: an instance exceeding this many episodes fails. Default 100 000. */
  maxEpisodesPerInstance?: number;
  /**
   * Re-delivers activities, as the real extension may (at least once): `"afterCompletion"` runs the
   * activity, loses its result (a worker crash after it ran) and runs it again; `"concurrently"` runs two
   * executions at once and keeps the first result, as DurableTask.Core ignores the later duplicate.
   */
  activityRedelivery?: (activityName: string, input: unknown) => ActivityRedelivery;
  /**
   * host.json's `extensions.durableTask.storageProvider.maxQueuePollingInterval`, which bounds how late a
   * timer is picked up (timerQueue.ts). Default 30 s, the Azure Storage provider's.
   */
  maxQueuePollingIntervalMs?: number;
}

export type ActivityRedelivery = "none" | "afterCompletion" | "concurrently";

export interface InstanceStats {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  episodes: number;
  executions: number;
  activityCalls: number;
  /** Largest history of any execution (generation) of this instance. */
  maxHistoryLength: number;
  currentHistoryLength: number;
}

export interface HostStats {
  instances: InstanceStats[];
  totals: { episodes: number; activityCalls: number; maxHistoryLength: number };
}

export interface CapturedBinding extends Record<string, unknown> {
  type: string;
  direction: string;
}

/** What `@azure/functions` hands to the worker's `registerFunction` (its `toCoreFunctionMetadata`). */
export interface CapturedFunctionMetadata extends Record<string, unknown> {
  name: string;
  bindings: Record<string, CapturedBinding>;
}

export interface CapturedFunction {
  name: string;
  metadata: CapturedFunctionMetadata;
  handler: (...args: unknown[]) => unknown;
}
