/**
 * @module
 * The HTTP API for runs: start a run, read a run, cancel a run (the jobs' routes are in jobsApi.ts).
 * Handlers translate and validate, then delegate to src/runs; errors reach callers as problem+json.
 * authLevel "function": a function or host key is needed.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { JobSpec } from "../jobs/definition";
import type { JobRegistry } from "../jobs";
import { applyRunOverrides, overriddenFields } from "../jobs/overrides";
import { z } from "zod";
import { HttpError, withProblemResponses } from "../http/problem";
import { bodyProblems, invalidBody, readJsonBody, readValidBody, signedInUser, summarise } from "../http/request";
import { cancelRun, type CancelClient } from "../runs/cancelRun";
import { requestHashOf, type IdempotencyKeys } from "../runs/idempotency";
import { Orchestrations, watchInstanceId, type RunInput, type RunProgress } from "../runs/contracts";
import type { RunSlots } from "../runs/runSlots";
import type { RunIndex } from "../runs/runIndex";
import type { RunQueue } from "../runs/runQueue";
import { findRun, isRunIdOf, newRunId, startRun, type RunClient, type StartOutcome } from "../runs/startRun";
import { isIsoInstant } from "../jobs/instant";
import { slotsBetween } from "../jobs/schedule";
import { toRunView } from "../runs/runView";
import { runTimesFor } from "../runs/runTimes";

export interface RunsApiDeps {
  readonly jobs: JobRegistry;
  readonly defaultRegion: string;
  /** Undefined when no storage is configured; starting runs then answers 503. */
  readonly slots: RunSlots | undefined;
  /** Where Idempotency-Key headers are kept (with the run slots; undefined without storage). */
  readonly idempotency?: IdempotencyKeys | undefined;
  /** Where runs wait for a slot under the overlap policies bufferOne, bufferAll and cancelOther. */
  readonly queue?: RunQueue | undefined;
  /** Where runs are listed (GET …/runs). */
  readonly index?: RunIndex | undefined;
  readonly now?: () => Date;
  /** Waits between looks for the run a simultaneous request with the same key is starting. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export function createStartRunHandler(deps: RunsApiDeps) {
  return withProblemResponses(
    async (request: HttpRequest, client: RunClient, context: InvocationContext): Promise<HttpResponseInit> => {
      const job = requireJob(deps.jobs, request.params.job);
      // The body is the run's overrides (src/jobs/overrides.ts): checked against the job's allow-list
      // and merged onto a copy of the job before anything starts.
      const requestedAt = (deps.now ?? (() => new Date()))();
      const key = idempotencyKeyOf(request);
      const body = await readJsonBody(request);
      const applied = applyRunOverrides(job, body, requestedAt);
      if (!applied.ok) {
        throw new HttpError(400, `The request body is not a valid run request: ${summarise(applied.problems.map((p) => p.message))}.`, {
          errors: applied.problems,
        });
      }
      if (!deps.slots) {
        throw new HttpError(503, "Runs cannot start: no storage is configured (set AzureWebJobsStorage or AzureWebJobsStorage__blobServiceUri).");
      }
      const runId = newRunId(job.id, requestedAt);
      let release: (() => Promise<void>) | undefined;
      if (key !== undefined) {
        const claim = await claimKey(deps, client, job, key, requestHashOf(body), runId, requestedAt);
        if (claim.kind === "replay") {
          context.log(`Idempotency-Key of ${job.id} seen before: answering with its run ${claim.runId}`);
          const statusUrl = runUrl(request, job.id, claim.runId);
          return { status: 200, headers: { location: statusUrl }, jsonBody: { runId: claim.runId, job: job.id, statusUrl } };
        }
        release = claim.release;
      }
      let outcome;
      try {
        outcome = await startRun({
          client,
          job: applied.job,
          runId,
          trigger: { kind: "http" },
          defaultRegion: deps.defaultRegion,
          slots: deps.slots,
          ...(deps.queue ? { queue: deps.queue } : {}),
          ...(deps.index ? { index: deps.index } : {}),
          warn: (line: string) => context.warn(line),
          now: requestedAt,
          ...(applied.overrides ? { overrides: applied.overrides } : {}),
          times: runTimesFor(job, applied.overrides?.slot ? new Date(applied.overrides.slot) : undefined, requestedAt),
        });
      } catch (error) {
        // The key stays with a run that may exist; only one that certainly does not gives it back.
        if (release && !(await findRun(client, runId).catch(() => "unknown"))) await release().catch(() => undefined);
        throw error;
      }
      // The id is this request's own (random), so a run that "already exists" is this one: its start went
      // through and only the answer failed.
      if (!outcome.started && outcome.reason === "limitReached") {
        // No run was started, so a retry with the same key may try again.
        await release?.();
        const active = outcome.activeRunIds;
        context.log(`not starting a run of ${job.id}: ${active.length} active run(s) (${active.join(", ")}), limit ${job.maxActiveRuns}`);
        throw limitReached(job, active, outcome.waiting);
      }
      // Field names only: override values are plain, but a log is no place for a caller's data.
      const changed = overriddenFields(applied.overrides);
      const how = outcome.started && outcome.queued ? `queued run ${runId} of ${job.id}` : `started run ${runId} of ${job.id}`;
      context.log(`${how} on request${changed.length > 0 ? ` overriding ${changed.join(", ")}` : ""}`);
      const statusUrl = runUrl(request, job.id, runId);
      return {
        status: 202,
        headers: { location: statusUrl, "retry-after": "10" },
        jsonBody: { runId, job: job.id, statusUrl, ...queuedFields(outcome) },
      };
    },
  );
}

export function createGetRunHandler(deps: RunsApiDeps) {
  return withProblemResponses(
    async (request: HttpRequest, client: RunClient, _context: InvocationContext): Promise<HttpResponseInit> => {
      const job = requireJob(deps.jobs, request.params.job);
      const runId = requireRunId(job, request.params.runId);
      const status = await findRun(client, runId);
      const input = status?.input as RunInput | undefined;
      if (!status || status.name !== Orchestrations.runJob || input?.job.id !== job.id) {
        throw new HttpError(404, `Job ${job.id} has no run ${runId}.`);
      }
      const progress = status.customStatus as RunProgress | undefined;
      const watching = progress?.phase === "watching" ? await findRun(client, watchInstanceId(runId, progress.attempt)) : undefined;
      return { status: 200, jsonBody: toRunView(status, watching?.customStatus) };
    },
  );
}

/**
 * POST …/runs/{runId}/rerun: a new run with the run's own job snapshot (the definition as it was, its
 * overrides merged in), slot and times, and overrides, recording which run it reruns (Step Functions'
 * redrive starts from the failure; this starts the whole run again). It claims a slot like any start.
 */
export function createRerunHandler(deps: RunsApiDeps) {
  return withProblemResponses(
    async (request: HttpRequest, client: RunClient, context: InvocationContext): Promise<HttpResponseInit> => {
      const job = requireJob(deps.jobs, request.params.job);
      const originalId = requireRunId(job, request.params.runId);
      const original = await findRun(client, originalId);
      const input = original?.input as RunInput | undefined;
      if (!original || original.name !== Orchestrations.runJob || input?.job.id !== job.id) {
        throw new HttpError(404, `Job ${job.id} has no run ${originalId}.`);
      }
      if (!deps.slots) {
        throw new HttpError(503, "Runs cannot start: no storage is configured (set AzureWebJobsStorage or AzureWebJobsStorage__blobServiceUri).");
      }
      const requestedAt = (deps.now ?? (() => new Date()))();
      const runId = newRunId(job.id, requestedAt);
      const outcome = await startRun({
        client,
        job: input.job,
        runId,
        trigger: { kind: "rerun", rerunOf: originalId },
        defaultRegion: deps.defaultRegion,
        slots: deps.slots,
        ...(deps.queue ? { queue: deps.queue } : {}),
          ...(deps.index ? { index: deps.index } : {}),
          warn: (line: string) => context.warn(line),
        now: requestedAt,
        ...(input.overrides ? { overrides: input.overrides } : {}),
        // A run from before times were kept is rerun for now.
        times: input.times ?? runTimesFor(job, undefined, requestedAt),
      });
      if (!outcome.started && outcome.reason === "limitReached") {
        context.log(`not rerunning ${originalId}: ${outcome.activeRunIds.length} active run(s), limit ${job.maxActiveRuns}`);
        throw limitReached(job, outcome.activeRunIds, outcome.waiting);
      }
      context.log(`${outcome.started && outcome.queued ? "queued" : "started"} run ${runId} of ${job.id} on request, rerunning ${originalId}`);
      const statusUrl = runUrl(request, job.id, runId);
      return {
        status: 202,
        headers: { location: statusUrl, "retry-after": "10" },
        jsonBody: { runId, job: job.id, rerunOf: originalId, statusUrl, ...queuedFields(outcome) },
      };
    },
  );
}

/** The request's Idempotency-Key, as a token or a structured-field string ("…"), or undefined without one. */
function idempotencyKeyOf(request: HttpRequest): string | undefined {
  const raw = request.headers.get("idempotency-key");
  if (raw === null) return undefined;
  const key = /^"(.*)"$/su.exec(raw.trim())?.[1] ?? raw.trim();
  if (!/^[\x21-\x7e]([\x20-\x7e]{0,253}[\x21-\x7e])?$/u.test(key)) {
    throw new HttpError(400, "The Idempotency-Key header must be 1 to 255 printable ASCII characters (a UUID is a good key).", {
      errors: [{ field: "Idempotency-Key", message: "must be 1 to 255 printable ASCII characters" }],
    });
  }
  return key;
}

/** How long a request waits for the run a simultaneous request with its key is starting. */
const KEY_WAIT_DELAYS_MS = [100, 200, 400, 800, 1_600, 3_200];

/**
 * This request's claim on its key: new (start the run), or the run an earlier request with the same key
 * and body started. When that request is still starting it (simultaneous requests), waits for the run
 * to exist, a few seconds at most; a key given back meanwhile (that start failed) is claimed afresh.
 */
async function claimKey(
  deps: RunsApiDeps,
  client: RunClient,
  job: JobSpec,
  key: string,
  requestHash: string,
  runId: string,
  now: Date,
): Promise<{ kind: "new"; release: () => Promise<void> } | { kind: "replay"; runId: string }> {
  if (!deps.idempotency) throw new HttpError(503, "Idempotency keys cannot be kept: no storage is configured.");
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let round = 0; ; round++) {
    const claim = await deps.idempotency.claim(job.id, key, requestHash, runId, now);
    if (claim.kind === "mismatch") {
      throw new HttpError(422, `This Idempotency-Key was used for job ${job.id} within the last 24 hours with a different request body; use a new key for a new request.`);
    }
    if (claim.kind === "new") return claim;
    for (const delay of [0, ...KEY_WAIT_DELAYS_MS]) {
      if (delay > 0) await sleep(delay);
      if (await findRun(client, claim.runId)) return claim;
    }
    if (round > 0) break;
  }
  throw new HttpError(409, `A request with this Idempotency-Key is still starting its run of job ${job.id}; try again in a few seconds.`);
}

function limitReached(job: JobSpec, activeRunIds: readonly string[], waiting?: string): HttpError {
  if (waiting) {
    return new HttpError(409, `Job ${job.id} has an active run and run ${waiting} already waits for it (overlap bufferOne).`, { activeRuns: activeRunIds, waitingRun: waiting });
  }
  return new HttpError(409, `Job ${job.id} allows at most ${job.maxActiveRuns} active run(s) and that many are active (overlap ${job.overlap}).`, { activeRuns: activeRunIds });
}

/** For a run that waits in line: `state: "queued"`, and the runs cancelOther canceled for it. */
function queuedFields(outcome: StartOutcome) {
  if (!outcome.started || !outcome.queued) return {};
  return { state: "queued", ...(outcome.canceled ? { canceledRuns: outcome.canceled } : {}) };
}

/** Most slots one backfill request may cover (ours: a bigger range is several requests, each a batch to check). */
export const MAX_BACKFILL_SLOTS = 100;

const backfillBodySchema = z
  .object({
    from: z.string({ message: "from is required" }),
    to: z.string({ message: "to is required" }),
    order: z.enum(["oldestFirst", "newestFirst"], { message: "order must be oldestFirst or newestFirst" }).default("oldestFirst"),
  })
  .strict();

/**
 * POST /api/jobs/{job}/backfill: one run per slot of the job's schedule from `from` to `to` (both
 * included), in the order asked, each for its slot (its logical date and data interval). A backfill
 * never skips: runs that find the job's slots taken wait in line, whatever the job's overlap policy.
 */
export function createBackfillHandler(deps: RunsApiDeps) {
  return withProblemResponses(
    async (request: HttpRequest, client: RunClient, context: InvocationContext): Promise<HttpResponseInit> => {
      const job = requireJob(deps.jobs, request.params.job);
      const parsed = backfillBodySchema.safeParse((await readJsonBody(request)) ?? {});
      const problems = parsed.success ? [] : bodyProblems(parsed.error, "a backfill request has from, to and order");
      const requestedAt = (deps.now ?? (() => new Date()))();
      if (parsed.success) {
        for (const field of ["from", "to"] as const) {
          const text = parsed.data[field];
          if (!isIsoInstant(text)) problems.push({ field, message: `${field} is not an ISO 8601 time with its offset, such as 2026-11-27T00:00:00Z` });
          else if (Date.parse(text) > requestedAt.getTime()) problems.push({ field, message: `${field} ${text} is in the future; a backfill covers past slots` });
        }
        if (problems.length === 0 && Date.parse(parsed.data.from) > Date.parse(parsed.data.to)) problems.push({ field: "from", message: "from is after to" });
      }
      if (!parsed.success || problems.length > 0) throw invalidBody("backfill", problems);
      if (!job.schedule) throw new HttpError(409, `Job ${job.id} has no schedule, so it has no slots to backfill.`, { state: "unscheduled" });
      if (!deps.slots) throw new HttpError(503, "Runs cannot start: no storage is configured (set AzureWebJobsStorage or AzureWebJobsStorage__blobServiceUri).");
      const from = new Date(Date.parse(parsed.data.from) - 1);
      const to = new Date(Date.parse(parsed.data.to) + 1);
      const found = slotsBetween(job.schedule, from, to, MAX_BACKFILL_SLOTS);
      if (found.more > 0) {
        throw new HttpError(400, `The range covers more than ${MAX_BACKFILL_SLOTS} slots of job ${job.id}'s schedule; backfill at most ${MAX_BACKFILL_SLOTS} per request.`, {
          errors: [{ field: "to", message: `at most ${MAX_BACKFILL_SLOTS} slots per request` }],
        });
      }
      if (found.slots.length === 0) {
        throw new HttpError(400, `The range holds no slot of job ${job.id}'s schedule (${job.schedule.expression}, ${job.schedule.timeZone}).`, { errors: [{ field: "from", message: "no slot in the range" }] });
      }
      const ordered = parsed.data.order === "newestFirst" ? found.slots.toReversed() : found.slots;
      const runs: { slot: string; runId: string; state: "started" | "queued" }[] = [];
      for (const slot of ordered) {
        const runId = newRunId(job.id, requestedAt);
        const outcome = await startRun({
          client,
          job,
          runId,
          trigger: { kind: "backfill", slot: slot.toISOString() },
          times: runTimesFor(job, slot, requestedAt),
          defaultRegion: deps.defaultRegion,
          slots: deps.slots,
          ...(deps.queue ? { queue: deps.queue } : {}),
          ...(deps.index ? { index: deps.index } : {}),
          warn: (line: string) => context.warn(line),
          queueAlways: true,
          now: requestedAt,
        });
        if (!outcome.started) throw limitReached(job, outcome.reason === "limitReached" ? outcome.activeRunIds : []);
        runs.push({ slot: slot.toISOString(), runId, state: outcome.queued ? "queued" : "started" });
      }
      context.log(`backfill of ${job.id}: ${runs.length} run(s) for ${runs[0]!.slot} to ${runs.at(-1)!.slot} (${parsed.data.order})`);
      return { status: 202, jsonBody: { job: job.id, order: parsed.data.order, runs } };
    },
  );
}

/** The cancel request's body: optional, and only a reason. */
const cancelBodySchema = z
  .object({ reason: z.string().trim().min(1, { message: "reason must not be empty" }).max(500, { message: "reason may have at most 500 characters" }).optional() })
  .strict();

export function createCancelRunHandler(deps: RunsApiDeps) {
  return withProblemResponses(
    async (request: HttpRequest, client: CancelClient, context: InvocationContext): Promise<HttpResponseInit> => {
      const job = requireJob(deps.jobs, request.params.job);
      const runId = requireRunId(job, request.params.runId);
      const body = await readValidBody(request, cancelBodySchema, "cancel", "a cancel request may only have a reason");
      const by = signedInUser(request);
      const requestedAt = (deps.now ?? (() => new Date()))().toISOString();
      const outcome = await cancelRun(client, runId, { requestedAt, ...(by ? { by } : {}), ...(body.reason ? { reason: body.reason } : {}) });
      if (outcome.kind === "notFound") throw new HttpError(404, `Job ${job.id} has no run ${runId}.`);
      if (outcome.kind === "finished") {
        throw new HttpError(409, `Run ${runId} has already finished (${outcome.state}); there is nothing to cancel.`, { state: outcome.state });
      }
      context.log(`cancel of run ${runId} of ${job.id} requested${by ? ` by ${by}` : ""}`);
      const statusUrl = runUrl(request, job.id, runId);
      return { status: 202, headers: { location: statusUrl, "retry-after": "5" }, jsonBody: { runId, job: job.id, state: "canceling", statusUrl } };
    },
  );
}

/**
 * The run id from the URL, if it has a shape this app gives (src/runs/startRun.ts, isRunIdOf): only such
 * ids reach the Durable client. Anything else is not echoed: it may be long, or crafted to look like
 * something in a log.
 */
export function requireRunId(job: JobSpec, runId: string | undefined): string {
  if (runId === undefined || !isRunIdOf(job.id, runId)) {
    throw new HttpError(
      404,
      `Job ${job.id} has no run with that id. Run ids look like ${job.id}-20261128T093012Z-1a2b3c4d or ${job.id}-scheduled-20261128T000000Z.`,
    );
  }
  return runId;
}

export function requireJob(jobs: JobRegistry, id: string | undefined): JobSpec {
  const job = id ? jobs.get(id) : undefined;
  if (!job) throw new HttpError(404, `There is no job ${JSON.stringify(id ?? "")}. GET /api/jobs lists the jobs.`);
  return job;
}

function runUrl(request: HttpRequest, jobId: string, runId: string): string {
  return new URL(`/api/jobs/${encodeURIComponent(jobId)}/runs/${encodeURIComponent(runId)}`, request.url).toString();
}

/** Registers the HTTP functions with the Functions host. */
export function registerRunsApi(deps: RunsApiDeps): void {
  const startRunHandler = createStartRunHandler(deps);
  const getRunHandler = createGetRunHandler(deps);
  const cancelRunHandler = createCancelRunHandler(deps);
  const rerunHandler = createRerunHandler(deps);
  const backfillHandler = createBackfillHandler(deps);
  df.app.client.http("startJobRun", {
    route: "jobs/{job}/runs",
    methods: ["POST"],
    authLevel: "function",
    handler: (request, client, context) => startRunHandler(request, client, context),
  });
  df.app.client.http("getJobRun", {
    route: "jobs/{job}/runs/{runId}",
    methods: ["GET"],
    authLevel: "function",
    handler: (request, client, context) => getRunHandler(request, client, context),
  });
  df.app.client.http("backfillJob", {
    route: "jobs/{job}/backfill",
    methods: ["POST"],
    authLevel: "function",
    handler: (request, client, context) => backfillHandler(request, client, context),
  });
  df.app.client.http("rerunJobRun", {
    route: "jobs/{job}/runs/{runId}/rerun",
    methods: ["POST"],
    authLevel: "function",
    handler: (request, client, context) => rerunHandler(request, client, context),
  });
  df.app.client.http("cancelJobRun", {
    route: "jobs/{job}/runs/{runId}/cancel",
    methods: ["POST"],
    authLevel: "function",
    handler: (request, client, context) => cancelRunHandler(request, client, context),
  });
}
