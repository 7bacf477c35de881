/**
 * @module
 * One run of a job: attempts until one succeeds, the retry policy is spent, or the run's time budget
 * runs out. Each attempt creates the container group, watches it (a sub-orchestration), reads the rest
 * of its log, and deletes it (unless the job keeps it: removeOnSuccess / removeOnError). Failures are
 * classified and retried as failurePolicy.ts decides. Deterministic: time comes from the history,
 * waiting is by durable timers, and all I/O happens in activities.
 */
import type * as df from "durable-functions";
import {
  Activities,
  DELETE_MAY_HAVE_WORKED,
  EMPTY_ARCHIVE_STATE,
  progressOf,
  type AttemptRef,
  type CollectContainerLogsResult,
  type LogProgress,
  type Redaction,
} from "../activities/contracts";
import { START_OF_LOG } from "../aci/logs";
import { derivedContainerGroupName } from "../aci/names";
import { registryUsernamesOf, secretReferencesOf } from "../jobs/container";
import { containerForAttempt } from "../jobs/runContext";
import type { ContainerSpec, JobSpec } from "../jobs/definition";
import { formatDuration } from "../jobs/duration";
import {
  Orchestrations,
  attemptLogPath,
  watchInstanceId,
  type AttemptReason,
  type AttemptRecord,
  type CancelRequest,
  type Cleanup,
  type NotificationOutcome,
  type PhaseTimings,
  type RunInput,
  type RunPhase,
  type RunProgress,
  type RunResult,
} from "../runs/contracts";
import {
  activityFailureMessage,
  callActivityRetrying,
  callActivityWithRetry,
  failureMessage,
  now,
  scheduleActivityWithRetry,
  scheduleSubOrchestrator,
  settle,
  type Pending,
} from "./calls";
import { CancelSignal } from "./cancellation";
import { classify, isCapacityMessage, isSpotCapacityMessage, planNextAttempt, reasonOfCreateFailure, reasonOfIdentityFailure, reasonOfRejection, type Priority } from "./failurePolicy";
import { armCallRetry, deleteRetry, notifyRetry } from "./retryPolicies";
import { runNotification } from "../runs/notification";
import { finishedSummary } from "../runs/runSummary";
import type { Observed, WatchInput, WatchResult } from "./watchContainerGroup";

/** How soon the orphan sweeper (src/functions/orphanSweeper.ts) deletes a group left behind: its period plus its grace. */
const SWEEPER_PROMISE = "about 30 minutes";

export function* runJob(context: df.OrchestrationContext): Generator<df.Task, RunResult, unknown> {
  const input = context.df.getInput<RunInput>();
  const { job } = input;
  const cancel = new CancelSignal(context);
  if (input.queued) {
    const queuedAt = now(context);
    const gotSlot = yield* waitForSlot(context, input, cancel);
    // Canceled while waiting, or just as its turn came (then its slot goes on to the next in line).
    if (!gotSlot || cancel.notice("queued")) {
      if (gotSlot) yield* releaseSlot(context, input);
      const request = cancel.request!;
      const result: RunResult = {
        runId: input.runId,
        jobId: job.id,
        status: "canceled",
        detail: canceledSentence({ ...request, phase: "queued" }),
        trigger: input.trigger,
        startedAt: new Date(queuedAt).toISOString(),
        finishedAt: new Date(now(context)).toISOString(),
        attempts: [],
        ...(input.overrides ? { overrides: input.overrides } : {}),
        cancellation: { ...request, phase: "queued" },
      };
      context.df.setCustomStatus({ phase: "finished", attempt: 0, groupName: "", attempts: [] } satisfies RunProgress);
      if (!context.df.isReplaying) context.warn(`run ${input.runId} of ${job.id} canceled: ${result.detail}`);
      return yield* finishRun(context, input, result);
    }
  }
  // The run's time budget counts from when it may start, not from when it began to wait.
  const startedAt = now(context);
  const deadline = startedAt + job.timeout;
  const attempts: AttemptRecord[] = [];
  let budgetNote = "";
  let priority: Priority = job.container.priority;
  let retriesUsed = 0;
  let lastLines: readonly string[] | undefined;

  for (let attempt = 1; ; attempt++) {
    const { record, lines } = yield* runAttempt(context, input, attempt, priority, deadline, attempts, cancel);
    attempts.push(record);
    lastLines = lines;
    // After a cancel, in whatever phase it came, no retry follows.
    if (cancel.request || record.outcome !== "failed") break;
    const next = planNextAttempt(job, input.runId, record, retriesUsed);
    if (!next) break;

    const retryAt = now(context) + next.delayMs;
    if (retryAt >= deadline) {
      budgetNote = ` No retry: the next attempt would start after the run's ${formatDuration(job.timeout)} timeout.`;
      break;
    }
    if (record.cleanup === "kept" && job.container.groupName) attempts[attempts.length - 1] = yield* releaseKeptGroup(context, input, record);
    if (next.countsAsRetry) retriesUsed += 1;
    priority = next.priority;
    if (next.delayMs > 0) {
      report(context, input, "waitingToRetry", attempt, record.groupName, attempts, { nextAttemptAt: new Date(retryAt).toISOString() });
      if (yield* cancel.sleepsUntil(retryAt, "waitingToRetry")) break;
    }
  }
  // Decided before the slot is released: a cancel arriving after the last attempt ended changes nothing.
  const cancellation = cancel.request ? { ...cancel.request, phase: cancel.phase! } : undefined;

  if (input.holdsRunSlot) yield* releaseSlot(context, input);

  const result = summarise(input, attempts, startedAt, now(context), budgetNote, lastLines, cancellation);
  if (input.trigger.kind === "schedule" && job.pauseAfterFailures !== undefined) {
    const outcome = { jobId: job.id, runId: input.runId, status: result.status, pauseAfterFailures: job.pauseAfterFailures };
    try {
      yield* callActivityWithRetry(context, Activities.recordScheduledRunOutcome, outcome, armCallRetry);
    } catch (error) {
      // Not fatal: the run's own outcome stands; only the failure count may miss this run.
      if (!context.df.isReplaying) context.warn(`run ${input.runId}: could not count its outcome for pauseAfterFailures: ${failureMessage(error)}`);
    }
  }
  const lastAttempt = attempts.at(-1)!;
  report(context, input, "finished", lastAttempt.attempt, lastAttempt.groupName, attempts);
  if (!context.df.isReplaying) {
    const line = `run ${input.runId} of ${job.id} ${result.status}: ${result.detail}`;
    if (result.status === "succeeded") context.log(line);
    else if (result.status === "canceled") context.warn(line);
    else context.error(line);
  }
  return yield* finishRun(context, input, result);
}

/**
 * The run's last steps, after its outcome is settled: the job's notification, then the outcome recorded
 * in the run index and sent to Azure Monitor. Neither can change the outcome: a failure is recorded
 * (notification) or logged (record), and the run ends as it would have.
 */
function* finishRun(context: df.OrchestrationContext, input: RunInput, result: RunResult): Generator<df.Task, RunResult, unknown> {
  let notification: NotificationOutcome | undefined;
  const notify = input.job.notify;
  if (notify && (notify.on as readonly string[]).includes(result.status)) {
    const request = { webhook: notify.webhook, notification: runNotification(result) };
    try {
      const sent = yield* callActivityWithRetry(context, Activities.notifyRun, request, notifyRetry);
      notification = sent.delivered ? { delivered: true, at: new Date(now(context)).toISOString() } : { delivered: false, error: sent.error };
    } catch (error) {
      notification = { delivered: false, error: activityFailureMessage(error) };
    }
    if (!notification.delivered && !context.df.isReplaying) context.warn(`run ${input.runId}: notification not delivered: ${notification.error}`);
  }
  const recorded: RunResult = notification ? { ...result, notification } : result;
  const groupsNotDeleted = recorded.attempts
    .filter((attempt) => attempt.cleanup === "failed" || attempt.cleanup === "unknown")
    .map((attempt) => ({ group: attempt.groupName, error: attempt.cleanupError ?? "" }));
  try {
    const record = { summary: finishedSummary(input, recorded), groupsNotDeleted, ...(notification ? { notification } : {}) };
    yield* callActivityWithRetry(context, Activities.recordRunFinished, record, armCallRetry);
  } catch (error) {
    // Not fatal: the run's outcome stands in its history; only the list and the alerts miss it.
    if (!context.df.isReplaying) context.warn(`run ${input.runId}: could not record its outcome in the run index: ${failureMessage(error)}`);
  }
  return recorded;
}

interface AttemptState {
  /** Whether a create was sent: from then on the group may exist and must be deleted. */
  createSent: boolean;
  /** Whether ARM confirmed the group is this attempt's (so it can be deleted without checking tags). */
  created: boolean;
  /** The resource group ARM put the group in (known once created). */
  resourceGroup?: string;
  /** Whether the watch saw the group reach a final state: only then may removeOnSuccess/removeOnError keep it. */
  settled: boolean;
  createdAt: number;
  log: LogProgress;
  /** The final log read, once attempted: the log is read at most once after the watch. */
  logs: CollectContainerLogsResult | { readonly failed: string } | null | undefined;
  /** A watch still going when the run was canceled: awaited once the group is deleted. */
  watch?: Pending<WatchResult>;
  timings: { -readonly [K in keyof PhaseTimings]: PhaseTimings[K] };
}

/** What one attempt runs: the job's container at this attempt's priority (Regular after a Spot fallback). */
interface AttemptPlan {
  readonly ref: AttemptRef;
  readonly container: ContainerSpec;
  /** The run's deadline, or the attempt's containerTimeout if that comes first. */
  readonly deadline: number;
  readonly containerDeadline: boolean;
}

function* runAttempt(
  context: df.OrchestrationContext,
  input: RunInput,
  attempt: number,
  priority: Priority,
  runDeadline: number,
  earlier: readonly AttemptRecord[],
  cancel: CancelSignal,
): Generator<df.Task, { record: AttemptRecord; lines?: readonly string[] }, unknown> {
  const { job } = input;
  const groupName = job.container.groupName ?? derivedContainerGroupName(job.id, input.runId, attempt);
  const ref: AttemptRef = { jobId: job.id, runId: input.runId, attempt, groupName };
  const startedAt = now(context);
  // containerTimeout counts from the attempt's start (the create), so a group stuck provisioning is bounded too.
  const containerDeadline = job.containerTimeout === undefined ? Number.POSITIVE_INFINITY : startedAt + job.containerTimeout;
  const plan: AttemptPlan = {
    ref,
    // The run's context variables and filled-in placeholders (src/jobs/runContext.ts), for this attempt.
    container: containerForAttempt(priority === job.container.priority ? job.container : { ...job.container, priority }, {
      jobId: job.id,
      runId: input.runId,
      attempt,
      ...(input.times ? { times: input.times } : {}),
    }),
    deadline: Math.min(runDeadline, containerDeadline),
    containerDeadline: containerDeadline < runDeadline,
  };
  const state: AttemptState = {
    createSent: false,
    created: false,
    settled: false,
    createdAt: startedAt,
    log: { cursor: START_OF_LOG, archive: EMPTY_ARCHIVE_STATE },
    logs: undefined,
    timings: {},
  };
  const phase = (name: RunPhase) => report(context, input, name, attempt, groupName, earlier, cancel.request ? { cancelRequested: cancel.request } : {});

  let ending: Ending;
  try {
    ending = yield* createAndWatch(context, input, plan, state, phase, cancel);
  } catch (error) {
    // An activity kept failing after its retries: the attempt fails, and the group still goes.
    const message = failureMessage(error);
    const reason = state.created ? "activityFailed" : reasonOfCreateFailure(message, priority);
    ending = { outcome: "failed", ...classify(job, reason), detail: `Gave up talking to Azure: ${message}` };
  }

  let cleanup: Cleanup = "notCreated";
  let cleanupError: string | undefined;
  if (state.createSent) {
    if (state.created && state.logs === undefined && !cancel.request) {
      // Read what the container printed before deleting it: after delete, nothing is left to read.
      state.logs = yield* tryCollectLogs(context, input.job, ref, state, false);
      cancel.notice("collectingLogs");
    }
    if (!cancel.request && keepsGroup(job, state, ending)) {
      // Airflow's remove_on_success / remove_on_error false: the group and its log stay in ACI.
      cleanup = "kept";
      ending = { ...ending, detail: `${ending.detail} ${keptNote(job, groupName, state.resourceGroup, ending.outcome === "succeeded")}` };
    } else {
      phase("deleting");
      const deleteStart = now(context);
      // When the create's fate is unknown, a group of that name may be someone else's: check its tags.
      ({ cleanup, cleanupError } = yield* deleteGroup(context, input.runId, ref, redactionOf(plan.container), !state.created));
      if (!cleanupError) state.timings.deleteMs = now(context) - deleteStart;
    }
  }
  cancel.notice(state.createSent ? "deleting" : "creating");
  if (state.watch) {
    // Canceled while watching: the group is deleted, so the watch ends at once (it got the cancel too) or at
    // its next look (it sees the group gone). Its result carries the log as far as it read it.
    state.log = yield* settleWatch(context, input.runId, state.watch, state.log);
  }

  const { resultLines, ...ended } = ending;
  const collected = state.logs && "cursor" in state.logs ? state.logs : undefined;
  const log = collected ?? state.log;
  if (collected?.linesMissed) {
    const about = collected.linesMissedEstimate ? `About ${collected.linesMissedEstimate} lines` : "Some lines";
    ending = {
      ...ending,
      detail: sentences(
        ending.detail,
        `${about} of the container's output were lost before they could be read: ACI keeps only the last 16 KB / 1,000 lines of a stopped container's log (diagnostics.logAnalytics keeps them all).`,
      ),
    };
  }
  if (state.logs && "failed" in state.logs) {
    // The lines after the last look are gone with the group: say so rather than report a complete log.
    ending = {
      ...ending,
      detail: sentences(ending.detail, `The container's last output could not be read (${state.logs.failed}); lines after the first ${log.cursor.emitted} were not collected.`),
    };
  }
  const record: AttemptRecord = {
    attempt,
    groupName,
    ...ended,
    detail: ending.detail,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(now(context)).toISOString(),
    timings: state.timings,
    logLines: log.cursor.emitted,
    logTail: collected?.tail ?? [],
    logLinesMissed: (collected?.linesMissed ?? false) || (state.logs !== undefined && state.logs !== null && "failed" in state.logs),
    ...(log.archive && log.cursor.emitted > 0
      ? { logArchive: { path: attemptLogPath(input.runId, attempt), lines: log.cursor.emitted - log.archive.failed, unarchived: log.archive.failed } }
      : {}),
    priority,
    cleanup,
    ...(cleanupError ? { cleanupError } : {}),
  };
  return resultLines ? { record, lines: resultLines } : { record };
}

/**
 * Deletes an attempt's group; a refusal or exhausted retries become a `failed` cleanup with the reason,
 * which the orphan sweeper then deletes. When the create's fate is unknown (`onlyIfOwned`) and Azure never
 * answered whether the group exists, the cleanup is `unknown`, not `failed`: it may never have been made.
 */
function* deleteGroup(
  context: df.OrchestrationContext,
  runId: string,
  ref: AttemptRef,
  redaction: Redaction,
  onlyIfOwned: boolean,
): Generator<df.Task, { cleanup: Cleanup; cleanupError?: string }, unknown> {
  let cleanupError: string;
  try {
    const deleted = yield* callActivityRetrying(
      context,
      Activities.deleteContainerGroup,
      (failures) => ({
        ...ref,
        ...redaction,
        onlyIfOwned,
        ...(failures.some((message) => message.includes(DELETE_MAY_HAVE_WORKED)) ? { earlierDeleteMayHaveWorked: true } : {}),
      }),
      deleteRetry,
    );
    if (deleted.kind === "neverCreated") return { cleanup: "notCreated" };
    if (deleted.kind !== "failed") return { cleanup: deleted.kind };
    cleanupError = `Container group ${ref.groupName} could not be deleted and may still cost money: ${deleted.code}: ${deleted.message}`;
  } catch (error) {
    if (onlyIfOwned) {
      const unknown = `Whether container group ${ref.groupName} was ever created could not be checked (${failureMessage(error)}).`;
      if (!context.df.isReplaying) context.warn(`run ${runId}: ${unknown}`);
      return { cleanup: "unknown", cleanupError: unknown };
    }
    cleanupError = `Container group ${ref.groupName} could not be deleted and may still cost money: ${failureMessage(error)}`;
  }
  if (!context.df.isReplaying) context.error(`run ${runId}: ${cleanupError}`);
  return { cleanup: "failed", cleanupError };
}

/**
 * A job with a fixed group name has one name for all its attempts, so a group kept by removeOnError
 * cannot stay when another attempt follows: the next attempt would find it and fail as groupExists (or
 * replace it). Only the run's last attempt keeps its group; the earlier one goes now, and its record says so.
 */
function* releaseKeptGroup(
  context: df.OrchestrationContext,
  input: RunInput,
  record: AttemptRecord,
): Generator<df.Task, AttemptRecord, unknown> {
  const ref: AttemptRef = { jobId: input.job.id, runId: input.runId, attempt: record.attempt, groupName: record.groupName };
  const { cleanup, cleanupError } = yield* deleteGroup(context, input.runId, ref, redactionOf(input.job.container), true);
  const note = ` The group was deleted after all, before attempt ${record.attempt + 1}, which needs the name ${record.groupName}.`;
  const detail = record.detail.includes(" The container group ") ? record.detail.slice(0, record.detail.lastIndexOf(" The container group ")) : record.detail;
  return { ...record, detail: `${detail}${note}`, cleanup, ...(cleanupError ? { cleanupError } : {}) };
}

type Ending = Pick<AttemptRecord, "outcome" | "reason" | "detail" | "exitCode" | "finalState" | "restartCount" | "failureClass" | "retryable" | "events"> & {
  /** The final log read's lines per the job's resultLogs, for the run result (not kept in the attempt record). */
  readonly resultLines?: readonly string[];
};

/**
 * Whether the job keeps this attempt's group (removeOnSuccess / removeOnError false). Only a group that is
 * certainly ours and that the watch saw finish: a group whose create fate is unknown may be someone else's,
 * and a timeout exists to stop the container, so both are deleted as always.
 */
function keepsGroup(job: JobSpec, state: AttemptState, ending: Ending): boolean {
  if (!state.created || !state.settled) return false;
  if (ending.outcome === "succeeded") return !job.removeOnSuccess;
  if (ending.outcome === "failed" && ending.reason !== "containerTimeout") return !job.removeOnError;
  return false;
}

function keptNote(job: JobSpec, groupName: string, resourceGroup: string | undefined, succeeded: boolean): string {
  const rg = resourceGroup ?? "<ACI_RESOURCE_GROUP>";
  const flag = succeeded ? "removeOnSuccess" : "removeOnError";
  const fixedName = job.container.groupName
    ? ` The next run reuses the name ${groupName}: with failIfExists true it fails with groupExists until the group is deleted; with failIfExists false it replaces the group.`
    : "";
  return (
    `The container group ${groupName} was kept (${flag} is false): read its log with ` +
    `\`az container logs -g ${rg} -n ${groupName}\` and delete it with \`az container delete -g ${rg} -n ${groupName} --yes\`.${fixedName}`
  );
}

function* createAndWatch(
  context: df.OrchestrationContext,
  input: RunInput,
  plan: AttemptPlan,
  state: AttemptState,
  phase: (name: RunPhase) => void,
  cancel: CancelSignal,
): Generator<df.Task, Ending, unknown> {
  const { job } = input;
  const { ref, container } = plan;
  phase("creating");
  state.createSent = true;
  const mayKeep = !job.removeOnSuccess || !job.removeOnError;
  const create = scheduleActivityWithRetry(
    context,
    Activities.createContainerGroup,
    { ...ref, region: input.region, container, ...(mayKeep ? { mayKeep } : {}) },
    armCallRetry,
  );
  // A create cannot be called back: after a cancel its answer is still awaited, since a group it made
  // must be deleted. It sends only the PUT, so that takes a second unless ARM is failing.
  yield* cancel.races(create.task, "creating");
  const creation = yield* settle(create);
  state.timings.createMs = now(context) - state.createdAt;
  if (creation.kind === "exists") {
    state.createSent = false;
    return {
      outcome: "failed",
      ...classify(job, "groupExists"),
      detail: `Container group ${ref.groupName} already exists (${creation.owner}) and fail_if_exists is set; it was left alone.`,
    };
  }
  if (creation.kind === "secretUnavailable") {
    state.createSent = false;
    const identity = reasonOfIdentityFailure(creation.code);
    if (identity) {
      return { outcome: "failed", ...classify(job, identity), detail: identityFailureDetail(identity, `reading Key Vault secret "${creation.secret}"`, creation.code, creation.message) };
    }
    return {
      outcome: "failed",
      ...classify(job, "secretUnavailable"),
      detail: `Key Vault secret "${creation.secret}" could not be read (${creation.code}); nothing was created. ${creation.message}`,
    };
  }
  if (creation.kind === "rejected") {
    state.createSent = false;
    const { reason, invalidDefinition } = reasonOfRejection(creation.code, creation.message, container.priority);
    if (reason === "credentialUnavailable" || reason === "forbidden") {
      return { outcome: "failed", ...classify(job, reason), detail: identityFailureDetail(reason, `creating container group ${ref.groupName}`, creation.code, creation.message) };
    }
    const what =
      reason === "imagePull"
        ? "Azure cannot pull the image"
        : reason === "spotEvicted"
          ? "Azure has no Spot capacity for the container group"
          : "Azure rejected the container group";
    return { outcome: "failed", ...classify(job, reason, invalidDefinition), detail: `${what}: ${creation.code}: ${creation.message}` };
  }
  state.created = true;
  state.resourceGroup = creation.resourceGroup;
  state.createdAt = now(context);
  if (cancel.notice("creating")) return canceledEnding(ref.groupName, cancel);

  phase("watching");
  const watchInput: WatchInput = {
    ref,
    ...redactionOf(container),
    createdAt: state.createdAt,
    deadline: plan.deadline,
    ...state.log,
    previousPhase: null,
    polls: 0,
    failingSince: null,
  };
  const watch = scheduleSubOrchestrator<WatchResult>(context, Orchestrations.watchContainerGroup, watchInput, watchInstanceId(input.runId, ref.attempt));
  if (yield* cancel.races(watch.task, "watching")) {
    // The group goes first (that stops the cost); the watch is awaited after the delete.
    state.watch = watch;
    return canceledEnding(ref.groupName, cancel);
  }
  const watched = yield* settle(watch);
  state.log = progressOf(watched);
  if (watched.kind === "canceled") {
    // The watch received the cancel before the run did.
    cancel.adopt(watched.request, "watching");
    return canceledEnding(ref.groupName, cancel);
  }

  if (watched.kind === "gone") {
    state.logs = null;
    return {
      outcome: "failed",
      ...classify(job, "deletedOutside"),
      detail: `Container group ${ref.groupName} was deleted outside aci-jobs while the run was watching it.`,
    };
  }
  if (watched.kind === "unreachable") {
    return { outcome: "failed", ...classify(job, "activityFailed"), detail: `Lost track of container group ${ref.groupName}: ${watched.reason}` };
  }
  state.settled = watched.kind === "finished";
  const exit = watched.kind === "finished" && watched.observed.state.phase === "exited" ? watched.observed.state : undefined;
  // After a restart the log shows the rerun; only lines up to the exit the attempt ended on are its output.
  const notAfter = exit && watched.kind === "finished" && watched.observed.restartCount > 0 ? exit.finishedAt : undefined;
  phase("collectingLogs");
  const logsStart = now(context);
  state.logs = yield* tryCollectLogs(context, input.job, ref, state, exit !== undefined, notAfter);
  state.timings.logsMs = now(context) - logsStart;
  cancel.notice("collectingLogs");
  const resultLines = state.logs && "lines" in state.logs && state.logs.lines ? { resultLines: state.logs.lines } : {};

  if (watched.kind === "timedOut") {
    const last = watched.last ? { finalState: watched.last.state.phase, restartCount: watched.last.restartCount } : {};
    const restarts = restartNote(container, watched.last?.restartCount ?? 0);
    if (plan.containerDeadline) {
      return {
        outcome: "failed",
        ...classify(job, "containerTimeout"),
        detail: `The attempt ran past its ${formatDuration(job.containerTimeout!)} containerTimeout; the container group was deleted.${restarts}`,
        ...last,
        ...resultLines,
      };
    }
    return {
      outcome: "timedOut",
      ...classify(job, "timedOut"),
      detail: `The run's ${formatDuration(job.timeout)} timeout passed; the container group was deleted.${restarts}`,
      ...last,
      ...resultLines,
    };
  }
  return { ...endingOf(job, container, watched.observed, state), ...resultLines };
}

function* tryCollectLogs(
  context: df.OrchestrationContext,
  job: JobSpec,
  ref: AttemptRef,
  state: AttemptState,
  stopped: boolean,
  notAfter?: string,
): Generator<df.Task, CollectContainerLogsResult | { readonly failed: string }, unknown> {
  const input = {
    ...ref,
    ...redactionOf(job.container),
    resultLogs: job.resultLogs,
    ...state.log,
    stopped,
    ...(notAfter ? { notAfter } : {}),
  };
  try {
    return yield* callActivityWithRetry(context, Activities.collectContainerLogs, input, armCallRetry);
  } catch (error) {
    const failed = failureMessage(error);
    if (!context.df.isReplaying) context.warn(`run ${ref.runId}: could not read the container's log: ${failed}`);
    return { failed };
  }
}

/** What activities of this container must hide: its Key Vault references (names) and registry user names. */
function redactionOf(container: ContainerSpec): Redaction {
  const usernames = registryUsernamesOf(container);
  return { redact: secretReferencesOf(container), ...(usernames.length > 0 ? { redactUsernames: usernames } : {}) };
}

/**
 * What went wrong with the app's identity and what to check, in the run's detail: the identity's own words
 * first, then where to look (docs/deploy.md, "Permission model"). Nothing was created, and nothing is retried.
 */
function identityFailureDetail(reason: "credentialUnavailable" | "forbidden", doing: string, code: string, message: string): string {
  if (reason === "credentialUnavailable") {
    return (
      `The app's identity could not get an Azure token for ${doing} (${code}): ${message} ` +
      "Nothing was created and the run is not retried. In Azure, check that the Function App has its user-assigned " +
      "managed identity and that AZURE_CLIENT_ID names it; locally, run `az login` (and `az account set`)."
    );
  }
  const what =
    code === "LinkedAuthorizationFailed"
      ? "The group names a resource the identity may not use (a user-assigned identity or a subnet): grant it as " +
        "docs/deploy.md says under Grants a job may need"
      : "Check that the identity holds the aci-jobs container group runner role on the jobs resource group and Key " +
        "Vault Secrets User on the vault (docs/deploy.md, Permission model)";
  return (
    `The app's identity is not allowed to do this, ${doing} (${code}): ${message} ` +
    `Nothing was created and the run is not retried. ${what}; a new role assignment can take a few minutes to apply.`
  );
}

/** What the restarts ACI made mean under the group's restart policy (aci-rest-api.md §6). */
function restartNote(container: ContainerSpec, restartCount: number): string {
  if (restartCount === 0) return "";
  switch (container.restartPolicy) {
    case "Never":
      return ` ACI restarted it despite restart policy Never; the run kept the first exit.`;
    case "OnFailure":
      return ` ACI reran it ${restartCount} time${restartCount === 1 ? "" : "s"} after nonzero exits (restart policy OnFailure).`;
    case "Always":
      return ` ACI restarts it after every exit (restart policy Always); the run ended at the first exit it saw.`;
  }
}

function endingOf(job: JobSpec, container: ContainerSpec, observed: Observed, state: AttemptState): Ending {
  const { state: phase, restartCount } = observed;
  const common = { restartCount, finalState: observed.provisioningState, events: observed.events };
  const failed = (reason: AttemptReason, detail: string, extra: Partial<Ending> = {}): Ending => ({
    ...common,
    ...extra,
    outcome: "failed",
    ...classify(job, reason),
    detail,
  });
  const spot = container.priority === "Spot";
  switch (phase.phase) {
    case "exited": {
      if (phase.startedAt) state.timings.provisioningMs = Math.max(0, Date.parse(phase.startedAt) - state.createdAt);
      if (phase.startedAt && phase.finishedAt) state.timings.runMs = Date.parse(phase.finishedAt) - Date.parse(phase.startedAt);
      const finalState = phase.detailStatus || "Terminated";
      const restarts = restartNote(container, restartCount);
      if (phase.exitCode === 0) {
        const { events: _events, ...succeeded } = common;
        return { ...succeeded, finalState, outcome: "succeeded", exitCode: 0, retryable: false, detail: `The container exited with code 0.${restarts}` };
      }
      return phase.oomKilled
        ? failed("oomKilled", `The container was killed for running out of memory (exit code ${phase.exitCode}); give it more than its memory limit.${restarts}`, { finalState, exitCode: phase.exitCode })
        : failed("exitCode", `The container exited with code ${phase.exitCode}.${restarts}`, { finalState, exitCode: phase.exitCode });
    }
    case "provisioningFailed":
      if (phase.reason === "imagePull") return failed("imagePull", `The image could not be pulled: ${phase.detail}`);
      // Regional capacity refused after the create was accepted: on a Spot group that is a Spot capacity refusal.
      if (spot && isSpotCapacityMessage(phase.detail)) return failed("spotEvicted", `Azure has no Spot capacity for the container group: ${phase.detail}`);
      // Quota or capacity can also fail a Regular group after the 201 (aci-rest-api.md §8): retried as capacity.
      if (isCapacityMessage(phase.detail)) return failed("capacity", `Azure had no capacity for the container group: ${phase.detail}`);
      return failed("provisioningFailed", `Provisioning failed: ${phase.detail}`);
    case "unhealthy":
      // Spot groups that ACI evicts cycle Unhealthy ↔ Repairing without running (Airflow #47023, airflow-operator.md §9).
      return spot
        ? failed("spotEvicted", `The Spot container group was evicted (${phase.detail}).`)
        : failed("unhealthy", `The container group became unhealthy: ${phase.detail}`);
    case "stopped":
      return failed("stoppedOutside", `Container group stopped outside aci-jobs: ${phase.detail}.`);
    case "provisioning":
    case "running":
      // The watch only returns final states; this is a bug guard, not an expected path.
      return { ...common, outcome: "failed", reason: "activityFailed", retryable: false, detail: `Watch ended in state ${phase.phase}.` };
  }
}

/**
 * Joins the parts of a run's detail into sentences. A part that another follows gets a full stop when it
 * has none: an attempt's detail often ends with Azure's own message, which may not.
 */
function sentences(...parts: string[]): string {
  const present = parts.map((part) => part.trim()).filter((part) => part.length > 0);
  return present.map((part, i) => (i < present.length - 1 && !/[.!?]["')\]]?$/u.test(part) ? `${part}.` : part)).join(" ");
}

/** What the run was doing when a cancel reached it, for the run's detail. */
const CANCELED_WHILE: Record<RunPhase, string> = {
  queued: "waiting in line for a run slot",
  creating: "creating the container group",
  watching: "the container ran",
  collectingLogs: "reading the container's log",
  deleting: "deleting the container group",
  waitingToRetry: "waiting to retry",
  finished: "finishing",
};

/** Gives the run's slot back, or to the first run in line. */
function* releaseSlot(context: df.OrchestrationContext, input: RunInput): Generator<df.Task, void, unknown> {
  try {
    yield* callActivityWithRetry(context, Activities.releaseRunSlot, { jobId: input.job.id, runId: input.runId }, armCallRetry);
  } catch (error) {
    // Not fatal: the next trigger sees this run has ended and reclaims the slot.
    if (!context.df.isReplaying) context.warn(`run ${input.runId}: could not release its run slot: ${failureMessage(error)}`);
  }
}

/** How long a waiting run waits between asks for its slot: short at first, at most a minute. */
const QUEUE_FIRST_WAIT_MS = 5_000;
const QUEUE_MAX_WAIT_MS = 60_000;

/**
 * Waits in line for a run slot (overlap bufferOne, bufferAll, cancelOther; backfills). A run that ends
 * hands its slot to the first in line; the waiting run asks on a durable timer, so it starts even if the
 * app was idle or restarted meanwhile. False when the run was canceled while it waited (out of line then).
 */
function* waitForSlot(context: df.OrchestrationContext, input: RunInput, cancel: CancelSignal): Generator<df.Task, boolean, unknown> {
  const ask = { jobId: input.job.id, runId: input.runId, limit: input.job.maxActiveRuns };
  for (let wait = QUEUE_FIRST_WAIT_MS; ; wait = Math.min(QUEUE_MAX_WAIT_MS, wait * 2)) {
    const turn = yield* callActivityWithRetry(context, Activities.takeQueuedSlot, ask, armCallRetry);
    if (turn.acquired) return true;
    const progress: RunProgress = { phase: "queued", attempt: 0, groupName: "", attempts: [], queuePosition: turn.position };
    context.df.setCustomStatus(progress);
    if (yield* cancel.sleepsUntil(now(context) + wait, "queued")) {
      try {
        yield* callActivityWithRetry(context, Activities.leaveQueue, { jobId: input.job.id, runId: input.runId }, armCallRetry);
      } catch (error) {
        // Not fatal: the next start drops a line entry whose run has ended.
        if (!context.df.isReplaying) context.warn(`run ${input.runId}: could not leave the line: ${failureMessage(error)}`);
      }
      return false;
    }
  }
}

function canceledEnding(groupName: string, cancel: CancelSignal): Ending {
  return {
    outcome: "canceled",
    retryable: false,
    detail: `Canceled while ${CANCELED_WHILE[cancel.phase ?? "watching"]}; container group ${groupName} is deleted and the log read so far is kept.`,
  };
}

/** The watch a cancel left running, awaited: the log as far as it read it (or as before, if it failed). */
function* settleWatch(
  context: df.OrchestrationContext,
  runId: string,
  watch: Pending<WatchResult>,
  log: LogProgress,
): Generator<df.Task, LogProgress, unknown> {
  try {
    return progressOf(yield* settle(watch));
  } catch (error) {
    if (!context.df.isReplaying) context.warn(`run ${runId}: its watch failed after the cancel: ${failureMessage(error)}`);
    return log;
  }
}

function canceledSentence(cancellation: CancelRequest & { phase: RunPhase }): string {
  const by = cancellation.by ? ` by ${cancellation.by}` : "";
  const why = cancellation.reason ? ` (reason: ${cancellation.reason})` : "";
  return `Canceled${by} at ${cancellation.requestedAt} while ${CANCELED_WHILE[cancellation.phase]}${why}.`;
}

function summarise(
  input: RunInput,
  attempts: readonly AttemptRecord[],
  startedAt: number,
  finishedAt: number,
  note: string,
  lines: readonly string[] | undefined,
  cancellation: (CancelRequest & { phase: RunPhase }) | undefined,
): RunResult {
  const last = attempts.at(-1)!;
  const tries = attempts.length > 1 ? `All ${attempts.length} attempts failed.` : "";
  const leaked = attempts.filter((a) => a.cleanup === "failed").map((a) => a.groupName);
  const unknown = attempts.filter((a) => a.cleanup === "unknown").map((a) => a.groupName);
  const leakNote =
    (leaked.length > 0 ? `Not cleaned up: ${leaked.join(", ")}; the orphan sweeper deletes ${leaked.length === 1 ? "it" : "them"} within ${SWEEPER_PROMISE}.` : "") +
    (unknown.length > 0
      ? `${leaked.length > 0 ? " " : ""}Azure never said whether ${unknown.join(", ")} ${unknown.length === 1 ? "was" : "were"} created; if so, the orphan sweeper deletes ${unknown.length === 1 ? "it" : "them"} within ${SWEEPER_PROMISE}.`
      : "");
  return {
    runId: input.runId,
    jobId: input.job.id,
    status: cancellation ? "canceled" : last.outcome === "canceled" ? "failed" : last.outcome,
    detail: cancellation
      ? sentences(canceledSentence(cancellation), last.outcome === "canceled" ? "" : `Attempt ${last.attempt}: ${last.detail}`, leakNote)
      : sentences(last.detail, last.outcome === "failed" ? tries : "", note, leakNote),
    ...(last.exitCode === undefined ? {} : { exitCode: last.exitCode }),
    trigger: input.trigger,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    attempts,
    // Airflow's xcom_all: the last attempt's log, all lines or the last one (resultLogs "all" / "last").
    ...(lines && input.job.resultLogs !== "none" ? { logs: lines } : {}),
    ...(input.overrides ? { overrides: input.overrides } : {}),
    ...(cancellation ? { cancellation } : {}),
  };
}

function report(
  context: df.OrchestrationContext,
  input: RunInput,
  phase: RunPhase,
  attempt: number,
  groupName: string,
  attempts: readonly AttemptRecord[],
  extras: { readonly nextAttemptAt?: string; readonly cancelRequested?: CancelRequest } = {},
): void {
  const { nextAttemptAt, cancelRequested } = extras;
  const progress: RunProgress = {
    phase,
    attempt,
    groupName,
    ...(nextAttemptAt ? { nextAttemptAt } : {}),
    ...(cancelRequested ? { cancelRequested } : {}),
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
    const canceling = cancelRequested ? " (canceled)" : "";
    context.log(`run ${input.runId} attempt ${attempt}: ${phase}${nextAttemptAt ? ` until ${nextAttemptAt}` : ""}${canceling}`);
  }
}
