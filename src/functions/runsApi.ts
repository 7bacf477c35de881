/**
 * @module
 * The HTTP API: start a run, read a run, list jobs. Handlers translate and validate, then delegate to
 * src/runs; errors reach callers as problem+json. authLevel "function": a function or host key is needed.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { JobSpec } from "../jobs/definition";
import type { JobRegistry } from "../jobs";
import { applyRunOverrides, overriddenFields } from "../jobs/overrides";
import { nextOccurrences } from "../jobs/schedule";
import { formatDuration } from "../jobs/duration";
import { HttpError, withProblemResponses } from "../http/problem";
import { Orchestrations, watchInstanceId, type RunInput, type RunProgress } from "../runs/contracts";
import type { RunSlots } from "../runs/runSlots";
import { findRun, newRunId, startRun, type RunClient } from "../runs/startRun";
import { toRunView } from "../runs/runView";

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
      const applied = applyRunOverrides(job, await readJsonBody(request));
      if (!applied.ok) {
        throw new HttpError(400, `The request body is not a valid run request: ${applied.problems.map((p) => p.message).join("; ")}.`, {
          errors: applied.problems,
        });
      }
      if (!deps.slots) {
        throw new HttpError(503, "Runs cannot start: no storage is configured (set AzureWebJobsStorage or AzureWebJobsStorage__blobServiceUri).");
      }
      const runId = newRunId(job.id, (deps.now ?? (() => new Date()))());
      const outcome = await startRun({
        client,
        job: applied.job,
        runId,
        trigger: { kind: "http" },
        defaultRegion: deps.defaultRegion,
        slots: deps.slots,
        ...(applied.overrides ? { overrides: applied.overrides } : {}),
      });
      if (!outcome.started) {
        const active = outcome.reason === "limitReached" ? outcome.activeRunIds : [outcome.runId];
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
      const runId = request.params.runId ?? "";
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
          timeZone: "UTC",
          nextFireTimes: nextOccurrences(job.schedule.ncrontab, now, 3).map((date) => date.toISOString()),
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

function requireJob(jobs: JobRegistry, id: string | undefined): JobSpec {
  const job = id ? jobs.get(id) : undefined;
  if (!job) throw new HttpError(404, `There is no job ${JSON.stringify(id ?? "")}. GET /api/jobs lists the jobs.`);
  return job;
}

/** The body as JSON, or undefined when there is none. */
async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, "The request body is not valid JSON.");
  }
}

function runUrl(request: HttpRequest, jobId: string, runId: string): string {
  return new URL(`/api/jobs/${encodeURIComponent(jobId)}/runs/${encodeURIComponent(runId)}`, request.url).toString();
}

/** Registers the three HTTP functions with the Functions host. */
export function registerRunsApi(deps: RunsApiDeps): void {
  const startRunHandler = createStartRunHandler(deps);
  const getRunHandler = createGetRunHandler(deps);
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
  app.http("listJobs", { route: "jobs", methods: ["GET"], authLevel: "function", handler: createListJobsHandler(deps) });
}
