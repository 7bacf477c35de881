/**
 * @module
 * Starting a run, the same way for the timer, HTTP and command-line triggers: build the input, claim a
 * slot of the job's active-run limit, start the orchestration.
 */
import { randomBytes } from "node:crypto";
import type * as df from "durable-functions";
import type { JobSpec } from "../jobs/definition";
import type { RunTimes } from "../jobs/runContext";
import { Orchestrations, type RunInput, type RunOverrides, type RunTrigger } from "./contracts";
import { cancelRun } from "./cancelRun";
import type { RunIndex } from "./runIndex";
import { startedSummary } from "./runSummary";
import type { RunQueue } from "./runQueue";
import type { RunSlots, RunState } from "./runSlots";
import { runTimesFor } from "./runTimes";

/** The part of the Durable client that starting, reading and canceling runs needs (the in-process host provides it too). */
export type RunClient = Pick<df.DurableClient, "startNew" | "getStatus" | "raiseEvent">;

export type StartOutcome =
  /** `queued`: the run waits in line for a slot (overlap bufferOne, bufferAll, cancelOther, a backfill). */
  | { readonly started: true; readonly runId: string; readonly queued?: true; readonly canceled?: readonly string[] }
  /** The job's active-run limit is reached (and its overlap policy skips; `waiting`: bufferOne's run already in line). */
  | { readonly started: false; readonly reason: "limitReached"; readonly activeRunIds: readonly string[]; readonly waiting?: string }
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
  /** Where runs wait for a slot; without it every policy skips at the limit. */
  readonly queue?: RunQueue;
  /** Wait in line whatever the job's overlap policy (a backfill never skips). */
  readonly queueAlways?: boolean;
  /** The request's time, for the order of the line. */
  readonly now?: Date;
  /** What an HTTP caller changed (already merged into `job`), recorded in the run's input. */
  readonly overrides?: RunOverrides;
  /** The run's slot, logical date and data interval; by default the trigger's slot, or now. */
  readonly times?: RunTimes;
  /** Where the run is listed (GET …/runs); omitted by the command-line runner without storage. */
  readonly index?: RunIndex;
  /** Told of a problem that does not stop the run (the function log). */
  readonly warn?: (line: string) => void;
}

/**
 * The Durable extension's endpoint can refuse connections for a moment after the host starts: a timer
 * that was past due fires as soon as its listener is up, which on the real host stack came 73-100 ms
 * before the extension's local endpoint (127.0.0.1:17071) was open. The timer records the firing either
 * way, so a start that failed there would lose its slot for good. A refused connection sent nothing, so
 * the whole start is simply tried again, a few times over about 8 s.
 */
const CONNECTION_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000];

export async function startRun(
  request: StartRunRequest,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<StartOutcome> {
  for (let retry = 0; ; retry++) {
    try {
      return await startRunOnce(request);
    } catch (error) {
      const delay = CONNECTION_RETRY_DELAYS_MS[retry];
      if (delay === undefined || !isConnectionRefused(error)) throw error;
      await sleep(delay);
    }
  }
}

function isConnectionRefused(error: unknown): boolean {
  const code = (error as { code?: unknown; cause?: { code?: unknown } } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return code === "ECONNREFUSED";
}

async function startRunOnce(request: StartRunRequest): Promise<StartOutcome> {
  const { client, job, runId } = request;
  if (await findRun(client, runId)) return { started: false, reason: "alreadyStarted", runId };
  let queued: { canceled: readonly string[] } | undefined;
  if (request.slots) {
    const claim = await request.slots.claim(job.id, runId, job.maxActiveRuns, (holder) => runState(client, holder));
    if (!claim.acquired) {
      const waits = await waitInLine(request, claim.activeRunIds);
      if ("reason" in waits) return waits;
      queued = waits;
    }
  }
  const requestedAt = distinctInstant(request.now ?? new Date());
  const input: RunInput = {
    runId,
    job,
    region: job.container.region ?? request.defaultRegion,
    trigger: request.trigger,
    holdsRunSlot: request.slots !== undefined,
    ...(queued ? { queued: true } : {}),
    ...(request.overrides ? { overrides: request.overrides } : {}),
    times: request.times ?? runTimesFor(job, request.trigger.kind === "schedule" ? new Date(request.trigger.slot) : undefined, requestedAt),
    requestedAt: requestedAt.toISOString(),
  };
  try {
    await client.startNew(Orchestrations.runJob, { instanceId: runId, input });
  } catch (error) {
    const existing = await findRun(client, runId).catch(() => "unknown" as const);
    // Another firing of the same slot won the race between our check and our start (the host refuses a
    // second instance with that id), or this very start went through and only its answer failed: either
    // way the run exists, and it holds the slot, which names the run.
    if (existing && existing !== "unknown") return { started: false, reason: "alreadyStarted", runId };
    // Give the slot back only if the run really did not start: a start whose fate is unknown may have gone
    // through, and freeing its slot would let a second run in beside it.
    if (existing === undefined) {
      if (queued) await request.queue?.remove(job.id, runId).catch(() => undefined);
      else if (request.slots) await request.slots.release(job.id, runId).catch(() => undefined);
    }
    throw error;
  }
  // Best effort: the run has started, and its end lists it whatever happens here (only the "active"
  // views miss it until then).
  await request.index?.recordStarted(startedSummary(input, input.requestedAt!)).catch((error: unknown) => {
    request.warn?.(`run ${runId} started but is not listed as active yet (its end lists it): ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  });
  return queued ? { started: true, runId, queued: true, ...(queued.canceled.length > 0 ? { canceled: queued.canceled } : {}) } : { started: true, runId };
}

/** The last instant {@link distinctInstant} gave out. */
let lastRequestedAt = 0;

/**
 * `at`, or a millisecond after the last run this process requested: runs are listed newest first by when
 * they were requested, so starts in one burst (a backfill, a catch-up) keep their order in the list.
 */
function distinctInstant(at: Date): Date {
  lastRequestedAt = Math.max(at.getTime(), lastRequestedAt + 1);
  return new Date(lastRequestedAt);
}

/**
 * The job's overlap policy, once its active runs fill its slots: skip (and allowAll at maxActiveRuns)
 * start nothing; bufferOne waits unless a run waits already; bufferAll waits in line; cancelOther cancels
 * the active runs and waits for their slot. A backfill always waits.
 */
async function waitInLine(request: StartRunRequest, active: readonly string[]): Promise<{ canceled: readonly string[] } | Extract<StartOutcome, { started: false }>> {
  const { job, runId, queue, client } = request;
  const policy = request.queueAlways ? "bufferAll" : job.overlap;
  const skip = { started: false, reason: "limitReached", activeRunIds: active } as const;
  if (!queue || policy === "skip" || policy === "allowAll") return skip;
  const at = request.now ?? new Date();
  await dropEndedFromLine(client, queue, job.id);
  const placed = await queue.enqueue(job.id, runId, policy === "bufferOne" ? "one" : "all", at);
  if (!placed.queued) return { ...skip, waiting: placed.waiting };
  const canceled: string[] = [];
  if (policy === "cancelOther") {
    for (const holder of active.filter((id) => !id.startsWith("("))) {
      const outcome = await cancelRun(client, holder, { requestedAt: at.toISOString(), by: "overlap cancelOther", reason: `replaced by run ${runId}` });
      if (outcome.kind === "canceling") canceled.push(holder);
    }
  }
  return { canceled };
}

/** Runs in line whose orchestration has ended or vanished (terminated while waiting) no longer wait. */
async function dropEndedFromLine(client: RunClient, queue: RunQueue, jobId: string): Promise<void> {
  for (const waiting of await queue.waiting(jobId)) {
    const state = await runState(client, waiting);
    if (state === "ended") await queue.remove(jobId, waiting);
  }
}

const ACTIVE = new Set(["Running", "Pending", "ContinuedAsNew", "Suspended"]);

/** Whether an orchestration in this runtime status may still do something (start, run, resume). */
export function isActiveStatus(runtimeStatus: string): boolean {
  return ACTIVE.has(runtimeStatus);
}

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

/** Whether a slot holder's run is going, has ended, or has no instance (yet, or any more). */
export async function runState(client: RunClient, runId: string): Promise<RunState> {
  const status = await findRun(client, runId);
  if (status === undefined) return "notFound";
  return isActiveStatus(String(status.runtimeStatus)) ? "active" : "ended";
}

/** `azure_container_instances-20261128T023608Z-1a2b3c4d`: readable, sortable, unique. */
export function newRunId(jobId: string, at: Date): string {
  return `${jobId}-${compactTime(at)}-${randomBytes(4).toString("hex")}`;
}

/** One id per schedule slot, so a slot can never start two runs. */
export function scheduledRunId(jobId: string, slot: Date): string {
  return `${jobId}-scheduled-${compactTime(slot)}`;
}

// The two shapes above, after the job id: "-20261128T023608Z-1a2b3c4d" and "-scheduled-20261128T000000Z".
const RUN_ID_SUFFIX = /^-(?:[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}|scheduled-[0-9]{8}T[0-9]{6}Z)$/u;
const LONGEST_SUFFIX = "-scheduled-20261128T000000Z".length;

/**
 * Whether `runId` has a shape {@link newRunId} or {@link scheduledRunId} gives for job `jobId` (the job's
 * own id, as defined). Check an id from outside (a URL) with this before it reaches the Durable client:
 * the client puts it into a management URL unencoded, so `..`, `?`, `#` or `%` in it would address
 * something else.
 */
export function isRunIdOf(jobId: string, runId: string): boolean {
  return (
    runId.length <= jobId.length + LONGEST_SUFFIX &&
    runId.startsWith(jobId) &&
    RUN_ID_SUFFIX.test(runId.slice(jobId.length))
  );
}

function compactTime(at: Date): string {
  return at.toISOString().replace(/[-:]/gu, "").replace(/\.\d{3}/u, "");
}
