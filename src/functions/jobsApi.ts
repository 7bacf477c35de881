/**
 * @module
 * The HTTP API for jobs: list them, read one (its pause, its schedule record and next fire times), and
 * pause or resume its schedule. A pause stops timer firings only; runs on request still start (as
 * Temporal's paused schedules still take manual triggers). Errors reach callers as problem+json.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { z } from "zod";
import type { JobRegistry } from "../jobs";
import type { JobSpec } from "../jobs/definition";
import { formatDuration } from "../jobs/duration";
import { nextSlots } from "../jobs/schedule";
import { formatInZone } from "../jobs/timeZone";
import { HttpError, withProblemResponses } from "../http/problem";
import { readValidBody, signedInUser } from "../http/request";
import { EMPTY_JOB_STATE, type JobState, type JobStateStore } from "../runs/jobState";
import { requireJob } from "./runsApi";

export interface JobsApiDeps {
  readonly jobs: JobRegistry;
  readonly defaultRegion: string;
  /** Undefined when no storage is configured: jobs are listed, but pausing answers 503. */
  readonly jobState?: JobStateStore | undefined;
  readonly now?: () => Date;
}

/** Schedule actions GET /api/jobs/{job} shows, newest first (the record keeps 100). */
const ACTIONS_SHOWN = 10;
const FIRE_TIMES_SHOWN = 10;

export function createListJobsHandler(deps: JobsApiDeps) {
  return withProblemResponses(async (_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const now = clock(deps)();
    const states = await Promise.all(deps.jobs.all.map((job) => stateOf(deps, job)));
    const jobs = deps.jobs.all.map((job, index) => ({ ...describeJob(job, deps.defaultRegion, now, 3), paused: states[index]!.paused }));
    return { status: 200, jsonBody: { jobs } };
  });
}

export function createGetJobHandler(deps: JobsApiDeps) {
  return withProblemResponses(async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const job = requireJob(deps.jobs, request.params.job);
    const state = await stateOf(deps, job);
    return { status: 200, jsonBody: view(job, state, deps) };
  });
}

const pauseBodySchema = z
  .object({ note: z.string().trim().min(1, { message: "note must not be empty" }).max(500, { message: "note may have at most 500 characters" }).optional() })
  .strict();

export function createPauseJobHandler(deps: JobsApiDeps) {
  return withProblemResponses(async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const job = requireJob(deps.jobs, request.params.job);
    const body = await readValidBody(request, pauseBodySchema, "pause", "a pause request may only have a note");
    const store = requireStore(deps, job);
    const by = signedInUser(request);
    const pause = { since: clock(deps)().toISOString(), ...(body.note ? { note: body.note } : {}), ...(by ? { by } : {}) };
    const seen: { paused: JobState["paused"] } = { paused: null };
    const state = await store.update(job.id, (current) => {
      seen.paused = current.paused;
      return current.paused ? undefined : { ...current, paused: pause };
    });
    const already = seen.paused;
    if (already) throw new HttpError(409, `Job ${job.id} is already paused (${describePause(already)}).`, { state: "paused", paused: already });
    context.log(`schedule of ${job.id} paused${by ? ` by ${by}` : ""}${pause.note ? `: ${pause.note}` : ""}`);
    return { status: 200, jsonBody: view(job, state, deps) };
  });
}

export function createResumeJobHandler(deps: JobsApiDeps) {
  return withProblemResponses(async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const job = requireJob(deps.jobs, request.params.job);
    const store = requireStore(deps, job);
    const seen: { paused: JobState["paused"] } = { paused: null };
    // Resuming starts the failure count afresh: pauseAfterFailures pauses again after N new failures.
    const state = await store.update(job.id, (current) => {
      seen.paused = current.paused;
      return current.paused ? { ...current, paused: null, consecutiveScheduledFailures: 0 } : undefined;
    });
    const was = seen.paused;
    if (!was) throw new HttpError(409, `Job ${job.id} is not paused.`, { state: "active" });
    const by = signedInUser(request);
    context.log(`schedule of ${job.id} resumed${by ? ` by ${by}` : ""} (paused ${describePause(was)})`);
    return { status: 200, jsonBody: view(job, state, deps) };
  });
}

/** A job as GET /api/jobs lists it; `fireTimes` next fire times (3 in the list, 10 for one job). */
export function describeJob(job: JobSpec, defaultRegion: string, now: Date, fireTimes: number) {
  return {
    id: job.id,
    ...(job.description ? { description: job.description } : {}),
    schedule: job.schedule
      ? {
          expression: job.schedule.expression,
          ncrontab: job.schedule.ncrontab,
          timeZone: job.schedule.timeZone,
          // In the zone's local time with its offset (2026-03-30T09:00:00+02:00); UTC ones end in Z.
          nextFireTimes: nextSlots(job.schedule, now, fireTimes).map((date) => fireTimeText(job.schedule!.timeZone, date)),
          ...(job.schedule.timeZone === "UTC" ? {} : { timerSchedule: job.schedule.timerSchedule }),
        }
      : null,
    maxActiveRuns: job.maxActiveRuns,
    ...(job.pauseAfterFailures === undefined ? {} : { pauseAfterFailures: job.pauseAfterFailures }),
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

function view(job: JobSpec, state: JobState, deps: JobsApiDeps) {
  return {
    ...describeJob(job, deps.defaultRegion, clock(deps)(), FIRE_TIMES_SHOWN),
    paused: state.paused,
    ...(job.pauseAfterFailures === undefined ? {} : { consecutiveScheduledFailures: state.consecutiveScheduledFailures }),
    scheduleRecord: state.actions.slice(0, ACTIONS_SHOWN),
  };
}

function fireTimeText(timeZone: string, at: Date): string {
  return timeZone === "UTC" ? at.toISOString() : formatInZone(timeZone, at.getTime());
}

function describePause(paused: NonNullable<JobState["paused"]>): string {
  return `since ${paused.since}${paused.by ? ` by ${paused.by}` : ""}${paused.note ? `: ${paused.note}` : ""}`;
}

async function stateOf(deps: JobsApiDeps, job: JobSpec): Promise<JobState> {
  return job.schedule && deps.jobState ? deps.jobState.read(job.id) : EMPTY_JOB_STATE;
}

function requireStore(deps: JobsApiDeps, job: JobSpec): JobStateStore {
  if (!job.schedule) throw new HttpError(409, `Job ${job.id} has no schedule: pausing stops timer firings, and it has none. Runs on request are not paused.`, { state: "unscheduled" });
  if (!deps.jobState) throw new HttpError(503, "Schedules cannot be paused: no storage is configured (set AzureWebJobsStorage or AzureWebJobsStorage__blobServiceUri).");
  return deps.jobState;
}

const clock = (deps: JobsApiDeps) => deps.now ?? (() => new Date());

/** Registers the job routes with the Functions host. */
export function registerJobsApi(deps: JobsApiDeps): void {
  app.http("listJobs", { route: "jobs", methods: ["GET"], authLevel: "function", handler: createListJobsHandler(deps) });
  app.http("getJob", { route: "jobs/{job}", methods: ["GET"], authLevel: "function", handler: createGetJobHandler(deps) });
  app.http("pauseJob", { route: "jobs/{job}/pause", methods: ["POST"], authLevel: "function", handler: createPauseJobHandler(deps) });
  app.http("resumeJob", { route: "jobs/{job}/resume", methods: ["POST"], authLevel: "function", handler: createResumeJobHandler(deps) });
}
