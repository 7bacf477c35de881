/**
 * The app under test: real functions, real SDK and credential, the in-process Durable host, the ACI
 * emulator on one virtual clock and the Key Vault emulator (the app's KEY_VAULT_URI; seed it with
 * `app.keyVault.setSecret` or the `secrets` option). One per test file (the managed-identity endpoint is
 * per process).
 */
import type { TokenCredential } from "@azure/identity";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { HostLogRecord } from "../../dev/durable-host";
import type { VirtualClock } from "../../dev/clock";
import { startEmulatedApp, type LocalApp, type LocalAppOptions } from "../../dev/local/localApp";
import type { RunResult } from "../../src/runs/contracts";
import type { Telemetry } from "../../src/telemetry/events";
import { newRunId, startRun } from "../../src/runs/startRun";

export interface Harness {
  readonly app: LocalApp;
  readonly logs: HostLogRecord[];
  /** Starts a run of `jobId` the way `npm run job` does and waits for its result. */
  run(jobId: string): Promise<{ runId: string; result: RunResult }>;
  /** Container output lines written to the function log for `runId`, in order. */
  containerLines(runId: string): string[];
  /** Calls `listener` for every log record as it is written (synchronously, inside the writing function). */
  onLog(listener: (record: HostLogRecord) => void): () => void;
  /**
   * Runs `act` when the watch of a run of `jobId` first sees its group running: inside that look, before
   * the host moves virtual time on, so what `act` does is seen by the next look.
   */
  whenRunning<T>(jobId: string, act: (groupName: string, runId: string) => T | Promise<T>): Promise<T>;
  /**
   * At the first look that sees a run of `jobId` running, holds the watch's next read of its group, so
   * virtual time stands still (the host does not move it while an activity is in flight) until `release`:
   * what the test does meanwhile cannot be overtaken by the run.
   */
  holdWhenRunning(jobId: string): Promise<{ runId: string; groupName: string; release: () => void }>;
  /**
   * Deletes a group the way a person would, outside any run: while ACI still answers 409
   * ContainerGroupTransitioning (the group is provisioning), waits 10 s of virtual time and tries again.
   */
  deleteGroup(name: string): Promise<void>;
}

export interface HarnessOptions {
  /** Azurite for run slots and the runs' log records. */
  readonly storage?: boolean;
  readonly secrets?: Readonly<Record<string, string>>;
  /** Re-delivers activities as the real extension may (DurableHostOptions.activityRedelivery). */
  readonly activityRedelivery?: LocalAppOptions["activityRedelivery"];
  /** The ARM client's backoff between its own retries (real time). Default 20 ms doubling to 100 ms. */
  readonly armRetryDelayMs?: number;
  /** How long an ARM request may go unanswered (real time) before it is tried again. Default the app's 30 s. */
  readonly armRequestTimeoutMs?: number;
  /** The app's credential, instead of DefaultAzureCredential on the emulator's managed identity. */
  readonly credential?: TokenCredential;
  /** Where the app's events go (test/support/telemetry.ts captures them); by default nowhere. */
  readonly telemetry?: Telemetry;
  /** A blob container of this file's own instead of `aci-jobs-runs`, for tests that read every run stored. */
  readonly runStateContainer?: string;
}

export function useHarness(jobDefinitions: readonly unknown[], options: HarnessOptions = {}): Harness {
  const logs: HostLogRecord[] = [];
  const listeners = new Set<(record: HostLogRecord) => void>();
  let app: LocalApp | undefined;

  beforeAll(async () => {
    const storageConnectionString = options.storage ? process.env.AZURITE_CONNECTION_STRING : undefined;
    if (options.storage && !storageConnectionString) throw new Error("AZURITE_CONNECTION_STRING is not set: the global setup starts Azurite");
    app = await startEmulatedApp({
      jobDefinitions,
      log: (record) => {
        logs.push(record);
        for (const listener of listeners) listener(record);
      },
      ...(storageConnectionString ? { storageConnectionString } : {}),
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.activityRedelivery ? { activityRedelivery: options.activityRedelivery } : {}),
      // The SDKs' own retries wait real time; keep their backoff short (Retry-After is still honoured).
      serviceOptions: {
        ...(options.credential ? { credential: options.credential } : {}),
        ...(options.telemetry ? { telemetry: options.telemetry } : {}),
        ...(options.runStateContainer ? { runStateContainer: options.runStateContainer } : {}),
        aci: {
          retry: { retryDelayInMs: options.armRetryDelayMs ?? 20, maxRetryDelayInMs: Math.max(options.armRetryDelayMs ?? 20, 100) },
          lroPollIntervalMs: 10,
          ...(options.armRequestTimeoutMs ? { requestTimeoutMs: options.armRequestTimeoutMs } : {}),
        },
        keyVault: { retry: { retryDelayInMs: 20, maxRetryDelayInMs: 100 } },
      },
    });
  });

  afterEach(() => {
    // Every test ends with nothing left running in the emulator: no leaked container group.
    expect(harness.app.emulator!.listGroups().map((g) => g.name)).toEqual([]);
    harness.app.emulator!.reset();
  });

  afterAll(async () => {
    await app?.close();
  });

  const harness: Harness = {
    get app() {
      if (!app) throw new Error("the harness has not started");
      return app;
    },
    logs,
    async run(jobId) {
      const job = harness.app.jobs.get(jobId);
      if (!job) throw new Error(`no job ${jobId}`);
      const runId = newRunId(job.id, new Date(harness.app.clock.now()));
      const outcome = await startRun({ client: harness.app.host.client, job, runId, trigger: { kind: "cli" }, defaultRegion: "eastus" });
      expect(outcome.started).toBe(true);
      const status = await harness.app.host.waitForCompletion(runId);
      expect(String(status.runtimeStatus), `run ${runId} output: ${JSON.stringify(status.output)}`).toBe("Completed");
      return { runId, result: status.output as RunResult };
    },
    async deleteGroup(name) {
      for (;;) {
        try {
          await harness.app.services.aci.delete(name);
          return;
        } catch (error) {
          if ((error as { code?: unknown }).code !== "ContainerGroupTransitioning") throw error;
          // aci-rest-api.md §8: "wait at least 10 s between operations".
          (harness.app.clock as VirtualClock).advanceBy(10_000);
        }
      }
    },
    whenRunning(jobId, act) {
      return new Promise((resolve, reject) => {
        const seen = new RegExp(`^\\[${jobId} run ([^\\]]+) attempt \\d+\\] container group ([a-z0-9-]+): running$`, "u");
        const stop = harness.onLog((record) => {
          const match = seen.exec(record.message);
          if (!match) return;
          stop();
          Promise.resolve(act(match[2]!, match[1]!)).then(resolve, reject);
        });
      });
    },
    holdWhenRunning(jobId) {
      return harness.whenRunning(jobId, (groupName, runId) => {
        let release!: () => void;
        const until = new Promise<void>((resolve) => (release = resolve));
        harness.app.emulator!.injectFault({ method: "GET", path: new RegExp(`/containerGroups/${groupName}$`, "u"), times: 1, fault: { kind: "held", until } });
        return { runId, groupName, release };
      });
    },
    onLog(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    containerLines(runId) {
      const prefix = new RegExp(`^\\[[^\\]]* run ${runId.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&")} attempt \\d+\\] \\| `, "u");
      return logs.filter((r) => prefix.test(r.message)).map((r) => r.message.replace(prefix, ""));
    },
  };
  return harness;
}
