/**
 * @module
 * One run of a job: attempts until one succeeds, the retry policy is spent, or the run's time budget
 * runs out. Each attempt creates the container group, watches it (a sub-orchestration), reads the rest
 * of its log, and deletes it on every path. Deterministic: time comes from the history, waiting is by
 * durable timers, and all I/O happens in activities.
 */
import type * as df from "durable-functions";
import { Activities, type AttemptRef, type CollectContainerLogsResult } from "../activities/contracts";
import { START_OF_LOG, type LogCursor } from "../aci/logs";
import { derivedContainerGroupName } from "../aci/names";
import { secretReferencesOf } from "../jobs/container";
import type { JobSpec } from "../jobs/definition";
import { formatDuration } from "../jobs/duration";
import {
  Orchestrations,
  watchInstanceId,
  type AttemptReason,
  type AttemptRecord,
  type Cleanup,
  type PhaseTimings,
  type RunInput,
  type RunPhase,
  type RunProgress,
  type RunResult,
} from "../runs/contracts";
import { callActivityWithRetry, callSubOrchestrator, failureMessage, now, sleepUntil } from "./calls";
import { armCallRetry, deleteRetry } from "./retryPolicies";
import type { Observed, WatchInput, WatchResult } from "./watchContainerGroup";

/** ARM codes after which another attempt may succeed: capacity and quota come and go. */
const RETRYABLE_REJECTIONS = new Set(["ContainerGroupQuotaReached", "ServiceUnavailable", "TooManyRequests"]);

export function* runJob(context: df.OrchestrationContext): Generator<df.Task, RunResult, unknown> {
  const input = context.df.getInput<RunInput>();
  const { job } = input;
  const startedAt = now(context);
  const deadline = startedAt + job.timeout;
  const attempts: AttemptRecord[] = [];
  let budgetNote = "";

  for (let attempt = 1; ; attempt++) {
    const record = yield* runAttempt(context, input, attempt, deadline, attempts);
    attempts.push(record);
    if (record.outcome !== "failed" || !record.retryable || attempt > job.retries) break;

    const retryAt = now(context) + job.retryDelay;
    if (retryAt >= deadline) {
      budgetNote = ` No retry: the next attempt would start after the run's ${formatDuration(job.timeout)} timeout.`;
      break;
    }
    report(context, input, "waitingToRetry", attempt, record.groupName, attempts, new Date(retryAt).toISOString());
    yield* sleepUntil(context, retryAt);
  }

  if (input.holdsRunSlot) {
    try {
      yield* callActivityWithRetry(context, Activities.releaseRunSlot, { jobId: job.id, runId: input.runId }, armCallRetry);
    } catch (error) {
      // Not fatal: the next trigger sees this run has ended and reclaims the slot.
      if (!context.df.isReplaying) context.warn(`run ${input.runId}: could not release its run slot: ${failureMessage(error)}`);
    }
  }

  const result = summarise(input, attempts, startedAt, now(context), budgetNote);
  const lastAttempt = attempts.at(-1)!;
  report(context, input, "finished", lastAttempt.attempt, lastAttempt.groupName, attempts);
  if (!context.df.isReplaying) {
    const line = `run ${input.runId} of ${job.id} ${result.status}: ${result.detail}`;
    if (result.status === "succeeded") context.log(line);
    else context.error(line);
  }
  return result;
}

interface AttemptState {
  /** Whether a create was sent: from then on the group may exist and must be deleted. */
  createSent: boolean;
  /** Whether ARM confirmed the group is this attempt's (so it can be deleted without checking tags). */
  created: boolean;
  createdAt: number;
  cursor: LogCursor;
  /** The final log read, once attempted (successful or not): the log is read at most once after the watch. */
  logs: CollectContainerLogsResult | null | undefined;
  timings: { -readonly [K in keyof PhaseTimings]: PhaseTimings[K] };
}

function* runAttempt(
  context: df.OrchestrationContext,
  input: RunInput,
  attempt: number,
  deadline: number,
  earlier: readonly AttemptRecord[],
): Generator<df.Task, AttemptRecord, unknown> {
  const { job } = input;
  const groupName = job.container.groupName ?? derivedContainerGroupName(job.id, input.runId, attempt);
  const ref: AttemptRef = { jobId: job.id, runId: input.runId, attempt, groupName };
  const startedAt = now(context);
  const state: AttemptState = { createSent: false, created: false, createdAt: startedAt, cursor: START_OF_LOG, logs: undefined, timings: {} };
  const phase = (name: RunPhase) => report(context, input, name, attempt, groupName, earlier);

  let ending: Ending;
  try {
    ending = yield* createAndWatch(context, input, ref, deadline, state, phase);
  } catch (error) {
    // An activity kept failing after its retries: the attempt fails, and the group still goes.
    ending = { outcome: "failed", reason: "activityFailed", retryable: true, detail: `Gave up talking to Azure: ${failureMessage(error)}` };
  }

  let cleanup: Cleanup = "notCreated";
  let cleanupError: string | undefined;
  if (state.createSent) {
    if (state.created && state.logs === undefined) {
      // Read what the container printed before deleting it: after delete, nothing is left to read.
      state.logs = yield* tryCollectLogs(context, input.job, ref, state, false);
    }
    phase("deleting");
    const deleteStart = now(context);
    try {
      // When the create's fate is unknown, a group of that name may be someone else's: check its tags.
      const deleted = yield* callActivityWithRetry(context, Activities.deleteContainerGroup, { ...ref, onlyIfOwned: !state.created }, deleteRetry);
      if (deleted.kind === "failed") {
        cleanup = "failed";
        cleanupError = `Container group ${groupName} could not be deleted and may still cost money: ${deleted.code}: ${deleted.message}`;
      } else {
        cleanup = deleted.kind;
        state.timings.deleteMs = now(context) - deleteStart;
      }
    } catch (error) {
      cleanup = "failed";
      cleanupError = `Container group ${groupName} could not be deleted and may still cost money: ${failureMessage(error)}`;
    }
    if (cleanupError && !context.df.isReplaying) context.error(`run ${input.runId}: ${cleanupError}`);
  }

  return {
    attempt,
    groupName,
    ...ending,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(now(context)).toISOString(),
    timings: state.timings,
    logLines: state.logs?.cursor.emitted ?? state.cursor.emitted,
    logTail: state.logs?.tail ?? [],
    logLinesMissed: state.logs?.linesMissed ?? false,
    priority: job.container.priority,
    cleanup,
    ...(cleanupError ? { cleanupError } : {}),
  };
}

type Ending = Pick<AttemptRecord, "outcome" | "reason" | "detail" | "exitCode" | "finalState" | "restartCount" | "retryable" | "events">;

function* createAndWatch(
  context: df.OrchestrationContext,
  input: RunInput,
  ref: AttemptRef,
  deadline: number,
  state: AttemptState,
  phase: (name: RunPhase) => void,
): Generator<df.Task, Ending, unknown> {
  const { job } = input;
  phase("creating");
  state.createSent = true;
  const creation = yield* callActivityWithRetry(
    context,
    Activities.createContainerGroup,
    { ...ref, region: input.region, container: job.container },
    armCallRetry,
  );
  state.timings.createMs = now(context) - state.createdAt;
  if (creation.kind === "exists") {
    state.createSent = false;
    return {
      outcome: "failed",
      reason: "groupExists",
      retryable: true,
      detail: `Container group ${ref.groupName} already exists (${creation.owner}) and fail_if_exists is set; it was left alone.`,
    };
  }
  if (creation.kind === "rejected") {
    state.createSent = false;
    return {
      outcome: "failed",
      reason: "rejected",
      retryable: RETRYABLE_REJECTIONS.has(creation.code),
      detail: `Azure rejected the container group: ${creation.code}: ${creation.message}`,
    };
  }
  if (creation.kind === "secretUnavailable") {
    // Nothing was sent to ACI; retrying cannot make a missing, disabled or forbidden secret readable.
    state.createSent = false;
    return {
      outcome: "failed",
      reason: "secretUnavailable",
      retryable: false,
      detail: `Key Vault secret "${creation.secret}" could not be read (${creation.code}); nothing was created. ${creation.message}`,
    };
  }
  state.created = true;
  state.createdAt = now(context);

  phase("watching");
  const watchInput: WatchInput = {
    ref,
    redact: secretReferencesOf(job.container),
    createdAt: state.createdAt,
    deadline,
    cursor: START_OF_LOG,
    previousPhase: null,
    polls: 0,
    failingSince: null,
  };
  const watched = yield* callSubOrchestrator<WatchResult>(
    context,
    Orchestrations.watchContainerGroup,
    watchInput,
    watchInstanceId(input.runId, ref.attempt),
  );
  state.cursor = watched.cursor;

  if (watched.kind === "gone") {
    state.logs = null;
    return {
      outcome: "failed",
      reason: "deletedOutside",
      retryable: false,
      detail: `Container group ${ref.groupName} was deleted outside aci-jobs while the run was watching it.`,
    };
  }
  if (watched.kind === "unreachable") {
    return { outcome: "failed", reason: "activityFailed", retryable: true, detail: `Lost track of container group ${ref.groupName}: ${watched.reason}` };
  }
  const exit = watched.kind === "finished" && watched.observed.state.phase === "exited" ? watched.observed.state : undefined;
  // After a platform restart the log shows the rerun; only lines up to the job's own exit are its output.
  const notAfter = exit && watched.kind === "finished" && watched.observed.restartCount > 0 ? exit.finishedAt : undefined;
  phase("collectingLogs");
  const logsStart = now(context);
  state.logs = yield* tryCollectLogs(context, input.job, ref, state, exit !== undefined, notAfter);
  state.timings.logsMs = now(context) - logsStart;

  if (watched.kind === "timedOut") {
    return {
      outcome: "timedOut",
      reason: "timedOut",
      retryable: false,
      detail: `The run's ${formatDuration(input.job.timeout)} timeout passed; the container group was deleted.`,
      ...(watched.last ? { finalState: watched.last.state.phase, restartCount: watched.last.restartCount } : {}),
    };
  }
  return endingOf(watched.observed, state);
}

function* tryCollectLogs(
  context: df.OrchestrationContext,
  job: JobSpec,
  ref: AttemptRef,
  state: AttemptState,
  stopped: boolean,
  notAfter?: string,
): Generator<df.Task, CollectContainerLogsResult | null, unknown> {
  const input = {
    ...ref,
    redact: secretReferencesOf(job.container),
    resultLogs: job.resultLogs,
    cursor: state.cursor,
    stopped,
    ...(notAfter ? { notAfter } : {}),
  };
  try {
    return yield* callActivityWithRetry(context, Activities.collectContainerLogs, input, armCallRetry);
  } catch (error) {
    if (!context.df.isReplaying) context.warn(`run ${ref.runId}: could not read the container's log: ${failureMessage(error)}`);
    return null;
  }
}

function endingOf(observed: Observed, state: AttemptState): Ending {
  const { state: container, restartCount } = observed;
  const common = { restartCount, finalState: observed.provisioningState, events: observed.events };
  switch (container.phase) {
    case "exited": {
      if (container.startedAt) state.timings.provisioningMs = Math.max(0, Date.parse(container.startedAt) - state.createdAt);
      if (container.startedAt && container.finishedAt) {
        state.timings.runMs = Date.parse(container.finishedAt) - Date.parse(container.startedAt);
      }
      const finalState = container.detailStatus || "Terminated";
      if (container.exitCode === 0) {
        const { events: _events, ...succeeded } = common;
        return { ...succeeded, finalState, outcome: "succeeded", exitCode: 0, retryable: false, detail: "The container exited with code 0." };
      }
      const reason: AttemptReason = container.oomKilled ? "oomKilled" : "exitCode";
      const restarts = restartCount > 0 ? ` ACI restarted it despite restart policy Never; the run kept the first exit and deleted the group.` : "";
      return {
        ...common,
        finalState,
        outcome: "failed",
        reason,
        exitCode: container.exitCode,
        retryable: true,
        detail: container.oomKilled
          ? `The container was killed for running out of memory (exit code ${container.exitCode}); give it more than its memory limit.${restarts}`
          : `The container exited with code ${container.exitCode}.${restarts}`,
      };
    }
    case "provisioningFailed":
      return {
        ...common,
        outcome: "failed",
        reason: container.reason === "imagePull" ? "imagePull" : "provisioningFailed",
        retryable: true,
        detail:
          container.reason === "imagePull"
            ? `The image could not be pulled: ${container.detail}`
            : `Provisioning failed: ${container.detail}`,
      };
    case "unhealthy":
      return { ...common, outcome: "failed", reason: "unhealthy", retryable: true, detail: `The container group became unhealthy: ${container.detail}` };
    case "stopped":
      return { ...common, outcome: "failed", reason: "stoppedOutside", retryable: false, detail: `Container group stopped outside aci-jobs: ${container.detail}.` };
    case "provisioning":
    case "running":
      // The watch only returns final states; this is a bug guard, not an expected path.
      return { ...common, outcome: "failed", reason: "activityFailed", retryable: false, detail: `Watch ended in state ${container.phase}.` };
  }
}

function summarise(input: RunInput, attempts: readonly AttemptRecord[], startedAt: number, finishedAt: number, note: string): RunResult {
  const last = attempts.at(-1)!;
  const tries = attempts.length > 1 ? ` All ${attempts.length} attempts failed.` : "";
  const leaked = attempts.filter((a) => a.cleanup === "failed").map((a) => a.groupName);
  const leakNote = leaked.length > 0 ? ` Not cleaned up: ${leaked.join(", ")}.` : "";
  return {
    runId: input.runId,
    jobId: input.job.id,
    status: last.outcome,
    detail: `${last.detail}${last.outcome === "failed" ? tries : ""}${note}${leakNote}`.trim(),
    ...(last.exitCode === undefined ? {} : { exitCode: last.exitCode }),
    trigger: input.trigger,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    attempts,
  };
}

function report(
  context: df.OrchestrationContext,
  input: RunInput,
  phase: RunPhase,
  attempt: number,
  groupName: string,
  attempts: readonly AttemptRecord[],
  nextAttemptAt?: string,
): void {
  const progress: RunProgress = {
    phase,
    attempt,
    groupName,
    ...(nextAttemptAt ? { nextAttemptAt } : {}),
    attempts: attempts.map(({ attempt: number, outcome, reason, exitCode, cleanup }) => ({
      attempt: number,
      outcome,
      ...(reason ? { reason } : {}),
      ...(exitCode === undefined ? {} : { exitCode }),
      cleanup,
    })),
  };
  context.df.setCustomStatus(progress);
  if (!context.df.isReplaying && phase !== "finished") {
    context.log(`run ${input.runId} attempt ${attempt}: ${phase}${nextAttemptAt ? ` until ${nextAttemptAt}` : ""}`);
  }
}
