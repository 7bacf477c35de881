/**
 * @module
 * A run in one line of a list (GET …/runs): what the run index (runIndex.ts) keeps per run, built from
 * the run's input and result. Plain data without I/O, so the orchestration can build it.
 */
import type * as df from "durable-functions";
import type { RunInput, RunProgress, RunResult, RunTrigger } from "./contracts";
import { toRunView, type RunState } from "./runView";

export const FINAL_STATES = ["succeeded", "failed", "timedOut", "canceled", "terminated", "error"] as const;
export type FinalState = (typeof FINAL_STATES)[number];
export const ACTIVE_STATES = ["pending", "queued", "running", "canceling"] as const;

export function isFinalState(state: string): state is FinalState {
  return (FINAL_STATES as readonly string[]).includes(state);
}

/** One run in a list: enough to tell which runs need a look, not the full record (GET the run for that). */
export interface RunSummary {
  readonly runId: string;
  readonly job: string;
  readonly state: RunState;
  readonly trigger: RunTrigger;
  /** The schedule slot the run is for, when it has one. */
  readonly slot?: string;
  /** When the run was requested (the order of the list). */
  readonly createdAt: string;
  /** When it could start (after waiting in line), once finished. */
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly attempts: number;
  readonly exitCode?: number;
  /** The last attempt's reason (docs/jobs.md). */
  readonly reason?: string;
  /** The run's outcome in one sentence, cut to 300 characters. */
  readonly detail?: string;
}

/** The entry a start writes: the run as requested, before anything happened. */
export function startedSummary(input: RunInput, requestedAt: string): RunSummary {
  return {
    runId: input.runId,
    job: input.job.id,
    state: input.queued ? "queued" : "running",
    trigger: input.trigger,
    ...slotOf(input),
    createdAt: requestedAt,
    attempts: 0,
  };
}

/** The entry the run's end writes. `requestedAt` is absent only for runs started before the index. */
export function finishedSummary(input: RunInput, result: RunResult): RunSummary {
  const last = result.attempts.at(-1);
  return {
    runId: input.runId,
    job: input.job.id,
    state: result.status,
    trigger: input.trigger,
    ...slotOf(input),
    createdAt: input.requestedAt ?? result.startedAt,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    attempts: result.attempts.length,
    ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
    ...(last?.reason ? { reason: last.reason } : {}),
    detail: result.detail,
  };
}

function slotOf(input: RunInput): { slot?: string } {
  const slot = input.times?.slot ?? ("slot" in input.trigger ? input.trigger.slot : undefined);
  return slot ? { slot } : {};
}


/** Longest `detail` a summary keeps. */
const DETAIL_MAX = 300;

/** A summary's `detail`, cut to {@link DETAIL_MAX} characters (a cut text ends in …). */
export function summaryDetail(detail: string | undefined): string | undefined {
  return detail && detail.length > DETAIL_MAX ? `${detail.slice(0, DETAIL_MAX - 1)}…` : detail;
}

/**
 * A listed run as its orchestration stands now: finished (its result), ended without recording it
 * (terminated, or the orchestration failed: the attempts its progress last showed), queued, running or
 * canceling; before its first step reports progress, as its start listed it.
 */
export function summaryFromStatus(summary: RunSummary, status: df.DurableOrchestrationStatus): RunSummary {
  const view = toRunView(status);
  if (view.result) return finishedSummary(status.input as RunInput, view.result);
  const progress = status.customStatus as RunProgress | null | undefined;
  const attempts = progress ? (progress.phase === "queued" ? 0 : Math.max(progress.attempts.length, progress.attempt)) : summary.attempts;
  if (isFinalState(view.state)) {
    const detail = summaryDetail(view.detail);
    return { ...summary, state: view.state, attempts, finishedAt: view.lastUpdatedAt, ...(detail ? { detail } : {}) };
  }
  return progress ? { ...summary, state: view.state, attempts } : summary;
}
