/**
 * The two hosts the conformance suite compares, behind one interface: the local Functions host on the
 * real Durable Task extension (Azurite, a real-time ACI emulator, HTTP on a free port) and the in-process
 * host (virtual time, its own emulator). Both run the same app with the same jobs and probes, and both
 * journal every orchestrator episode the way the worker sees it.
 */
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import type { AciEmulator, FaultRule } from "../../dev/aci-emulator";
import { VirtualClock } from "../../dev/clock";
import type { EpisodeRecord } from "../../dev/durable-host/episodeJournal";
import type { LocalFunctionsHost } from "../../dev/functions-host";
import { startLocalStack } from "../../dev/functions-host/localStack";
import { freePort, startAzurite } from "../../dev/local/azurite";
import { startEmulatedApp, type LocalApp } from "../../dev/local/localApp";
import { createCancelRunHandler, createGetRunHandler, createStartRunHandler, type RunsApiDeps } from "../../src/functions/runsApi";
import { createListJobRunsHandler } from "../../src/functions/runHistoryApi";
import { createScheduledRunHandler, timerFunctionName } from "../../src/functions/scheduledRuns";
import { findRun } from "../../src/runs/startRun";
import { CONFORMANCE_JOBS } from "./fixtures/jobs";
import { registerProbes } from "./fixtures/probes";

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

export interface InstanceOutcome {
  readonly runtimeStatus: string;
  readonly output: unknown;
  readonly customStatus: unknown;
}

export interface Side {
  readonly name: "real extension" | "in-process host";
  readonly emulator: AciEmulator;
  journal(): EpisodeRecord[];
  post(jobId: string, body?: string): Promise<HttpAnswer>;
  get(jobId: string, runId: string): Promise<HttpAnswer>;
  /** Fires the job's timer function now and returns the run id its schedule slot names. */
  fireTimer(jobId: string): Promise<void>;
  startOrchestration(name: string, instanceId: string, input?: unknown): Promise<void>;
  cancel(jobId: string, runId: string, body?: string): Promise<HttpAnswer>;
  /**
   * Starts a run of `jobId` and cancels it (POST …/cancel with `body`) right after the watch's look that
   * first saw its container running: on the real host by polling the run's view, in-process from inside
   * that look, before virtual time moves on.
   */
  startAndCancelWhenRunning(jobId: string, body?: string): Promise<{ runId: string; canceling: HttpAnswer }>;
  waitFor(instanceId: string, timeoutMs?: number): Promise<InstanceOutcome>;
  /** GET /api/jobs/{job}/runs. */
  listRuns(jobId: string): Promise<HttpAnswer>;
  /** Purges an instance's history the way retention does (the durable client's purgeInstanceHistory): how many instances went. */
  purge(instanceId: string): Promise<number>;
  /** Whether the task hub still knows the instance. */
  exists(instanceId: string): Promise<boolean>;
  close(): Promise<void>;
}

const TERMINAL = new Set(["Completed", "Failed", "Terminated", "Canceled"]);

function answerOf(response: HttpResponseInit): HttpAnswer {
  const headers = new Headers(response.headers as Record<string, string> | undefined);
  return { status: response.status ?? 200, contentType: headers.get("content-type") ?? (response.jsonBody === undefined ? undefined : "application/json"), body: response.jsonBody ?? response.body };
}

/** The local Functions host: the app loaded by the Node worker, orchestrations run by the real extension. */
export async function startRealSide(output: string[]): Promise<Side & { readonly host: LocalFunctionsHost; readonly registered: readonly string[] }> {
  const journalFile = join(tmpdir(), `aci-jobs-conformance-${process.pid}-${Date.now()}.jsonl`);
  const stack = await startLocalStack({
    port: await freePort(),
    onOutput: (line) => output.push(line),
    azurite: {},
    emulators: true,
    env: {
      ACI_JOBS_WORKER_ENTRY: "test/conformance/fixtures/app.ts",
      ACI_JOBS_EPISODE_JOURNAL: journalFile,
      // An app setting overriding host.json, as in Azure: a 1 s polling interval keeps the timers' lateness
      // to about a second, so it cannot change how many looks a scenario makes. Early timers stay as they are.
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval: "00:00:01",
    },
  });
  const { host } = stack;
  const registered = output
    .slice(output.indexOf("Functions:") + 1)
    .map((line) => /^\s+([\w-]+): /u.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
  const request = async (method: string, path: string, body?: string): Promise<HttpAnswer> => {
    const response = await fetch(`${host.url}${path}`, { method, ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } }) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, contentType: response.headers.get("content-type") ?? undefined, body: parsed };
  };
  return {
    name: "real extension",
    host,
    registered,
    emulator: stack.emulator!,
    journal: () =>
      readFileSync(journalFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as EpisodeRecord),
    post: (jobId, body) => request("POST", `/api/jobs/${jobId}/runs`, body),
    get: (jobId, runId) => request("GET", `/api/jobs/${jobId}/runs/${encodeURIComponent(runId)}`),
    cancel: (jobId, runId, body) => request("POST", `/api/jobs/${jobId}/runs/${encodeURIComponent(runId)}/cancel`, body),
    startAndCancelWhenRunning: async (jobId, body) => {
      const accepted = await request("POST", `/api/jobs/${jobId}/runs`);
      const { runId } = accepted.body as { runId: string };
      for (const until = Date.now() + 120_000; ; ) {
        const view = (await request("GET", `/api/jobs/${jobId}/runs/${encodeURIComponent(runId)}`)).body as { progress?: { container?: { phase?: string } } };
        if (view.progress?.container?.phase === "running") break;
        if (Date.now() > until) throw new Error(`${runId} was not seen running within 120 s: ${JSON.stringify(view)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return { runId, canceling: await request("POST", `/api/jobs/${jobId}/runs/${encodeURIComponent(runId)}/cancel`, body) };
    },
    listRuns: (jobId) => request("GET", `/api/jobs/${jobId}/runs`),
    // durable-functions' purgeInstanceHistory is this request (DurableClient.js): 200 with the count, 404 for none.
    purge: async (instanceId) => {
      const answer = await request("DELETE", `/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}`);
      if (answer.status === 404) return 0;
      if (answer.status !== 200) throw new Error(`purging ${instanceId} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return (answer.body as { instancesDeleted: number }).instancesDeleted;
    },
    exists: async (instanceId) => (await request("GET", `/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}`)).status !== 404,
    fireTimer: async (jobId) => {
      const answer = await request("POST", `/admin/functions/${timerFunctionName(jobId)}`, "{}");
      if (answer.status !== 202) throw new Error(`firing the timer answered ${answer.status}`);
    },
    startOrchestration: async (name, instanceId, input) => {
      const answer = await request("POST", `/runtime/webhooks/durabletask/orchestrators/${name}/${instanceId}`, JSON.stringify(input ?? null));
      if (answer.status !== 202) throw new Error(`starting ${name} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    },
    waitFor: async (instanceId, timeoutMs = 180_000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const answer = await request("GET", `/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}`);
        const status = answer.body as { runtimeStatus?: string; output?: unknown; customStatus?: unknown } | undefined;
        if (answer.status === 200 && status?.runtimeStatus && TERMINAL.has(status.runtimeStatus)) {
          return { runtimeStatus: status.runtimeStatus, output: status.output, customStatus: status.customStatus };
        }
        if (Date.now() > until) throw new Error(`${instanceId} did not finish within ${timeoutMs / 1000} s (last: ${JSON.stringify(answer.body)})`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    },
    close: async () => {
      await stack.stop();
      rmSync(journalFile, { force: true });
    },
  };
}

/** The in-process host in virtual time, with the same app, jobs and probes. */
export async function startInProcessSide(): Promise<Side & { readonly app: LocalApp }> {
  const journal: EpisodeRecord[] = [];
  const logListeners = new Set<(message: string) => void>();
  const azurite = await startAzurite({ services: "blob" });
  const app = await startEmulatedApp({
    clock: new VirtualClock(Date.now()),
    jobDefinitions: CONFORMANCE_JOBS,
    storageConnectionString: azurite.connectionString,
    registerMore: registerProbes,
    episodeJournal: (record) => journal.push(record),
    log: (record) => {
      for (const listener of logListeners) listener(record.message);
    },
    // The real side's app setting, so both sides model the same queue polling.
    maxQueuePollingIntervalMs: 1_000,
    // The SDK's own retries wait real time; the same number of them with shorter waits.
    serviceOptions: { aci: { retry: { retryDelayInMs: 20, maxRetryDelayInMs: 100 }, lroPollIntervalMs: 10 } },
  });
  // As src/app.ts wires the real routes.
  const deps: RunsApiDeps = {
    jobs: app.jobs,
    defaultRegion: app.config.defaultRegion,
    slots: app.services.slots,
    queue: app.services.queue,
    idempotency: app.services.idempotency,
    index: app.services.index,
    now: () => new Date(app.clock.now()),
  };
  const context = () => new InvocationContext({ functionName: "conformance", invocationId: "conformance" });
  const url = (path: string) => `http://localhost:7071${path}`;
  const cancelRequest = (jobId: string, runId: string, body?: string) =>
    createCancelRunHandler(deps)(
      new HttpRequest({ method: "POST", url: url(`/api/jobs/${jobId}/runs/${runId}/cancel`), params: { job: jobId, runId }, ...(body === undefined ? {} : { body: { string: body } }) }),
      app.host.client,
      context(),
    );
  return {
    name: "in-process host",
    app,
    emulator: app.emulator!,
    journal: () => journal,
    post: async (jobId, body) =>
      answerOf(
        await createStartRunHandler(deps)(
          new HttpRequest({ method: "POST", url: url(`/api/jobs/${jobId}/runs`), params: { job: jobId }, ...(body === undefined ? {} : { body: { string: body } }) }),
          app.host.client,
          context(),
        ),
      ),
    get: async (jobId, runId) =>
      answerOf(
        await createGetRunHandler(deps)(
          new HttpRequest({ method: "GET", url: url(`/api/jobs/${jobId}/runs/${runId}`), params: { job: jobId, runId } }),
          app.host.client,
          context(),
        ),
      ),
    cancel: async (jobId, runId, body) => answerOf(await cancelRequest(jobId, runId, body)),
    startAndCancelWhenRunning: (jobId, body) =>
      new Promise((resolve, reject) => {
        let runId: string | undefined;
        const stop = () => logListeners.delete(listener);
        const listener = (message: string) => {
          if (runId === undefined || !message.startsWith(`[${jobId} run ${runId} attempt 1] container group `) || !message.endsWith(": running")) return;
          stop();
          const id = runId;
          cancelRequest(jobId, id, body).then((response) => resolve({ runId: id, canceling: answerOf(response) }), reject);
        };
        logListeners.add(listener);
        createStartRunHandler(deps)(new HttpRequest({ method: "POST", url: url(`/api/jobs/${jobId}/runs`), params: { job: jobId } }), app.host.client, context()).then(
          (response) => (runId = (response.jsonBody as { runId: string }).runId),
          (error: unknown) => {
            stop();
            reject(error as Error);
          },
        );
      }),
    fireTimer: async (jobId) => {
      const job = app.jobs.get(jobId)!;
      await createScheduledRunHandler({ ...job, schedule: job.schedule! }, deps)(
        { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: "", next: "", lastUpdated: "" } },
        app.host.client,
        context(),
      );
    },
    startOrchestration: async (name, instanceId, input) => {
      await app.host.client.startNew(name, { instanceId, ...(input === undefined ? {} : { input }) });
    },
    listRuns: async (jobId) =>
      answerOf(
        await createListJobRunsHandler({ jobs: app.jobs, index: app.services.index, archive: app.services.archive })(
          new HttpRequest({ method: "GET", url: url(`/api/jobs/${jobId}/runs`), params: { job: jobId } }),
          app.host.client,
          context(),
        ),
      ),
    purge: async (instanceId) => (await app.host.client.purgeInstanceHistory(instanceId)).instancesDeleted,
    exists: async (instanceId) => (await findRun(app.host.client, instanceId)) !== undefined,
    waitFor: async (instanceId) => {
      const status = await app.host.waitForCompletion(instanceId);
      return { runtimeStatus: String(status.runtimeStatus), output: status.output, customStatus: status.customStatus };
    },
    close: async () => {
      await app.close();
      await azurite.stop();
    },
  };
}

export type { FaultRule };
