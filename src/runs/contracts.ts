/**
 * @module
 * What a run is, as data: the orchestration's input, its progress (custom status) and its result.
 * Plain JSON without secrets: all of it is stored in Durable history and shown to API callers.
 */
import type { FailureClass, JobSpec } from "../jobs/definition";
import type { RunTimes } from "../jobs/runContext";

export const Orchestrations = {
  runJob: "runJob",
  watchContainerGroup: "watchContainerGroup",
} as const;

/** External events a run (and its watch) listens for. */
export const RunEvents = {
  /** POST …/runs/{runId}/cancel, or Ctrl-C in `npm run job`: data is a {@link CancelRequest}. */
  cancel: "cancel",
} as const;

/** Who asked to cancel a run, when and why; plain text the caller gave, kept in the run's record. */
export interface CancelRequest {
  /** When the request was made (ISO 8601, the requester's clock). */
  readonly requestedAt: string;
  /** The signed-in caller (App Service Authentication's user name), or the tool that asked; absent when unknown. */
  readonly by?: string;
  readonly reason?: string;
}

export type RunTrigger =
  /** A timer firing for the schedule slot `slot` (ISO time of the occurrence, UTC). */
  | { readonly kind: "schedule"; readonly slot: string; readonly pastDue: boolean }
  | { readonly kind: "http" }
  | { readonly kind: "cli" }
  /** POST …/runs/{runId}/rerun: the same job snapshot, slot and overrides as run `rerunOf`. */
  | { readonly kind: "rerun"; readonly rerunOf: string }
  /** POST /api/jobs/{job}/backfill: one run per past schedule slot in a range. */
  | { readonly kind: "backfill"; readonly slot: string };

export interface RunInput {
  /** Also the orchestration instance id. */
  readonly runId: string;
  /** The job as it was when the run started (a deployment in between does not change a running run). */
  readonly job: JobSpec;
  /** The region the container group is created in (the job's, else the ACI_REGION setting). */
  readonly region: string;
  readonly trigger: RunTrigger;
  /** Whether the run holds one of the job's active-run slots, to be released when it ends. */
  readonly holdsRunSlot: boolean;
  /** The run waits in line for its slot first (its job's overlap policy, or a backfill). */
  readonly queued?: boolean;
  /** What an HTTP caller changed for this run (already merged into `job`), kept for the record. */
  readonly overrides?: RunOverrides;
  /** The slot, logical date and data interval the container is told of (absent in runs started before them). */
  readonly times?: RunTimes;
  /** When the run was requested (ISO 8601): its place in the run index (absent in runs started before it). */
  readonly requestedAt?: string;
}

/** A run request's changes to the job, as validated against the job's `overrides` allow-list. */
export interface RunOverrides {
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly imageTag?: string;
  readonly cpu?: number;
  readonly memoryInGB?: number;
  /** The schedule slot the run is for (ISO 8601), when the job lets a caller reprocess a past slot. */
  readonly slot?: string;
}

/** `canceled`: the run was canceled while this attempt's container ran (or before it could start). */
export type AttemptOutcome = "succeeded" | "failed" | "timedOut" | "canceled";

/** Why an attempt ended the way it did; docs/jobs.md has the table of reasons and what retries them. */
export type AttemptReason =
  | "exitCode"
  | "oomKilled"
  | "imagePull"
  | "provisioningFailed"
  | "unhealthy"
  | "deletedOutside"
  | "stoppedOutside"
  | "groupExists"
  | "rejected"
  /** Quota or regional capacity (ContainerGroupQuotaReached, ServiceUnavailable, 429 after the SDK's retries). */
  | "capacity"
  /** A Spot group was evicted (Unhealthy / Repairing) or Spot capacity was refused. */
  | "spotEvicted"
  /** A Key Vault reference could not be resolved; nothing was created. */
  | "secretUnavailable"
  /** The app's identity could not get a token (no managed identity, wrong AZURE_CLIENT_ID, no `az login`), or ARM refused it (401). */
  | "credentialUnavailable"
  /** The identity has a token but no role for the call (403 AuthorizationFailed, Key Vault ForbiddenByRbac). */
  | "forbidden"
  | "activityFailed"
  /** The attempt ran past the job's containerTimeout. */
  | "containerTimeout"
  | "timedOut";

export interface PhaseTimings {
  /** From the start of the attempt until ARM accepted the container group. */
  readonly createMs?: number;
  /** From acceptance until the container started (ACI's own start time). */
  readonly provisioningMs?: number;
  /** From container start to exit (ACI's own times). */
  readonly runMs?: number;
  /** Reading the remaining log after the container stopped. */
  readonly logsMs?: number;
  /** Deleting the group until ARM confirmed. */
  readonly deleteMs?: number;
}

/**
 * What happened to the attempt's container group: deleted by the run, already gone, never created,
 * left alone because it turned out to belong to someone else, or not deletable (see cleanupError).
 */
/**
 * What became of an attempt's group. `failed`: it could not be deleted (the orphan sweeper will);
 * `unknown`: the create's fate was unknown and Azure never answered whether the group exists.
 */
export type Cleanup = "deleted" | "alreadyGone" | "notCreated" | "notOurs" | "kept" | "failed" | "unknown";

export interface AttemptRecord {
  readonly attempt: number;
  readonly groupName: string;
  readonly outcome: AttemptOutcome;
  readonly reason?: AttemptReason;
  /** One sentence a person can act on. */
  readonly detail: string;
  readonly exitCode?: number;
  /** The container's detail status or the group's provisioning state at the end. */
  readonly finalState?: string;
  readonly restartCount?: number;
  /** The retry policy's class of this failure (`retryOn`); absent for success and never-retried reasons. */
  readonly failureClass?: FailureClass;
  /**
   * Whether this failure's class is one the job retries (`retryOn`). Another attempt also needs retries
   * left and time before the run's timeout; a Spot fallback attempt runs regardless (docs/jobs.md).
   */
  readonly retryable: boolean;
  /** The priority the group ran at (Spot, or Regular after a Spot fallback). */
  readonly priority: "Regular" | "Spot";
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly timings: PhaseTimings;
  readonly logLines: number;
  readonly logTail: readonly string[];
  /** Some of the container's lines were never read: cut by ACI, or its last output could not be read. */
  readonly logLinesMissed: boolean;
  /**
   * The attempt's log record in the host storage account (container `aci-jobs-runs`), each line once:
   * how many lines it holds and how many storage failed to take (those are in the function log only).
   */
  readonly logArchive?: { readonly path: string; readonly lines: number; readonly unarchived: number };
  /** The group's last events (newest last), kept for failed attempts: what ACI said went wrong. */
  readonly events?: readonly string[];
  readonly cleanup: Cleanup;
  readonly cleanupError?: string;
}

export type RunStatus = "succeeded" | "failed" | "timedOut" | "canceled";

export interface RunResult {
  readonly runId: string;
  readonly jobId: string;
  readonly status: RunStatus;
  readonly detail: string;
  readonly exitCode?: number;
  readonly trigger: RunTrigger;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly attempts: readonly AttemptRecord[];
  /** The last attempt's log per the job's resultLogs (Airflow's xcom_all): all lines ACI held, or the last. */
  readonly logs?: readonly string[];
  readonly overrides?: RunOverrides;
  /** The cancel that ended the run (status `canceled`): who asked, when, why, and in which phase it arrived. */
  readonly cancellation?: CancelRequest & { readonly phase: RunPhase };
  /** The job's webhook notification of this outcome (job field `notify`), when it asked for one. */
  readonly notification?: NotificationOutcome;
}

/** What became of a run's notification: delivered, or why not (never the webhook's URL). */
export type NotificationOutcome = { readonly delivered: true; readonly at: string } | { readonly delivered: false; readonly error: string };

export type RunPhase = "queued" | "creating" | "watching" | "collectingLogs" | "deleting" | "waitingToRetry" | "finished";

/**
 * The run's custom status. The extension fails an orchestration whose custom status exceeds 16 KB of
 * UTF-16 JSON (about 8,000 characters), so finished attempts appear as one-line summaries; their full
 * records (detail, events, log tail) are in the result.
 */
export interface RunProgress {
  readonly phase: RunPhase;
  readonly attempt: number;
  readonly groupName: string;
  readonly nextAttemptAt?: string;
  readonly attempts: readonly AttemptSummary[];
  /** Set once the run has received a cancel: it is stopping (deleting its group) and will end `canceled`. */
  readonly cancelRequested?: CancelRequest;
  /** While queued: its place in line (1 is next). */
  readonly queuePosition?: number;
}

export type AttemptSummary = Pick<AttemptRecord, "attempt" | "outcome" | "reason" | "exitCode" | "cleanup">;

/** Instance id of the sub-orchestration that watches one attempt's container group. */
export function watchInstanceId(runId: string, attempt: number): string {
  return `${runId}-attempt${attempt}-watch`;
}

/** Where an attempt's log record lives in the `aci-jobs-runs` container (src/runs/logArchive.ts). */
export function attemptLogPath(runId: string, attempt: number): string {
  return `logs/${runId}/attempt-${attempt}.log`;
}
