/**
 * @module
 * The HTTP API: start a run, read a run, cancel a run, list jobs. Handlers translate and validate, then delegate to
 * src/runs; errors reach callers as problem+json. authLevel "function": a function or host key is needed.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { JobSpec } from "../jobs/definition";
import type { JobRegistry } from "../jobs";
import { applyRunOverrides, overriddenFields } from "../jobs/overrides";
import { nextSlots } from "../jobs/schedule";
import { formatInZone } from "../jobs/timeZone";
import { formatDuration } from "../jobs/duration";
import { z } from "zod";
import { HttpError, withProblemResponses } from "../http/problem";
import { cancelRun, type CancelClient } from "../runs/cancelRun";
import { Orchestrations, watchInstanceId, type RunInput, type RunProgress } from "../runs/contracts";
import type { RunSlots } from "../runs/runSlots";
import { findRun, isRunIdOf, newRunId, startRun, type RunClient } from "../runs/startRun";
import { toRunView } from "../runs/runView";
import { runTimesFor } from "../runs/runTimes";

export interface RunsApiDeps {
  readonly jobs: JobRegistry;
  readonly defaultRegion: string;
  /** Undefined when no storage is configured; starting runs then answers 503. */
  readonly slots: RunSlots | undefined;
  readonly now?: () => Date;
}

export function createStartRunHandler(deps: RunsApiDeps) {
  return withProblemResponses(
    async (request: HttpRequest, client: RunClient, context: InvocationContext): Promise<HttpResponseInit> => {
      const job = requireJob(deps.jobs, request.params.job);
      // The body is the run's overrides (src/jobs/overrides.ts): checked against the job's allow-list
      // and merged onto a copy of the job before anything starts.
      const requestedAt = (deps.now ?? (() => new Date()))();
      const applied = applyRunOverrides(job, await readJsonBody(request), requestedAt);
      if (!applied.ok) {
        throw new HttpError(400, `The request body is not a valid run request: ${summarise(applied.problems.map((p) => p.message))}.`, {
          errors: applied.problems,
        });
      }
      if (!deps.slots) {
        throw new HttpError(503, "Runs cannot start: no storage is configured (set AzureWebJobsStorage or AzureWebJobsStorage__blobServiceUri).");
      }
      const runId = newRunId(job.id, requestedAt);
      const outcome = await startRun({
        client,
        job: applied.job,
        runId,
        trigger: { kind: "http" },
        defaultRegion: deps.defaultRegion,
        slots: deps.slots,
        ...(applied.overrides ? { overrides: applied.overrides } : {}),
        times: runTimesFor(job, applied.overrides?.slot ? new Date(applied.overrides.slot) : undefined, requestedAt),
      });
      // The id is this request's own (random), so a run that "already exists" is this one: its start went
      // through and only the answer failed.
      if (!outcome.started && outcome.reason === "limitReached") {
        const active = outcome.activeRunIds;
        context.log(`not starting a run of ${job.id}: ${active.length} active run(s) (${active.join(", ")}), limit ${job.maxActiveRuns}`);
        throw new HttpError(409, `Job ${job.id} allows at most ${job.maxActiveRuns} active run(s) and that many are active.`, {
          activeRuns: active,
        });
      }
      // Field names only: override values are plain, but a log is no place for a caller's data.
      const changed = overriddenFields(applied.overrides);
      context.log(`started run ${runId} of ${job.id} on request${changed.length > 0 ? ` overriding ${changed.join(", ")}` : ""}`);
      const statusUrl = runUrl(request, job.id, runId);
      return {
        status: 202,
        headers: { location: statusUrl, "retry-after": "10" },
        jsonBody: { runId, job: job.id, statusUrl },
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

/** The cancel request's body: optional, and only a reason. */
const cancelBodySchema = z
  .object({ reason: z.string().trim().min(1, { message: "reason must not be empty" }).max(500, { message: "reason may have at most 500 characters" }).optional() })
  .strict();

export function createCancelRunHandler(deps: RunsApiDeps) {
  return withProblemResponses(
    async (request: HttpRequest, client: CancelClient, context: InvocationContext): Promise<HttpResponseInit> => {
      const job = requireJob(deps.jobs, request.params.job);
      const runId = requireRunId(job, request.params.runId);
      const body = cancelBodySchema.safeParse((await readJsonBody(request)) ?? {});
      if (!body.success) {
        const errors = body.error.issues.map((issue) => ({
          field: issue.path.join(".") || "(body)",
          message: issue.code === "unrecognized_keys" ? `${issue.keys.join(", ")}: a cancel request may only have a reason` : issue.message,
        }));
        throw new HttpError(400, `The request body is not a valid cancel request: ${summarise(errors.map((e) => `${e.field}: ${e.message}`))}.`, { errors });
      }
      const by = signedInUser(request);
      const requestedAt = (deps.now ?? (() => new Date()))().toISOString();
      const outcome = await cancelRun(client, runId, { requestedAt, ...(by ? { by } : {}), ...(body.data.reason ? { reason: body.data.reason } : {}) });
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

export function createListJobsHandler(deps: RunsApiDeps) {
  return withProblemResponses(async (_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const now = (deps.now ?? (() => new Date()))();
    return { status: 200, jsonBody: { jobs: deps.jobs.all.map((job) => describeJob(job, deps.defaultRegion, now)) } };
  });
}

function describeJob(job: JobSpec, defaultRegion: string, now: Date) {
  return {
    id: job.id,
    ...(job.description ? { description: job.description } : {}),
    schedule: job.schedule
      ? {
          expression: job.schedule.expression,
          ncrontab: job.schedule.ncrontab,
          timeZone: job.schedule.timeZone,
          // In the zone's local time with its offset (2026-03-30T09:00:00+02:00); UTC ones end in Z.
          nextFireTimes: nextSlots(job.schedule, now, 3).map((date) => fireTimeText(job.schedule!.timeZone, date)),
          ...(job.schedule.timeZone === "UTC" ? {} : { timerSchedule: job.schedule.timerSchedule }),
        }
      : null,
    maxActiveRuns: job.maxActiveRuns,
    retries: job.retries,
    retryDelay: formatDuration(job.retryDelay),
    timeout: formatDuration(job.timeout),
    container: {
      image: job.container.image,
      region: job.container.region ?? defaultRegion,
      cpu: job.container.cpu,
      memoryInGB: job.container.memoryInGB,
      ...(job.container.groupName ? { groupName: job.container.groupName } : {}),
    },
    /** What POST /api/jobs/{job}/runs may change for one run (the job's allow-list). */
    overrides: job.overrides,
  };
}

/**
 * The caller App Service Authentication signed in, when the app has it on (function keys name nobody).
 * The platform sets these headers itself and does not let external requests set them. The library
 * throws on an incomplete set, which then names nobody.
 */
function signedInUser(request: HttpRequest): string | undefined {
  try {
    return request.user?.username || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The run id from the URL, if it has a shape this app gives (src/runs/startRun.ts, isRunIdOf): only such
 * ids reach the Durable client. Anything else is not echoed: it may be long, or crafted to look like
 * something in a log.
 */
function requireRunId(job: JobSpec, runId: string | undefined): string {
  if (runId === undefined || !isRunIdOf(job.id, runId)) {
    throw new HttpError(
      404,
      `Job ${job.id} has no run with that id. Run ids look like ${job.id}-20261128T093012Z-1a2b3c4d or ${job.id}-scheduled-20261128T000000Z.`,
    );
  }
  return runId;
}

function fireTimeText(timeZone: string, at: Date): string {
  return timeZone === "UTC" ? at.toISOString() : formatInZone(timeZone, at.getTime());
}

function requireJob(jobs: JobRegistry, id: string | undefined): JobSpec {
  const job = id ? jobs.get(id) : undefined;
  if (!job) throw new HttpError(404, `There is no job ${JSON.stringify(id ?? "")}. GET /api/jobs lists the jobs.`);
  return job;
}

/**
 * Largest run request body: 64 KiB. Ours: it holds the largest valid request (a command of up to
 * 64 KiB, or up to 100 environment values) with room for JSON, and is far below the host's own limit.
 */
export const MAX_RUN_REQUEST_BYTES = 64 * 1024;

/** The body as JSON, or undefined when there is none; over {@link MAX_RUN_REQUEST_BYTES}, a 413. */
async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const text = await readBoundedText(request, MAX_RUN_REQUEST_BYTES);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, "The request body is not valid JSON.");
  }
}

/**
 * The body as UTF-8 text, refused with 413 when it is longer than `limit` bytes: at once when
 * Content-Length says so, otherwise as soon as the bytes read pass the limit (a missing or wrong
 * Content-Length does not let a larger body through).
 */
async function readBoundedText(request: HttpRequest, limit: number): Promise<string> {
  const tooLarge = () => new HttpError(413, `The request body is larger than ${limit / 1024} KiB, the most a run request may have.`);
  const declared = request.headers.get("content-length")?.trim();
  if (declared && /^[0-9]+$/u.test(declared) && Number(declared) > limit) throw tooLarge();
  const body = request.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (done) break;
      if (!value) continue;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  // As request.text() decodes: UTF-8, a leading BOM dropped, bad bytes replaced.
  return new TextDecoder().decode(Buffer.concat(chunks, size));
}

/** The first few problems joined for `detail`, and how many more `errors` has. */
function summarise(messages: readonly string[]): string {
  const shown = 5;
  const head = messages.slice(0, shown).join("; ");
  return messages.length > shown ? `${head}; and ${messages.length - shown} more (see errors)` : head;
}

function runUrl(request: HttpRequest, jobId: string, runId: string): string {
  return new URL(`/api/jobs/${encodeURIComponent(jobId)}/runs/${encodeURIComponent(runId)}`, request.url).toString();
}

/** Registers the HTTP functions with the Functions host. */
export function registerRunsApi(deps: RunsApiDeps): void {
  const startRunHandler = createStartRunHandler(deps);
  const getRunHandler = createGetRunHandler(deps);
  const cancelRunHandler = createCancelRunHandler(deps);
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
  df.app.client.http("cancelJobRun", {
    route: "jobs/{job}/runs/{runId}/cancel",
    methods: ["POST"],
    authLevel: "function",
    handler: (request, client, context) => cancelRunHandler(request, client, context),
  });
  app.http("listJobs", { route: "jobs", methods: ["GET"], authLevel: "function", handler: createListJobsHandler(deps) });
}
