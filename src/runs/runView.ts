/**
 * What GET /api/jobs/{job}/runs/{runId} shows: the run's state in the run's own terms, built from the
 * Durable status (input, custom status, output) and, while it watches a container, the watch's status.
 */
import type * as df from "durable-functions";
import type { RunTimes } from "../jobs/runContext";
import type { RunInput, RunOverrides, RunProgress, RunResult, RunTrigger } from "./contracts";

/** `canceling`: a cancel has reached the run and it is deleting its group; it then ends `canceled`. */
export type RunState = "pending" | "queued" | "running" | "canceling" | "succeeded" | "failed" | "timedOut" | "canceled" | "terminated" | "error";

export interface RunView {
  readonly runId: string;
  readonly job: string;
  readonly state: RunState;
  readonly trigger?: RunTrigger;
  /** What the caller who started the run changed (POST /api/jobs/{job}/runs with a body). */
  readonly overrides?: RunOverrides;
  /** The slot, logical date and data interval the container is told of. */
  readonly times?: RunTimes;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  /** While running: the current attempt's phase and the attempts so far. */
  readonly progress?: RunProgress & { readonly container?: unknown };
  /** When finished: exit code, detail, every attempt with timings and log tail. */
  readonly result?: RunResult;
  /** When the orchestration itself failed or was terminated (not the job). */
  readonly detail?: string;
}

export function toRunView(status: df.DurableOrchestrationStatus, containerStatus?: unknown): RunView {
  const input = status.input as RunInput | undefined;
  const base = {
    runId: status.instanceId,
    job: input?.job.id ?? "",
    ...(input ? { trigger: input.trigger } : {}),
    ...(input?.overrides ? { overrides: input.overrides } : {}),
    ...(input?.times ? { times: input.times } : {}),
    createdAt: new Date(status.createdTime).toISOString(),
    lastUpdatedAt: new Date(status.lastUpdatedTime).toISOString(),
  };
  const progress = status.customStatus as RunProgress | undefined;
  switch (String(status.runtimeStatus)) {
    case "Completed": {
      const result = status.output as RunResult;
      return { ...base, state: result.status, result };
    }
    case "Failed":
      return { ...base, state: "error", detail: `The orchestration failed: ${String(status.output).split("\n")[0]}` };
    case "Terminated":
    case "Canceled":
      return { ...base, state: "terminated", detail: `Terminated: ${String(status.output ?? "")}`.trim() };
    case "Pending":
      return { ...base, state: "pending" };
    default:
      return {
        ...base,
        state: progress?.cancelRequested ? "canceling" : progress?.phase === "queued" ? "queued" : "running",
        ...(progress ? { progress: { ...progress, ...(containerStatus ? { container: containerStatus } : {}) } } : {}),
      };
  }
}
