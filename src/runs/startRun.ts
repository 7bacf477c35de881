/**
 * @module
 * Starting a run, the same way for the timer, HTTP and command-line triggers: build the input, claim a
 * slot of the job's active-run limit, start the orchestration.
 */
import { randomBytes } from "node:crypto";
import type * as df from "durable-functions";
import type { JobSpec } from "../jobs/definition";
import { Orchestrations, type RunInput, type RunOverrides, type RunTrigger } from "./contracts";
import type { RunSlots } from "./runSlots";

/** The part of the Durable client that starting and reading runs needs (the in-process host provides it too). */
export type RunClient = Pick<df.DurableClient, "startNew" | "getStatus">;

export type StartOutcome =
  | { readonly started: true; readonly runId: string }
  /** The job's active-run limit is reached. */
  | { readonly started: false; readonly reason: "limitReached"; readonly activeRunIds: readonly string[] }
  /** A run with this id exists already (a schedule slot that has been started). */
  | { readonly started: false; readonly reason: "alreadyStarted"; readonly runId: string };

export interface StartRunRequest {
  readonly client: RunClient;
  /** The job as this run uses it: with a caller's overrides already merged in. */
  readonly job: JobSpec;
  readonly runId: string;
  readonly trigger: RunTrigger;
  readonly defaultRegion: string;
  /** Omitted only by the one-off command-line runner, which like `airflow dags test` ignores the limit. */
  readonly slots?: RunSlots;
  /** What an HTTP caller changed (already merged into `job`), recorded in the run's input. */
  readonly overrides?: RunOverrides;
}

export async function startRun(request: StartRunRequest): Promise<StartOutcome> {
  const { client, job, runId } = request;
  if (await findRun(client, runId)) return { started: false, reason: "alreadyStarted", runId };
  if (request.slots) {
    const claim = await request.slots.claim(job.id, runId, job.maxActiveRuns, (holder) => isRunActive(client, holder));
    if (!claim.acquired) return { started: false, reason: "limitReached", activeRunIds: claim.activeRunIds };
  }
  const input: RunInput = {
    runId,
    job,
    region: job.container.region ?? request.defaultRegion,
    trigger: request.trigger,
    holdsRunSlot: request.slots !== undefined,
    ...(request.overrides ? { overrides: request.overrides } : {}),
  };
  try {
    await client.startNew(Orchestrations.runJob, { instanceId: runId, input });
  } catch (error) {
    // Give the slot back only if the run really did not start: a start that timed out may have gone
    // through, and freeing its slot would let a second run in beside it.
    if (request.slots && !(await findRun(client, runId).catch(() => "unknown"))) {
      await request.slots.release(job.id, runId).catch(() => undefined);
    }
    throw error;
  }
  return { started: true, runId };
}

const ACTIVE = new Set(["Running", "Pending", "ContinuedAsNew", "Suspended"]);

/** The run's status, or undefined when no such instance exists (the client throws on 404). */
export async function findRun(client: RunClient, runId: string): Promise<df.DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(runId, { showInput: true });
  } catch (error) {
    // durable-functions' client throws for an unknown instance instead of returning undefined
    // (durable-functions.md §10; azure-functions-durable-js issue #40).
    if (/HTTP 404|could not find any data/iu.test(String(error))) return undefined;
    throw error;
  }
}

async function isRunActive(client: RunClient, runId: string): Promise<boolean> {
  const status = await findRun(client, runId);
  return status !== undefined && ACTIVE.has(String(status.runtimeStatus));
}

/** `azure_container_instances-20261128T023608Z-1a2b3c4d`: readable, sortable, unique. */
export function newRunId(jobId: string, at: Date): string {
  return `${jobId}-${compactTime(at)}-${randomBytes(4).toString("hex")}`;
}

/** One id per schedule slot, so a slot can never start two runs. */
export function scheduledRunId(jobId: string, slot: Date): string {
  return `${jobId}-scheduled-${compactTime(slot)}`;
}

function compactTime(at: Date): string {
  return at.toISOString().replace(/[-:]/gu, "").replace(/\.\d{3}/u, "");
}
