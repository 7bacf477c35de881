/**
 * @module
 * Activity names and their input and output shapes: the whole contract between orchestrations and I/O.
 * Orchestrations import only this file (types and constants, no SDK). Outcomes an orchestration must
 * act on are tagged results (`kind`); activities throw only for transient faults, which the retry
 * policies in src/orchestrations/retryPolicies.ts absorb.
 */
import type { ContainerPhase } from "../aci/observation";
import type { LogCursor } from "../aci/logs";
import type { ArchivePosition } from "../runs/logArchive";
import type { ContainerSpec } from "../jobs/definition";
import type { RunNotification } from "../runs/notification";
import type { NotificationOutcome } from "../runs/contracts";
import type { RunSummary } from "../runs/runSummary";
import type { WebhookResult } from "../runs/webhook";
import type { SecretReference } from "../jobs/secretReference";

export const Activities = {
  createContainerGroup: "createContainerGroup",
  observeContainerGroup: "observeContainerGroup",
  collectContainerLogs: "collectContainerLogs",
  deleteContainerGroup: "deleteContainerGroup",
  releaseRunSlot: "releaseRunSlot",
  recordScheduledRunOutcome: "recordScheduledRunOutcome",
  takeQueuedSlot: "takeQueuedSlot",
  leaveQueue: "leaveQueue",
  notifyRun: "notifyRun",
  recordRunFinished: "recordRunFinished",
} as const;

/** Identifies the run attempt an activity works for; also used to label log lines. */
export interface AttemptRef {
  readonly jobId: string;
  readonly runId: string;
  readonly attempt: number;
  readonly groupName: string;
}

export interface CreateContainerGroupInput extends AttemptRef {
  readonly region: string;
  readonly container: ContainerSpec;
  /** The job may keep this group (removeOnSuccess / removeOnError false): tagged so the orphan sweeper spares it. */
  readonly mayKeep?: boolean;
}

export type CreateContainerGroupResult =
  | {
      readonly kind: "created";
      /** An earlier group of that name (left by another run) was deleted first. */
      readonly replaced?: string;
      /** This attempt's own group was already there: a retried create after a lost response. */
      readonly alreadyOurs: boolean;
      /** Where the group lives, so a kept group's run result can name the exact `az container` command. */
      readonly resourceGroup: string;
      readonly operationStatus: string;
    }
  /** fail_if_exists: a group of that name exists and belongs to someone else; it was left alone. */
  | { readonly kind: "exists"; readonly owner: string }
  /** ARM refused the request for a reason retrying now will not fix (bad definition, quota, auth). */
  | { readonly kind: "rejected"; readonly code: string; readonly message: string }
  /**
   * A Key Vault reference of the definition could not be resolved (missing, disabled, or the app may
   * not read it). Nothing was sent to ACI. `secret` is the reference's name, never a value.
   */
  | { readonly kind: "secretUnavailable"; readonly secret: string; readonly code: string; readonly message: string };

/** The Key Vault references whose values must never reach a log, a result or an error (names only). */
export interface Redaction {
  readonly redact: readonly SecretReference[];
  /** Registry user names: a password also travels base64-encoded as `user:password` (docker's auth). */
  readonly redactUsernames?: readonly string[];
}

/** What an attempt's container printed, as far as the run has read it. */
export interface LogProgress {
  readonly cursor: LogCursor;
  /**
   * The attempt's log record (src/runs/logArchive.ts), absent when the app has no storage: where it ends,
   * how many of the cursor's lines it accounts for, and how many of those could not be archived.
   */
  readonly archive?: ArchiveState;
}

export interface ArchiveState extends ArchivePosition {
  /** Log lines (the cursor's `emitted`) the record accounts for, archived or marked as lost. */
  readonly covered: number;
  /** Of those, lines that storage failed to take (marked in the record where they belong). */
  readonly failed: number;
}

export const EMPTY_ARCHIVE_STATE: ArchiveState = Object.freeze({ lines: 0, bytes: 0, covered: 0, failed: 0 });

/** Just the log progress of something that carries it (an activity's input or result, a watch's ending). */
export function progressOf(from: LogProgress): LogProgress {
  return { cursor: from.cursor, ...(from.archive ? { archive: from.archive } : {}) };
}

export interface ObserveContainerGroupInput extends AttemptRef, Redaction, LogProgress {
  /**
   * Read only the log's last this many lines while the container runs, when they reach back to the cursor
   * (else the whole log): the watch sizes it from the output rate, so a chatty container's growing log is
   * not downloaded whole at every look.
   */
  readonly readTail?: number;
  /** The phase seen last time, so a change can be logged once. */
  readonly previousPhase: ContainerPhase["phase"] | null;
}

export type ObserveContainerGroupResult =
  | {
      readonly kind: "observed";
      readonly state: ContainerPhase;
      readonly provisioningState: string;
      readonly restartCount: number;
      readonly events: readonly string[];
      /**
       * What this look read that earlier ones had not (its text, one byte per line break), and when the first
       * of it was written (ms since epoch, ACI's timestamp): the watch's measure of the output rate.
       */
      readonly fresh?: { readonly lines: number; readonly bytes: number; readonly firstAt?: number };
    } & LogProgress
  /** 404: the group was deleted by something other than this run. */
  | { readonly kind: "gone" }
  /** ARM refused to answer for a reason retrying will not fix (e.g. 403 after a role was removed). */
  | { readonly kind: "failed"; readonly code: string; readonly message: string };

export interface CollectContainerLogsInput extends AttemptRef, Redaction, LogProgress {
  /** The job's resultLogs: "all" returns every line ACI still holds, "last" the last one. */
  readonly resultLogs: "none" | "last" | "all";
  /** Whether the container has stopped, so ACI may have cut the log to 16 KB / 1,000 lines. */
  readonly stopped: boolean;
  /**
   * Ignore lines written after this time (ISO): set when ACI restarted the container after the job's
   * exit, so the rerun's output is not taken for the job's.
   */
  readonly notAfter?: string;
}

export interface CollectContainerLogsResult extends LogProgress {
  /** The last lines of the log (bounded), for the run result. */
  readonly tail: readonly string[];
  /** Per resultLogs: every line ACI still had (at most its 1,000 lines / 16 KB after stop), or the last one. */
  readonly lines?: readonly string[];
  /** ACI no longer had some lines when they were read (its 16 KB / 1,000-line cap after stop). */
  readonly linesMissed: boolean;
  /** About how many (from the snapshot's own rate over the time it no longer covers). */
  readonly linesMissedEstimate?: number;
  /** False when ACI had no log (the container never started) or refused to give it (`error`). */
  readonly available: boolean;
  readonly error?: string;
}

export interface DeleteContainerGroupInput extends AttemptRef, Redaction {
  /**
   * Delete only a group tagged with this run attempt. Set when it is unknown whether this attempt's
   * create went through, so a group of the same name that belongs to someone else is never deleted.
   */
  readonly onlyIfOwned?: boolean;
  /**
   * An earlier try of this delete failed after its DELETE went out unanswered, or was accepted (its failure
   * said {@link DELETE_MAY_HAVE_WORKED}): a group found gone now was deleted by that request.
   */
  readonly earlierDeleteMayHaveWorked?: boolean;
}

/**
 * Ends the message of a delete that failed after its DELETE may have gone through. Durable hands an
 * orchestration only a failed activity's message, so this is how the next try learns it.
 */
export const DELETE_MAY_HAVE_WORKED = "The DELETE may have gone through.";

export type DeleteContainerGroupResult =
  | { readonly kind: "deleted" }
  | { readonly kind: "alreadyGone" }
  /** `onlyIfOwned`, no group of that name exists, and no earlier DELETE may have removed it: it was never created. */
  | { readonly kind: "neverCreated" }
  /** `onlyIfOwned` and the group belongs to someone else: left alone. */
  | { readonly kind: "notOurs"; readonly owner: string }
  /** ARM refused for a reason retrying will not fix (e.g. 403). */
  | { readonly kind: "failed"; readonly code: string; readonly message: string };

export interface ReleaseRunSlotInput {
  readonly jobId: string;
  readonly runId: string;
}

export interface ReleaseRunSlotResult {
  readonly released: boolean;
}

/** A run waiting in line (overlap bufferOne, bufferAll, cancelOther, or a backfill) asks whether it may start. */
export interface TakeQueuedSlotInput {
  readonly jobId: string;
  readonly runId: string;
  /** The job's active-run limit. */
  readonly limit: number;
}

export type TakeQueuedSlotResult = { readonly acquired: true } | { readonly acquired: false; readonly position: number };

export interface LeaveQueueInput {
  readonly jobId: string;
  readonly runId: string;
}

/** A scheduled run of a job with `pauseAfterFailures` has ended: count it, and pause the schedule after N failures in a row. */
export interface RecordScheduledRunOutcomeInput {
  readonly jobId: string;
  readonly runId: string;
  readonly status: "succeeded" | "failed" | "timedOut" | "canceled";
  readonly pauseAfterFailures: number;
}

export interface RecordScheduledRunOutcomeResult {
  readonly consecutiveFailures: number;
  /** Whether this outcome paused the schedule. */
  readonly paused: boolean;
}

/**
 * Posts a finished run's notification to the job's webhook (a Key Vault reference, resolved in the
 * activity). The notification is built from the run's result, already redacted of the job's secrets.
 */
export interface NotifyRunInput {
  readonly webhook: SecretReference;
  readonly notification: RunNotification;
}

/** `delivered: false` only for answers a retry will not change (4xx, an unreadable webhook secret); faults are thrown. */
export type NotifyRunResult = WebhookResult;

/** A run has ended: list it with its outcome and tell Azure Monitor (events for alerts). */
export interface RecordRunFinishedInput {
  readonly summary: RunSummary;
  /** Groups of this run that could not be deleted (cleanup failed or unknown): each one costs money. */
  readonly groupsNotDeleted: readonly { readonly group: string; readonly error: string }[];
  readonly notification?: NotificationOutcome;
}

/** Each activity's input and output, so calls from orchestrations are type-checked end to end. */
export interface ActivityContract {
  [Activities.createContainerGroup]: { input: CreateContainerGroupInput; output: CreateContainerGroupResult };
  [Activities.observeContainerGroup]: { input: ObserveContainerGroupInput; output: ObserveContainerGroupResult };
  [Activities.collectContainerLogs]: { input: CollectContainerLogsInput; output: CollectContainerLogsResult };
  [Activities.deleteContainerGroup]: { input: DeleteContainerGroupInput; output: DeleteContainerGroupResult };
  [Activities.releaseRunSlot]: { input: ReleaseRunSlotInput; output: ReleaseRunSlotResult };
  [Activities.recordScheduledRunOutcome]: { input: RecordScheduledRunOutcomeInput; output: RecordScheduledRunOutcomeResult };
  [Activities.takeQueuedSlot]: { input: TakeQueuedSlotInput; output: TakeQueuedSlotResult };
  [Activities.leaveQueue]: { input: LeaveQueueInput; output: void };
  [Activities.notifyRun]: { input: NotifyRunInput; output: NotifyRunResult };
  [Activities.recordRunFinished]: { input: RecordRunFinishedInput; output: void };
}
