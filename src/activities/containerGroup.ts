/**
 * @module
 * Activities over one container group. A factory over an injected {@link AciClient} and
 * {@link SecretResolver}, wired once in src/app.ts; nothing here reads settings. Terminal outcomes are
 * returned as tagged results, and only transient faults are thrown (so the orchestration's retry policy
 * retries exactly those).
 *
 * Secrets: the create activity resolves the definition's Key Vault references just before the group
 * goes to ACI, and the values live only in this activity's memory and the request. Everything a
 * container printed is redacted of those values here, before a line reaches the function log, the log
 * cursor, the tail or the result lines, all of which are stored in orchestration history.
 */
import type { InvocationContext } from "@azure/functions";
import type { AciClient, ArmRetry } from "../aci/client";
import { AciError, describeAciError, toAciError } from "../aci/errors";
import { containerNameFor, isOwnedBy, ownerOf, toContainerGroup } from "../aci/containerGroup";
import {
  ACI_LOG_LIMITS,
  boundedTail,
  estimateLinesDropped,
  logTimestampMs,
  parseTimestampedLog,
  takeNewLines,
  toLogTimestamp,
  type LogCursor,
  type LogLine,
} from "../aci/logs";
import { bounded, observeContainerGroup } from "../aci/observation";
import { registryUsernamesOf, secretReferencesOf } from "../jobs/container";
import { CREDENTIAL_UNAVAILABLE } from "../credentials";
import type { LogArchive } from "../runs/logArchive";
import { createRedactor, noSecretStore, type Redactor, type SecretResolver, type SecretUnavailable } from "../secrets";
import {
  Activities,
  DELETE_MAY_HAVE_WORKED,
  type ArchiveState,
  type AttemptRef,
  type CollectContainerLogsInput,
  type CollectContainerLogsResult,
  type CreateContainerGroupInput,
  type CreateContainerGroupResult,
  type DeleteContainerGroupInput,
  type DeleteContainerGroupResult,
  type ObserveContainerGroupInput,
  type ObserveContainerGroupResult,
  type LogProgress,
  type Redaction,
  progressOf,
} from "./contracts";

export type ContainerGroupApi = Pick<AciClient, "resourceGroup" | "get" | "create" | "logs" | "delete"> & {
  /** The same ARM client, telling `onRetry` of each retry (AciClient has it; test doubles need not). */
  reportingRetries?(onRetry: (retry: ArmRetry) => void): ContainerGroupApi;
};

const { stoppedLines: STOPPED_LOG_LINES, stoppedBytes: STOPPED_LOG_BYTES, runningBytes: RUNNING_LOG_BYTES } = ACI_LOG_LIMITS;

export interface ContainerGroupActivityOptions {
  /** The runs' log record; without it (no storage configured) lines go only to the function log. */
  readonly archive?: LogArchive;
  /** This deployment's name in the groups' `aci-jobs-app` tag (OWNERSHIP_TAGS), so its sweeper knows them. */
  readonly app?: string;
}

export function createContainerGroupActivities(
  aci: ContainerGroupApi,
  secrets: SecretResolver = noSecretStore,
  { archive, app }: ContainerGroupActivityOptions = {},
) {
  return {
    async [Activities.createContainerGroup](
      input: CreateContainerGroupInput,
      context: InvocationContext,
    ): Promise<CreateContainerGroupResult> {
      // Before anything goes to ACI: a secret that cannot be read means nothing is created (or replaced).
      // A transient Key Vault fault is thrown, so Durable retries the activity.
      // Key Vault's own errors name a secret, never its value; they go out as any other transient fault.
      const resolved = await guarded(NOTHING_TO_HIDE, () => secrets.resolve(secretReferencesOf(input.container)));
      if (!resolved.ok) {
        context.error(`${label(input)} ${describeUnavailable(resolved)}; no container group was created`);
        return { kind: "secretUnavailable", secret: resolved.secret, code: resolved.code, message: bounded(resolved.message) };
      }
      const redact = createRedactor(resolved.values.values(), registryUsernamesOf(input.container));
      try {
        return await createGroup(withRetryLog(aci, context, input, redact), input, app, resolved.values, redact, context);
      } catch (error) {
        // Terminal refusals (bad definition, quota, authorization) end the attempt with a reason; only
        // transient faults go back to Durable to retry. ARM's message is redacted in case it quotes a value.
        if (error instanceof AciError && !error.transient) {
          const message = redact(error.message);
          context.error(`${label(input)} ARM rejected container group ${input.groupName}: ${error.code}: ${message}`);
          return { kind: "rejected", code: error.code, message: bounded(message) };
        }
        throw transientFailure(error, redact);
      }
    },

    async [Activities.observeContainerGroup](
      input: ObserveContainerGroupInput,
      context: InvocationContext,
    ): Promise<ObserveContainerGroupResult> {
      // Resolved first, so no line is emitted unredacted. A Key Vault outage must not blind the watch (after
      // 30 minutes without a look it would give up on a healthy container): the look goes on, output withheld.
      const redaction = await redactorFor(secrets, input).catch((error: unknown) => keyVaultOutage(error));
      const redact = redactorOrCodesOnly(redaction);
      return guarded(redact, () =>
        terminalAsResult(input, context, "read", redact, async () => {
          const arm = withRetryLog(aci, context, input, redact);
          const group = await arm.get(input.groupName);
          if (!group) {
            context.warn(`${label(input)} container group ${input.groupName} no longer exists: deleted outside aci-jobs`);
            return { kind: "gone" } as const;
          }
          const observation = redactObservation(observeContainerGroup(group, containerNameFor(input.groupName)), redaction);
          if (observation.state.phase !== input.previousPhase) {
            context.log(`${label(input)} container group ${input.groupName}: ${describePhase(observation.state)}`);
          }
          // Stream while running; the final read after the container stops belongs to collectContainerLogs.
          let progress = progressOf(input);
          let fresh: StreamResult["fresh"] | undefined;
          if (observation.state.phase === "running" && !redaction.ok) {
            // Lines stay unread (the cursor does not move) until the secret can be read to hide it again.
            context.warn(`${label(input)} container output withheld: ${describeUnavailable(redaction)}, so its value could not be hidden`);
          } else if (observation.state.phase === "running" && redaction.ok) {
            try {
              const streamed = await streamNewLines(arm, archive, input, false, context, redaction.redact, undefined, input.readTail);
              progress = progressOf(streamed);
              fresh = streamed.fresh;
            } catch (error) {
              // Deleted between the GET and the log read: the group is gone, not refusing us.
              if (error instanceof AciError && error.code === "ResourceNotFound") {
                context.warn(`${label(input)} container group ${input.groupName} no longer exists: deleted outside aci-jobs`);
                return { kind: "gone" } as const;
              }
              throw error;
            }
          }
          return { kind: "observed", ...observation, ...progress, ...(fresh ? { fresh } : {}) } as const;
        }),
      );
    },

    async [Activities.collectContainerLogs](
      input: CollectContainerLogsInput,
      context: InvocationContext,
    ): Promise<CollectContainerLogsResult> {
      const unchanged = progressOf(input);
      const redaction = await guarded(NOTHING_TO_HIDE, () => redactorFor(secrets, input));
      if (!redaction.ok) {
        const reason = `container output withheld: ${describeUnavailable(redaction)}, so its value could not be hidden`;
        context.warn(`${label(input)} ${reason}`);
        return { ...unchanged, tail: [], linesMissed: false, available: false, error: bounded(reason) };
      }
      return guarded(redaction.redact, async () => {
        try {
          const streamed = await streamNewLines(withRetryLog(aci, context, input, redaction.redact), archive, input, input.stopped, context, redaction.redact, input.notAfter);
          if (streamed.linesMissed) {
            context.warn(`${label(input)} some log lines may be missing: ACI keeps only the last 1,000 lines / 16 KB of a stopped container's log`);
          }
          const lines = streamed.available ? resultLines(input.resultLogs, streamed.snapshot) : undefined;
          return {
            ...progressOf(streamed),
            tail: boundedTail(streamed.snapshot),
            ...(lines ? { lines } : {}),
            linesMissed: streamed.linesMissed,
            ...(streamed.missedEstimate === undefined ? {} : { linesMissedEstimate: streamed.missedEstimate }),
            available: streamed.available,
          };
        } catch (error) {
          if (isRefusalToReport(error)) {
            const message = redaction.redact(error.message);
            context.warn(`${label(input)} ARM refused the container's log: ${error.code}: ${message}`);
            return { ...unchanged, tail: [], linesMissed: false, available: false, error: bounded(`${error.code}: ${message}`) };
          }
          throw error;
        }
      });
    },

    async [Activities.deleteContainerGroup](
      input: DeleteContainerGroupInput,
      context: InvocationContext,
    ): Promise<DeleteContainerGroupResult> {
      // Deleting must not wait for Key Vault: without the values, ARM's text is reduced to its codes.
      const redaction = await redactorFor(secrets, input).catch((error: unknown) => keyVaultOutage(error));
      const redact = redactorOrCodesOnly(redaction);
      return guarded(redact, () =>
        terminalAsResult(input, context, "delete", redact, async () => {
          const arm = withRetryLog(aci, context, input, redact);
          if (input.onlyIfOwned) {
            const existing = await arm.get(input.groupName);
            // Gone after an earlier DELETE of ours may have worked: it was ours, and it is deleted.
            if (!existing) return input.earlierDeleteMayHaveWorked ? ({ kind: "deleted" } as const) : ({ kind: "neverCreated" } as const);
            if (!isOwnedBy(existing, input)) {
              const owner = ownerOf(existing);
              context.log(`${label(input)} container group ${input.groupName} belongs to ${owner}; left alone`);
              return { kind: "notOurs", owner } as const;
            }
          }
          const outcome = await arm.delete(input.groupName);
          // A DELETE whose answer was lost on an earlier try did the work: the group is gone because of this run.
          const deleted = outcome === "deleted" || input.earlierDeleteMayHaveWorked === true;
          context.log(
            deleted ? `${label(input)} container group ${input.groupName} deleted` : `${label(input)} container group ${input.groupName} was already gone`,
          );
          return deleted ? ({ kind: "deleted" } as const) : ({ kind: "alreadyGone" } as const);
        }),
      );
    },
  };
}

/**
 * The ARM client of one activity execution, logging each of its retries as a warning: ARM's code and
 * (redacted) message, and when the next try goes out, so a call that keeps failing is never silent.
 */
function withRetryLog(aci: ContainerGroupApi, context: InvocationContext, ref: AttemptRef, redact: Redactor): ContainerGroupApi {
  return (
    aci.reportingRetries?.(({ operation, error, retry, maxRetries, delayMs }) =>
      context.warn(
        `${label(ref)} ${operation} failed, trying again in ${(delayMs / 1000).toFixed(1)} s (retry ${retry} of ${maxRetries}): ${bounded(redact(describeAciError(error)))}`,
      ),
    ) ?? aci
  );
}

/**
 * Once a group exists, an identity that cannot get a token is thrown for Durable to retry rather than
 * ending the watch or the cleanup: giving up would leave a group running, and billing, over what may be a
 * blip. (At create, where nothing exists yet, the same failure ends the attempt at once.)
 */
function isRefusalToReport(error: unknown): error is AciError {
  return error instanceof AciError && !error.transient && error.code !== CREDENTIAL_UNAVAILABLE;
}

/**
 * Runs an ARM call and turns a terminal refusal into a `failed` result, so Durable does not retry what
 * cannot succeed (403, 400); transient faults, and credential failures ({@link isRefusalToReport}), are
 * still thrown for the retry policy.
 */
async function terminalAsResult<T>(
  ref: AttemptRef,
  context: InvocationContext,
  what: string,
  redact: Redactor,
  call: () => Promise<T>,
): Promise<T | { kind: "failed"; code: string; message: string }> {
  try {
    return await call();
  } catch (error) {
    if (isRefusalToReport(error)) {
      const message = redact(error.message);
      context.error(`${label(ref)} ARM refused to ${what} container group ${ref.groupName}: ${error.code}: ${message}`);
      return { kind: "failed", code: error.code, message: bounded(message) };
    }
    throw error;
  }
}

/**
 * Runs an activity body so that whatever it throws reaches Durable redacted. A thrown message is stored
 * in the TaskFailed event for good (also when a retry then succeeds), so it must never quote a value:
 * ARM's and the SDK's text is passed through `redact`, and the stack is rebuilt from the redacted message.
 */
async function guarded<T>(redact: Redactor, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw transientFailure(error, redact);
  }
}

/**
 * A transient fault as Durable will store it: ARM's code first (so the run can classify it), redacted; a
 * DELETE that may have gone through says so first, for the next try.
 */
function transientFailure(error: unknown, redact: Redactor): Error {
  if (error instanceof TransientAzureFault) return error;
  const aci = error instanceof AciError || (error as { statusCode?: unknown } | null)?.statusCode !== undefined ? toAciError(error) : undefined;
  const text = aci ? describeAciError(aci) : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const deleteNote = aci?.mayHaveBeenCarriedOut ? `${DELETE_MAY_HAVE_WORKED} ` : "";
  return new TransientAzureFault(`${deleteNote}${bounded(redact(text))}`);
}

class TransientAzureFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransientAzureFault";
    // The frames are this module's; the first line of a stack repeats the message, so it is rebuilt too.
    this.stack = `${this.name}: ${message}`;
  }
}

async function createGroup(
  aci: ContainerGroupApi,
  input: CreateContainerGroupInput,
  app: string | undefined,
  secrets: ReadonlyMap<string, string>,
  redact: Redactor,
  context: InvocationContext,
): Promise<CreateContainerGroupResult> {
  const owner = { jobId: input.jobId, runId: input.runId, attempt: input.attempt };
  const existing = await aci.get(input.groupName);
  let replaced: string | undefined;
  if (existing) {
    if (isOwnedBy(existing, owner)) {
      // This activity ran before and its response was lost; the group is already ours.
      return { kind: "created", alreadyOurs: true, resourceGroup: aci.resourceGroup, operationStatus: existing.provisioningState ?? "Unknown" };
    }
    replaced = ownerOf(existing);
    if (input.container.failIfExists) {
      context.warn(`${label(input)} container group ${input.groupName} already exists (${replaced}); fail_if_exists is set, so it is left alone`);
      return { kind: "exists", owner: replaced };
    }
    // fail_if_exists=false: Airflow PUTs over the old group. A PUT that changes only tags would not restart
    // a finished container, and the run would read the old group's exit code; so replace it instead.
    context.log(`${label(input)} replacing container group ${input.groupName} left by ${replaced}`);
    await aci.delete(input.groupName);
  }
  const tagged = { ...owner, ...(app ? { app } : {}), ...(input.mayKeep ? { mayKeep: true } : {}) };
  const group = toContainerGroup({ groupName: input.groupName, region: input.region, container: input.container, owner: tagged, secrets });
  const result = await aci.create(input.groupName, group);
  context.log(
    `${label(input)} container group ${input.groupName} accepted in ${input.region} (image ${input.container.image}, ` +
      `${input.container.cpu} CPU, ${input.container.memoryInGB} GB); ${redact(describeOperation(result))}`,
  );
  return { kind: "created", alreadyOurs: false, resourceGroup: aci.resourceGroup, operationStatus: result.operationStatus, ...(replaced ? { replaced } : {}) };
}

interface StreamResult extends LogProgress {
  readonly snapshot: readonly string[];
  /** Lines (and their bytes, with a line break each) this read found that earlier ones had not, and when the first was written. */
  readonly fresh: { readonly lines: number; readonly bytes: number; readonly firstAt?: number };
  readonly linesMissed: boolean;
  /** About how many lines ACI had dropped, when some were (its API cannot say exactly). */
  readonly missedEstimate?: number;
  readonly available: boolean;
}

/**
 * Reads the log snapshot, redacts it, appends the lines not yet read to the attempt's log record (exactly
 * once) and to the function log (at least once: a look that runs twice writes them twice), and advances
 * the cursor. Redaction comes first, so neither the cursor's remembered texts nor the record hold a value.
 */
async function streamNewLines(
  aci: ContainerGroupApi,
  archive: LogArchive | undefined,
  input: AttemptRef & LogProgress,
  stopped: boolean,
  context: InvocationContext,
  redact: Redactor,
  notAfter?: string,
  tail?: number,
): Promise<StreamResult> {
  const container = containerNameFor(input.groupName);
  let content = await aci.logs(input.groupName, container, tail);
  // The tail must reach back past the cursor, or lines between would be skipped: then read it all.
  if (tail !== undefined && content !== undefined && !reachesBack(parseTimestampedLog(content), tail, input.cursor)) {
    content = await aci.logs(input.groupName, container);
  }
  const unchanged = progressOf(input);
  if (content === undefined) return { ...unchanged, snapshot: [], fresh: { lines: 0, bytes: 0 }, linesMissed: false, available: false };
  const limit = notAfter === undefined ? undefined : toLogTimestamp(notAfter);
  const snapshot = parseTimestampedLog(content)
    .filter((line) => limit === undefined || line.timestamp <= limit)
    .map((line) => ({ timestamp: line.timestamp, text: redact(line.text) }));
  const bytes = Buffer.byteLength(content);
  const atCap = stopped ? snapshot.length >= STOPPED_LOG_LINES || bytes >= STOPPED_LOG_BYTES : bytes >= RUNNING_LOG_BYTES - 64 * 1024;
  const fresh = takeNewLines(snapshot, input.cursor, atCap);
  const missedEstimate = fresh.gap ? estimateLinesDropped(snapshot, input.cursor) : undefined;
  const archived = archive && input.archive ? await archiveLines(archive, { ...input, archive: input.archive }, fresh.lines, fresh.gap, fresh.cursor.emitted, context) : undefined;
  for (const line of fresh.lines) context.log(`${label(input)} | ${line.text}`);
  return {
    cursor: fresh.cursor,
    ...(archived ? { archive: archived } : {}),
    snapshot: snapshot.map((line) => line.text),
    fresh: {
      lines: fresh.lines.length,
      bytes: fresh.lines.reduce((sum, line) => sum + Buffer.byteLength(line.text) + 1, 0),
      ...(fresh.lines[0] ? { firstAt: logTimestampMs(fresh.lines[0].timestamp) } : {}),
    },
    linesMissed: fresh.gap,
    ...(missedEstimate === undefined ? {} : { missedEstimate }),
    available: true,
  };
}

/** Whether a tail of the log holds everything after the cursor: it is the whole log, or starts before the cursor's time. */
function reachesBack(lines: readonly LogLine[], tail: number, cursor: LogCursor): boolean {
  if (lines.length < tail) return true;
  const first = lines[0];
  return cursor.lastTimestamp !== null && first !== undefined && first.timestamp < cursor.lastTimestamp;
}

/**
 * Appends a look's new lines to the attempt's record, marking where lines were lost: cut by ACI before they
 * could be read, or taken by an earlier look that storage failed for. The chunk depends only on the input
 * and the snapshot, so a second execution of the same look appends the same lines, and the archive skips
 * what the first one wrote. A storage fault never fails the look: the lines go to the function log
 * anyway, and the next look marks them as missing from the record.
 */
async function archiveLines(
  archive: LogArchive,
  input: AttemptRef & LogProgress & { archive: ArchiveState },
  lines: readonly LogLine[],
  gap: boolean,
  emittedAfter: number,
  context: InvocationContext,
): Promise<ArchiveState> {
  const state = input.archive;
  const unarchived = input.cursor.emitted - state.covered;
  const chunk = [
    ...(unarchived > 0 ? [`[aci-jobs] ${unarchived} line(s) could not be archived here: storage failed; they are in the function log.`] : []),
    ...(gap ? ["[aci-jobs] lines lost here: ACI keeps only the last 1,000 lines / 16 KB of a stopped container's log."] : []),
    ...lines.map((line) => `${line.timestamp} ${line.text}`),
  ];
  if (chunk.length === 0) return state;
  try {
    const position = await archive.append({ runId: input.runId, attempt: input.attempt }, state, chunk);
    return { ...position, covered: emittedAfter, failed: state.failed };
  } catch (error) {
    context.warn(`${label(input)} could not archive ${lines.length} log line(s): ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    return { ...state, failed: state.failed + lines.length };
  }
}

/**
 * The run result's lines per the job's resultLogs (Airflow's xcom_all): "all" is every line of the final
 * snapshot, which after the container stopped is what ACI still holds (at most 1,000 lines / 16 KB);
 * read earlier (a run that timed out) it is cut to the same size, newest kept, to bound history. "last"
 * is the last line, as Airflow's `logs[-1:]`.
 */
function resultLines(resultLogs: CollectContainerLogsInput["resultLogs"], snapshot: readonly string[]): string[] | undefined {
  switch (resultLogs) {
    case "none":
      return undefined;
    case "last":
      return snapshot.slice(-1);
    case "all": {
      const kept: string[] = [];
      let bytes = 0;
      for (let i = snapshot.length - 1; i >= 0 && kept.length < STOPPED_LOG_LINES; i--) {
        bytes += Buffer.byteLength(snapshot[i]!) + 1;
        if (bytes > STOPPED_LOG_BYTES) break;
        kept.unshift(snapshot[i]!);
      }
      return kept;
    }
  }
}

type RedactionOutcome = { readonly ok: true; readonly redact: Redactor } | SecretUnavailable;

const NOTHING_TO_HIDE: Redactor = (text) => text;

/** The redactor for an activity's `redact` references; throws for transient Key Vault faults. */
async function redactorFor(secrets: SecretResolver, input: Redaction): Promise<RedactionOutcome> {
  if (input.redact.length === 0) return { ok: true, redact: NOTHING_TO_HIDE };
  const values = await secrets.redactionValues(input.redact);
  return values.ok ? { ok: true, redact: createRedactor(values.values, input.redactUsernames ?? []) } : values;
}

/**
 * When the values cannot be read, ARM's and the SDK's free text could still quote one: keep only what
 * cannot, the codes and statuses ("TooManyRequests (HTTP 429)"), and drop the rest.
 */
function redactorOrCodesOnly(redaction: RedactionOutcome): Redactor {
  if (redaction.ok) return redaction.redact;
  return (text) => {
    const head = /^[A-Za-z][A-Za-z0-9]*(?: \(HTTP \d{3}\))?/u.exec(text)?.[0];
    return head ? `${head}: (message withheld: the secrets to hide in it could not be read)` : "(message withheld: the secrets to hide in it could not be read)";
  };
}


/** A transient Key Vault fault, as an outcome under which output is withheld (the cursor does not move). */
function keyVaultOutage(error: unknown): SecretUnavailable {
  const code = typeof (error as { code?: unknown } | null)?.code === "string" ? (error as { code: string }).code : "KeyVaultUnavailable";
  return { ok: false, secret: "(any)", code, message: "Key Vault did not answer; output is read again once it does" };
}

const WITHHELD = "(withheld: a Key Vault secret needed to hide values could not be read)";

/**
 * ACI's events and state details are platform text, but a failing command line could quote a value.
 * When the values cannot be read, the text is withheld rather than passed on unredacted.
 */
function redactObservation<T extends ReturnType<typeof observeContainerGroup>>(observation: T, redaction: RedactionOutcome): T {
  const redact = redaction.ok ? redaction.redact : () => WITHHELD;
  const state = "detail" in observation.state && typeof observation.state.detail === "string" ? { ...observation.state, detail: redact(observation.state.detail) } : observation.state;
  return { ...observation, state, events: observation.events.map(redact) };
}

function describeUnavailable(failure: SecretUnavailable): string {
  return `Key Vault secret ${failure.secret} could not be read (${failure.code}): ${failure.message}`;
}

/** The group's provisioning state in ARM's answer to the PUT, in words; the watch reads how it goes on. */
function describeOperation(result: { operationStatus: string }): string {
  switch (result.operationStatus.toLowerCase()) {
    case "succeeded":
      return "provisioned";
    case "failed":
      return "provisioning failed";
    default:
      return "provisioning underway";
  }
}

function label(ref: AttemptRef): string {
  return `[${ref.jobId} run ${ref.runId} attempt ${ref.attempt}]`;
}

function describePhase(state: ReturnType<typeof observeContainerGroup>["state"]): string {
  switch (state.phase) {
    case "provisioning":
      return `provisioning (${state.detail})`;
    case "running":
      return "running";
    case "exited":
      return `container exited with code ${state.exitCode}${state.detailStatus ? ` (${state.detailStatus})` : ""}`;
    case "provisioningFailed":
      return `provisioning failed: ${state.detail}`;
    case "unhealthy":
      return `unhealthy: ${state.detail}`;
    case "stopped":
      return state.detail;
  }
}
