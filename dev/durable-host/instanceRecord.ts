/** The host's record of one orchestration instance and its current execution (generation). */
import { randomUUID } from "node:crypto";
import { OrchestrationRuntimeStatus } from "durable-functions";
import { ExecutionShim } from "./extensionShim";
import type { HistoryEvent, ParentInstanceInfo } from "./historyEvents";

export interface Execution {
  /** `Guid.NewGuid().ToString("N")`, as DurableTask.Core assigns it. */
  readonly executionId: string;
  readonly history: HistoryEvent[];
  readonly shim: ExecutionShim;
  readonly serializedInput: string | null;
  /** Warnings already logged for this execution, so each is logged once. */
  readonly reportedWarnings: Set<string>;
}

export interface InstanceRecord {
  readonly instanceId: string;
  readonly name: string;
  readonly createdAt: number;
  /** Set for sub-orchestrations; carried over to every generation, as ParentInstance is. */
  readonly parent: ParentInstanceInfo | null;
  lastUpdatedAt: number;
  runtimeStatus: OrchestrationRuntimeStatus;
  execution: Execution;
  /** Messages delivered to the instance and not yet processed by an episode. */
  inbox: HistoryEvent[];
  /** An episode is running: the host processes one episode at a time per instance. */
  busy: boolean;
  serializedOutput: string | null;
  customStatus: unknown;
  episodes: number;
  executions: number;
  activityCalls: number;
  maxHistoryLength: number;
}

/** Instance ids and execution ids: a GUID without dashes, like the extension's `Guid.ToString("N")`. */
export function newGuidN(): string {
  return randomUUID().replace(/-/g, "");
}

export function newExecution(orchestrationName: string, serializedInput: string | null): Execution {
  const executionId = newGuidN();
  return {
    executionId,
    history: [],
    shim: new ExecutionShim(orchestrationName, executionId),
    serializedInput,
    reportedWarnings: new Set(),
  };
}

const FINISHED_STATUSES: ReadonlySet<OrchestrationRuntimeStatus> = new Set([
  OrchestrationRuntimeStatus.Completed,
  OrchestrationRuntimeStatus.Failed,
  OrchestrationRuntimeStatus.Terminated,
  OrchestrationRuntimeStatus.Canceled,
]);

export function isFinished(status: OrchestrationRuntimeStatus): boolean {
  return FINISHED_STATUSES.has(status);
}

/** The extension's default `OverridableExistingInstanceStates = NonRunningStates`: these block a new start. */
export function blocksNewStart(status: OrchestrationRuntimeStatus): boolean {
  return (
    status === OrchestrationRuntimeStatus.Running ||
    status === OrchestrationRuntimeStatus.Pending ||
    status === OrchestrationRuntimeStatus.ContinuedAsNew
  );
}
