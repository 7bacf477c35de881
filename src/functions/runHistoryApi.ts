/**
 * @module
 * What happened, over HTTP: the list of runs (one job's or every job's), newest first, filtered and in
 * pages (src/runs/runIndex.ts), and one attempt's archived log as text (src/runs/logArchive.ts).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { JobRegistry } from "../jobs";
import { isIsoInstant } from "../jobs/instant";
import { HttpError, withProblemResponses } from "../http/problem";
import { Orchestrations, type RunInput, type RunProgress, type RunResult } from "../runs/contracts";
import type { LogArchive } from "../runs/logArchive";
import { InvalidContinuationToken, type RunIndex, type RunListQuery } from "../runs/runIndex";
import { ACTIVE_STATES, FINAL_STATES, isFinalState, summaryFromStatus, type RunSummary } from "../runs/runSummary";
import { findRun, type RunClient } from "../runs/startRun";
import { requireJob, requireRunId } from "./runsApi";

export interface RunHistoryApiDeps {
  readonly jobs: JobRegistry;
  /** Undefined without storage: listing answers 503. */
  readonly index: RunIndex | undefined;
  /** Undefined without storage: logs answer 503. */
  readonly archive: LogArchive | undefined;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
const MAX_TAIL = 100_000;
const STATES = [...ACTIVE_STATES, "active", ...FINAL_STATES] as const;
type StateFilter = (typeof STATES)[number];

interface ParameterProblem {
  readonly parameter: string;
  readonly problem: string;
}

export function createListJobRunsHandler(deps: RunHistoryApiDeps) {
  return withProblemResponses(async (request: HttpRequest, client: RunClient, _context: InvocationContext): Promise<HttpResponseInit> => {
    const job = requireJob(deps.jobs, request.params.job);
    return listRuns(deps, request, client, job.id);
  });
}

export function createListRunsHandler(deps: RunHistoryApiDeps) {
  return withProblemResponses(async (request: HttpRequest, client: RunClient, _context: InvocationContext): Promise<HttpResponseInit> =>
    listRuns(deps, request, client, undefined),
  );
}

async function listRuns(deps: RunHistoryApiDeps, request: HttpRequest, client: RunClient, job: string | undefined): Promise<HttpResponseInit> {
  const problems: ParameterProblem[] = [];
  const stateText = request.query.get("state") ?? undefined;
  const state = stateText === undefined ? undefined : (STATES as readonly string[]).includes(stateText) ? (stateText as StateFilter) : undefined;
  if (stateText !== undefined && state === undefined) problems.push({ parameter: "state", problem: `must be one of ${STATES.join(", ")}` });
  const sinceText = request.query.get("since") ?? undefined;
  if (sinceText !== undefined && !isIsoInstant(sinceText)) problems.push({ parameter: "since", problem: "must be an ISO 8601 time with a zone, e.g. 2026-11-28T00:00:00Z" });
  const limitText = request.query.get("limit") ?? undefined;
  const limit = limitText === undefined ? DEFAULT_LIMIT : /^[0-9]{1,3}$/u.test(limitText) ? Number(limitText) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) problems.push({ parameter: "limit", problem: `must be a whole number from 1 to ${MAX_LIMIT}` });
  const token = request.query.get("continuationToken") ?? undefined;
  if (problems.length > 0) throw badQuery(problems);
  if (!deps.index) throw new HttpError(503, "Runs cannot be listed: no storage is configured (set AzureWebJobsStorage or AzureWebJobsStorage__blobServiceUri).");

  // Queued, running and canceling runs are told apart by their orchestration, not by the index.
  const narrow = state !== undefined && !isFinalState(state) ? undefined : state;
  const query: RunListQuery = {
    ...(job === undefined ? {} : { job }),
    ...(state === undefined ? {} : { state: narrow ?? "active" }),
    ...(sinceText === undefined ? {} : { since: new Date(sinceText) }),
    limit,
    ...(token === undefined ? {} : { continuationToken: token }),
  };
  let page;
  try {
    page = await deps.index.list(query);
  } catch (error) {
    if (error instanceof InvalidContinuationToken) throw badQuery([{ parameter: "continuationToken", problem: error.message }]);
    throw error;
  }
  const runs = await Promise.all(page.runs.map((summary) => (isFinalState(summary.state) ? summary : current(client, summary))));
  // A run that ended without its end recorded (terminated, or its record failed) is recorded now, so the
  // lists by state find it (the daily retention pass does the same for runs nobody listed).
  const index = deps.index;
  await Promise.all(runs.filter((run, i) => isFinalState(run.state) && !isFinalState(page.runs[i]!.state)).map((run) => index.recordFinished(run).catch(() => undefined)));
  // An entry still listed as active may have ended since (its end not recorded yet): it leaves active lists.
  const wanted =
    state === undefined || isFinalState(state) ? runs : state === "active" ? runs.filter((run) => !isFinalState(run.state)) : runs.filter((run) => run.state === state);
  return { status: 200, jsonBody: { runs: wanted, continuationToken: page.continuationToken ?? null } };
}

/** An entry the index lists as active, as its orchestration now stands (it may have ended since). */
async function current(client: RunClient, summary: RunSummary): Promise<RunSummary> {
  const status = await findRun(client, summary.runId).catch(() => undefined);
  return status ? summaryFromStatus(summary, status) : summary;
}

function badQuery(problems: readonly ParameterProblem[]): HttpError {
  return new HttpError(400, `The query is not valid: ${problems.map((p) => `${p.parameter} ${p.problem}`).join("; ")}.`, { errors: problems });
}

export function createGetRunLogsHandler(deps: RunHistoryApiDeps) {
  return withProblemResponses(async (request: HttpRequest, client: RunClient, _context: InvocationContext): Promise<HttpResponseInit> => {
    const job = requireJob(deps.jobs, request.params.job);
    const runId = requireRunId(job, request.params.runId);
    const problems: ParameterProblem[] = [];
    const attemptText = request.query.get("attempt") ?? undefined;
    const attemptAsked = attemptText === undefined ? undefined : wholeNumber(attemptText, 1, 1_000);
    if (attemptText !== undefined && attemptAsked === undefined) problems.push({ parameter: "attempt", problem: "must be a whole number from 1" });
    const tailText = request.query.get("tail") ?? undefined;
    const tail = tailText === undefined ? undefined : wholeNumber(tailText, 1, MAX_TAIL);
    if (tailText !== undefined && tail === undefined) problems.push({ parameter: "tail", problem: `must be a whole number from 1 to ${MAX_TAIL.toLocaleString("en-US")}` });
    if (problems.length > 0) throw badQuery(problems);
    if (!deps.archive) throw new HttpError(503, "Logs cannot be read: no storage is configured (set AzureWebJobsStorage or AzureWebJobsStorage__blobServiceUri).");

    const status = await findRun(client, runId);
    const input = status?.input as RunInput | undefined;
    if (!status || status.name !== Orchestrations.runJob || input?.job.id !== job.id) throw new HttpError(404, `Job ${job.id} has no run ${runId}.`);
    const result = String(status.runtimeStatus) === "Completed" ? (status.output as RunResult) : undefined;
    const progress = status.customStatus as RunProgress | undefined;
    const attempts = result ? result.attempts.length : (progress?.attempt ?? 0);
    if (attempts === 0) throw new HttpError(404, `Run ${runId} has no attempt yet, so no log${progress?.phase === "queued" ? ": it waits in line for a run slot" : ""}.`);
    const attempt = attemptAsked ?? attempts;
    if (attempt > attempts) throw new HttpError(404, `Run ${runId} has ${attempts} attempt(s); there is no attempt ${attempt}.`);

    const record = result?.attempts.find((item) => item.attempt === attempt);
    const stream = await deps.archive.open({ runId, attempt }, tail === undefined ? {} : { tail });
    if (!stream) {
      const why = record && !record.logArchive
        ? "the run finished before its log was archived (a run from before the log archive, or one that ran without storage)"
        : record?.logArchive && record.logArchive.unarchived > 0 && record.logArchive.lines === 0
          ? "storage refused every line of it; the lines are in the function log"
          : "the attempt printed nothing yet, or its container never started";
      throw new HttpError(404, `Attempt ${attempt} of run ${runId} has no archived log: ${why}.`);
    }
    return {
      status: 200,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        ...(record?.logArchive ? { "x-aci-jobs-archived-lines": String(record.logArchive.lines), "x-aci-jobs-unarchived-lines": String(record.logArchive.unarchived) } : {}),
      },
      body: stream,
    };
  });
}

function wholeNumber(text: string, min: number, max: number): number | undefined {
  if (!/^[0-9]{1,9}$/u.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

export function registerRunHistoryApi(deps: RunHistoryApiDeps): void {
  df.app.client.http("listJobRuns", { route: "jobs/{job}/runs", methods: ["GET"], authLevel: "function", handler: createListJobRunsHandler(deps) });
  df.app.client.http("listRuns", { route: "runs", methods: ["GET"], authLevel: "function", handler: createListRunsHandler(deps) });
  df.app.client.http("getJobRunLogs", { route: "jobs/{job}/runs/{runId}/logs", methods: ["GET"], authLevel: "function", handler: createGetRunLogsHandler(deps) });
}
