/**
 * `npm run bench`: what the watch's poll schedule costs, in virtual time against the emulator.
 * For each scenario it runs the real app once and prints ARM requests per run, the largest
 * orchestration history (events in one execution), and how long after the container exited the run
 * noticed. Airflow's operator, for comparison, makes one GET and one log call every second.
 */
import { HELLO_WORLD_LINES, type ContainerBehaviour } from "../aci-emulator";
import { dotnetAvailability } from "../functions-host";
import { startLocalStack } from "../functions-host/localStack";
import { freePort, startAzurite } from "../local/azurite";
import { measureRunList } from "./history";
import { startEmulatedApp, type LocalApp } from "../local/localApp";
import { ensureEmulatorTrust } from "../local/trust";
import { cancelRun } from "../../src/runs/cancelRun";
import type { RunResult } from "../../src/runs/contracts";
import { newRunId, startRun } from "../../src/runs/startRun";

const SECOND = 1_000;
const HOUR = 3_600_000;

interface Scenario {
  readonly name: string;
  readonly behaviour: ContainerBehaviour;
  readonly timeout: string;
  readonly targets: { readonly requests?: number; readonly history?: number };
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: "10-second hello-world",
    behaviour: { runMs: 10 * SECOND, logs: HELLO_WORLD_LINES },
    timeout: "1h",
    targets: { requests: 8 },
  },
  {
    name: "1-minute job",
    behaviour: { runMs: 60 * SECOND, logs: [{ at: 0, line: "start" }, { at: 59 * SECOND, line: "done" }] },
    timeout: "1h",
    targets: {},
  },
  {
    name: "1-hour job",
    behaviour: { runMs: HOUR, logs: [{ at: 0, line: "start" }] },
    timeout: "2h",
    targets: {},
  },
  {
    name: "24-hour container",
    behaviour: { runMs: 24 * HOUR, logs: Array.from({ length: 24 }, (_, h) => ({ at: h * HOUR, line: `hour ${h}` })) },
    timeout: "25h",
    targets: { requests: 1_500, history: 2_000 },
  },
];

/** A container writing `perSecond` lines of about 40 bytes for `seconds`, then stopping. */
function chatty(perSecond: number, seconds: number): ContainerBehaviour {
  const count = perSecond * seconds;
  const logs = Array.from({ length: count }, (_, i) => ({ at: Math.floor((i * SECOND) / perSecond), line: `line ${String(i).padStart(7, "0")} ${"x".repeat(22)}` }));
  return { runMs: seconds * SECOND + 500, logs };
}

interface ChattyScenario {
  readonly name: string;
  readonly perSecond: number;
  readonly seconds: number;
  /** Lines kept must be all printed ones (the target: up to 33 lines/s with default settings). */
  readonly lossless: boolean;
  /** Also run with storage and count the lines the log archive kept (issue 12: 100 % for 10 lines/s for 1 hour). */
  readonly archive?: boolean;
}

const CHATTY: readonly ChattyScenario[] = [
  { name: "10 lines/s for 90 s", perSecond: 10, seconds: 90, lossless: true },
  { name: "33 lines/s for 90 s", perSecond: 33, seconds: 90, lossless: true },
  { name: "100 lines/s for 90 s", perSecond: 100, seconds: 90, lossless: false },
  { name: "10 lines/s for 1 hour", perSecond: 10, seconds: 3_600, lossless: true, archive: true },
  { name: "33 lines/s for 1 hour", perSecond: 33, seconds: 3_600, lossless: true, archive: true },
  // The emulator rebuilds the whole log at each read, so this one takes about a minute of wall time.
  { name: "100 lines/s for 1 hour", perSecond: 100, seconds: 3_600, lossless: false },
];

interface ChattyMeasurement {
  readonly scenario: ChattyScenario;
  readonly printed: number;
  readonly kept: number;
  readonly missedReported: boolean;
  readonly requests: number;
  /** Container lines in the attempt's archived log (markers not counted), when measured with storage. */
  readonly archived?: number;
}

/** Lines a chatty container printed versus the lines the run read, with the real extension's timer latency modelled. */
async function measureChatty(scenario: ChattyScenario, index: number, storageConnectionString?: string): Promise<ChattyMeasurement> {
  const behaviour = chatty(scenario.perSecond, scenario.seconds);
  const storage = scenario.archive ? storageConnectionString : undefined;
  return runOnce(`chatty_${index}`, "2h", behaviour, async ({ runId, result, app }) => {
    const attempt = result.attempts[0]!;
    const text = storage ? await app.services.archive?.read({ runId, attempt: 1 }) : undefined;
    const archived = text === undefined ? undefined : text.split("\n").filter((line) => line.length > 0 && !line.startsWith("[aci-jobs]")).length;
    return {
      scenario,
      printed: behaviour.logs!.length,
      kept: attempt.logLines,
      missedReported: attempt.logLinesMissed,
      requests: app.emulator!.requests.length,
      ...(archived === undefined ? {} : { archived }),
    };
  }, storage);
}

/** One run of a job whose container behaves as `behaviour`, on a fresh emulated app in virtual time. */
async function runOnce<T>(
  jobId: string,
  timeout: string,
  behaviour: ContainerBehaviour,
  read: (run: { runId: string; result: RunResult; app: LocalApp; wallMs: number }) => Promise<T>,
  storageConnectionString?: string,
): Promise<T> {
  const image = `bench/${jobId}`;
  const app = await startEmulatedApp({ jobDefinitions: [{ id: jobId, timeout, container: { image } }], ...(storageConnectionString ? { storageConnectionString } : {}) });
  try {
    app.emulator!.setBehaviour(image, behaviour);
    const wallStart = Date.now();
    const runId = newRunId(jobId, new Date(app.clock.now()));
    await startRun({ client: app.host.client, job: app.jobs.get(jobId)!, runId, trigger: { kind: "cli" }, defaultRegion: "eastus" });
    const result = (await app.host.waitForCompletion(runId)).output as RunResult;
    return await read({ runId, result, app, wallMs: Date.now() - wallStart });
  } finally {
    await app.close();
  }
}

interface Measurement {
  readonly scenario: Scenario;
  readonly status: string;
  readonly requests: number;
  readonly largestHistory: number;
  readonly detectionMs: number;
  readonly containerMs: number;
  readonly wallMs: number;
}

async function measure(scenario: Scenario, index: number): Promise<Measurement> {
  return runOnce(`bench_${index}`, scenario.timeout, scenario.behaviour, async ({ runId, result, app, wallMs }) => {
    const attempt = result.attempts[0]!;
    // When the container exited (ACI's own times) versus when the watch returned to the run.
    const createdAt = Date.parse(attempt.startedAt) + (attempt.timings.createMs ?? 0);
    const exitedAt = createdAt + (attempt.timings.provisioningMs ?? 0) + (attempt.timings.runMs ?? 0);
    const watchEndedAt = watchCompletedAt(app.host.history(runId));
    const largestHistory = Math.max(...app.host.stats().instances.map((i) => i.maxHistoryLength));
    return {
      scenario,
      status: result.status,
      requests: app.emulator!.requests.length,
      largestHistory,
      detectionMs: watchEndedAt - exitedAt,
      containerMs: exitedAt - createdAt,
      wallMs,
    };
  });
}

/** Time of the SubOrchestrationInstanceCompleted event: when the run learned the watch was over. */
function watchCompletedAt(history: readonly { EventType: number; Timestamp: string }[]): number {
  const completed = history.find((event) => event.EventType === 8);
  if (!completed) throw new Error("the run's history has no SubOrchestrationInstanceCompleted event");
  return Date.parse(completed.Timestamp);
}

interface RealMeasurement {
  readonly status: string;
  readonly requests: number;
  readonly detectionMs: number;
  readonly runMs: number;
}

/**
 * The tutorial job once on the real Durable extension (the local Functions host, Azurite, the emulator in
 * real time), started over HTTP as a user would: ARM requests, and how long after the container exited
 * the run noticed, read from the real history (timers there can come early and are late by the queue's polling).
 */
async function measureOnRealExtension(): Promise<RealMeasurement> {
  const stack = await startLocalStack({ port: await freePort(), azurite: {}, emulators: true, onOutput: () => {} });
  try {
    const accepted = await fetch(`${stack.host.url}/api/jobs/azure_container_instances/runs`, { method: "POST" });
    const { runId } = (await accepted.json()) as { runId: string };
    const statusUrl = `${stack.host.url}/runtime/webhooks/durabletask/instances/${encodeURIComponent(runId)}?showHistory=true`;
    for (;;) {
      const status = (await (await fetch(statusUrl)).json()) as { runtimeStatus: string; output?: RunResult; historyEvents?: { EventType: string; Timestamp: string }[] };
      if (status.runtimeStatus === "Completed" || status.runtimeStatus === "Failed") {
        const result = status.output!;
        const attempt = result.attempts[0]!;
        const createdAt = Date.parse(attempt.startedAt) + (attempt.timings.createMs ?? 0);
        const exitedAt = createdAt + (attempt.timings.provisioningMs ?? 0) + (attempt.timings.runMs ?? 0);
        const watched = status.historyEvents?.find((event) => event.EventType === "SubOrchestrationInstanceCompleted");
        return {
          status: result.status,
          requests: stack.emulator!.requests.length,
          detectionMs: watched ? Date.parse(watched.Timestamp) - exitedAt : Number.NaN,
          runMs: Date.parse(result.finishedAt) - Date.parse(result.startedAt),
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await stack.stop();
  }
}

/**
 * The tutorial job's image made chatty (33 lines/s for 90 s) on the real Durable extension, host.json as
 * shipped: the lines the run read of those printed, each time.
 */
async function measureChattyOnRealExtension(): Promise<{ kept: number; printed: number; missedReported: boolean; requests: number }> {
  const stack = await startLocalStack({ port: await freePort(), azurite: {}, emulators: true, onOutput: () => {} });
  try {
    const behaviour = chatty(33, 90);
    stack.emulator!.setBehaviour("hello-world", behaviour);
    const accepted = await fetch(`${stack.host.url}/api/jobs/azure_container_instances/runs`, { method: "POST" });
    const { runId } = (await accepted.json()) as { runId: string };
    const statusUrl = `${stack.host.url}/runtime/webhooks/durabletask/instances/${encodeURIComponent(runId)}`;
    for (;;) {
      const status = (await (await fetch(statusUrl)).json()) as { runtimeStatus: string; output?: RunResult };
      if (status.runtimeStatus === "Completed" || status.runtimeStatus === "Failed") {
        const attempt = status.output!.attempts[0]!;
        return { kept: attempt.logLines, printed: behaviour.logs!.length, missedReported: attempt.logLinesMissed, requests: stack.emulator!.requests.length };
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } finally {
    await stack.stop();
  }
}

interface CancelScenario {
  readonly name: string;
  readonly behaviour: ContainerBehaviour;
  readonly retries?: number;
  /** The log line (a run's progress line or a container line) right after which the cancel is sent. */
  readonly after: RegExp;
  /** Hold the create's PUT until the cancel has been sent (a create in flight). */
  readonly holdCreate?: boolean;
  /** Whether a group exists to delete when the cancel comes. */
  readonly groupExists: boolean;
}

const MINUTE = 60 * SECOND;

const CANCELS: readonly CancelScenario[] = [
  { name: "creating (PUT in flight)", behaviour: { runMs: 24 * HOUR }, after: /attempt 1: creating$/u, holdCreate: true, groupExists: true },
  { name: "provisioning", behaviour: { runMs: 24 * HOUR }, after: /attempt 1: watching$/u, groupExists: true },
  { name: "running, 1 minute in", behaviour: { runMs: 24 * HOUR, logs: [{ at: MINUTE, line: "tick" }] }, after: /\| tick$/u, groupExists: true },
  { name: "running, 1 hour in (looks 3 min apart)", behaviour: { runMs: 24 * HOUR, logs: [{ at: HOUR, line: "tick" }] }, after: /\| tick$/u, groupExists: true },
  { name: "waiting 10 min to retry", behaviour: { runMs: 10 * SECOND, exitCode: 1 }, retries: 1, after: /attempt 1: waitingToRetry until /u, groupExists: false },
];

interface CancelMeasurement {
  readonly scenario: CancelScenario;
  readonly status: string;
  /** From the cancel request to the answer of the DELETE that removed the group (virtual time). */
  readonly toDeleteMs: number | undefined;
  readonly toEndMs: number;
  /** ARM requests from the cancel on (the delete, its confirmation, and any look still under way). */
  readonly requests: number;
}

/** One cancel, sent right after `scenario.after` is logged, measured in virtual time. */
async function measureCancel(scenario: CancelScenario, index: number): Promise<CancelMeasurement> {
  const jobId = `cancel_${index}`;
  const image = `bench/${jobId}`;
  let trigger: ((message: string) => void) | undefined;
  const app = await startEmulatedApp({
    jobDefinitions: [{ id: jobId, timeout: "2d", retries: scenario.retries ?? 0, retryDelay: "10m", container: { image } }],
    log: (record) => trigger?.(record.message),
  });
  try {
    app.emulator!.setBehaviour(image, scenario.behaviour);
    let release: (() => void) | undefined;
    if (scenario.holdCreate) app.emulator!.injectFault({ method: "PUT", fault: { kind: "held", until: new Promise<void>((resolve) => (release = resolve)) } });
    const runId = newRunId(jobId, new Date(app.clock.now()));
    let canceledAt = 0;
    let requestsBefore = 0;
    let sent: Promise<unknown> = Promise.resolve();
    trigger = (message) => {
      if (!scenario.after.test(message)) return;
      trigger = undefined;
      canceledAt = app.clock.now();
      requestsBefore = app.emulator!.requests.length;
      sent = cancelRun(app.host.client, runId, { requestedAt: new Date(canceledAt).toISOString(), by: "bench" }).then(() => release?.());
    };
    await startRun({ client: app.host.client, job: app.jobs.get(jobId)!, runId, trigger: { kind: "cli" }, defaultRegion: "eastus" });
    const result = (await app.host.waitForCompletion(runId)).output as RunResult;
    await sent;
    // Requests are recorded when answered, so a PUT held in flight counts among them.
    const after = app.emulator!.requests.slice(requestsBefore);
    const deleted = after.find((request) => request.method === "DELETE" && request.status >= 200 && request.status < 300);
    return {
      scenario,
      status: result.status,
      toDeleteMs: scenario.groupExists && deleted ? deleted.at - canceledAt : undefined,
      toEndMs: Date.parse(result.finishedAt) - canceledAt,
      requests: after.length,
    };
  } finally {
    await app.close();
  }
}

/**
 * A cancel on the real Durable extension, sent over HTTP once the run's view shows its container running:
 * real time from the request to the group's delete and to the run's end.
 */
async function measureCancelOnRealExtension(): Promise<{ status: string; toDeleteMs: number; toEndMs: number; requests: number }> {
  const stack = await startLocalStack({ port: await freePort(), azurite: {}, emulators: true, onOutput: () => {} });
  try {
    stack.emulator!.setBehaviour("hello-world", { runMs: 24 * HOUR, logs: [{ at: 0, line: "working" }] });
    const base = `${stack.host.url}/api/jobs/azure_container_instances/runs`;
    const { runId } = (await (await fetch(base, { method: "POST" })).json()) as { runId: string };
    for (;;) {
      const view = (await (await fetch(`${base}/${runId}`)).json()) as { progress?: { container?: { phase?: string } } };
      if (view.progress?.container?.phase === "running") break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const canceledAt = Date.now();
    const requestsBefore = stack.emulator!.requests.length;
    const answer = await fetch(`${base}/${runId}/cancel`, { method: "POST" });
    if (answer.status !== 202) throw new Error(`cancel answered ${answer.status}`);
    const statusUrl = `${stack.host.url}/runtime/webhooks/durabletask/instances/${encodeURIComponent(runId)}`;
    for (;;) {
      const status = (await (await fetch(statusUrl)).json()) as { runtimeStatus: string; output?: RunResult };
      if (status.runtimeStatus === "Completed" || status.runtimeStatus === "Failed") {
        const after = stack.emulator!.requests.slice(requestsBefore);
        const deleted = after.find((request) => request.method === "DELETE" && request.status >= 200 && request.status < 300);
        return {
          status: status.output?.status ?? status.runtimeStatus,
          toDeleteMs: deleted ? deleted.at - canceledAt : Number.NaN,
          toEndMs: Date.parse(status.output!.finishedAt) - canceledAt,
          requests: after.length,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await stack.stop();
  }
}

const CANCEL_TO_DELETE_TARGET_MS = 15 * SECOND;

/** Airflow's synchronous loop: one GET and one logs call per second while the group exists. */
function airflowRequests(containerMs: number): number {
  return Math.ceil(containerMs / SECOND) * 2 + 2;
}

function check(value: number, target: number | undefined): string {
  if (target === undefined) return "";
  return value <= target ? ` (target ≤ ${target.toLocaleString("en-US")} ✔)` : ` (target ≤ ${target.toLocaleString("en-US")} ✘)`;
}

async function main(): Promise<number> {
  await ensureEmulatorTrust();
  const rows: Measurement[] = [];
  for (const [index, scenario] of SCENARIOS.entries()) rows.push(await measure(scenario, index));

  const header = ["scenario", "result", "ARM requests per run", "Airflow (1 s polling)", "largest history (events)", "exit noticed after", "wall time"];
  const table = rows.map((row) => [
    row.scenario.name,
    row.status,
    `${row.requests.toLocaleString("en-US")}${check(row.requests, row.scenario.targets.requests)}`,
    `~${airflowRequests(row.containerMs).toLocaleString("en-US")}`,
    `${row.largestHistory.toLocaleString("en-US")}${check(row.largestHistory, row.scenario.targets.history)}`,
    `${(row.detectionMs / SECOND).toFixed(1)} s`,
    `${(row.wallMs / SECOND).toFixed(1)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log("aci-jobs watch cost, virtual time against the embedded ACI emulator");
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of table) console.log(line(row));

  const chattyRows: ChattyMeasurement[] = [];
  const azurite = await startAzurite({ services: "blob" });
  try {
    for (const [index, scenario] of CHATTY.entries()) chattyRows.push(await measureChatty(scenario, index, azurite.connectionString));
  } finally {
    await azurite.stop();
  }
  console.log("");
  console.log("Chatty containers: log lines kept of those printed, virtual time with the real extension's timer latency modelled (host.json as shipped);");
  console.log("archived: the container's lines in the attempt's log archive (Azurite), where measured");
  console.log("| scenario | lines kept / printed | archived / printed | loss reported | ARM requests |");
  console.log("|---|---|---|---|---|");
  const percent = (part: number, whole: number) => `${part.toLocaleString("en-US")} / ${whole.toLocaleString("en-US")} (${((100 * part) / whole).toFixed(1)} %)`;
  for (const row of chattyRows) {
    const target = row.scenario.lossless ? (row.kept === row.printed ? " (target 100 % ✔)" : " (target 100 % ✘)") : "";
    const archived = row.archived === undefined ? "" : `${percent(row.archived, row.printed)}${row.archived === row.printed ? " (target 100 % ✔)" : " (target 100 % ✘)"}`;
    console.log(`| ${row.scenario.name} | ${percent(row.kept, row.printed)}${target} | ${archived} | ${row.missedReported ? "yes" : "no"} | ${row.requests.toLocaleString("en-US")} |`);
  }
  const chattyMissed = chattyRows.some(
    (row) => (row.scenario.lossless && row.kept !== row.printed) || (row.kept !== row.printed && !row.missedReported) || (row.archived !== undefined && row.archived !== row.printed),
  );

  const listBench = await measureRunList();
  console.log("");
  console.log(`Listing runs: storage requests per list with ${listBench.stored.toLocaleString("en-US")} runs stored (Azurite, counted at a proxy; storing them took ${listBench.seedSeconds.toFixed(0)} s)`);
  console.log("| list | runs returned | storage requests |");
  console.log("|---|---|---|");
  for (const row of listBench.lists) console.log(`| ${row.name} | ${row.runs} | ${row.requests}${check(row.requests, 1)} |`);
  const listMissed = listBench.lists.some((row) => row.requests > 1);

  const cancelRows: CancelMeasurement[] = [];
  for (const [index, scenario] of CANCELS.entries()) cancelRows.push(await measureCancel(scenario, index));
  console.log("");
  console.log(
    "Cancel: from POST …/cancel to the group's delete and to the run's end, virtual time (the event is delivered at once; on the real " +
      "extension an idle task hub's queue polling can add up to maxQueuePollingInterval, 10 s as shipped)",
  );
  console.log("| cancel lands while | result | cancel → group deleted | cancel → run ended | ARM requests after the cancel |");
  console.log("|---|---|---|---|---|");
  for (const row of cancelRows) {
    const toDelete = row.toDeleteMs === undefined ? "(no group)" : `${(row.toDeleteMs / SECOND).toFixed(1)} s${row.toDeleteMs <= CANCEL_TO_DELETE_TARGET_MS ? " (target ≤ 15 s ✔)" : " (target ≤ 15 s ✘)"}`;
    console.log(`| ${row.scenario.name} | ${row.status} | ${toDelete} | ${(row.toEndMs / SECOND).toFixed(1)} s | ${row.requests} |`);
  }
  const cancelMissed = cancelRows.some(
    (row) => row.status !== "canceled" || (row.scenario.groupExists && (row.toDeleteMs === undefined || row.toDeleteMs > CANCEL_TO_DELETE_TARGET_MS)),
  );

  const dotnet = dotnetAvailability();
  let realFailed = false;
  if (dotnet.available) {
    const real = await measureOnRealExtension();
    realFailed = real.status !== "succeeded";
    console.log("");
    console.log("The tutorial job on the real Durable extension (local Functions host, Azurite, emulator in real time, host.json as shipped)");
    console.log(`| result | ARM requests per run | exit noticed after | run took |`);
    console.log(`|--------|----------------------|--------------------|----------|`);
    console.log(`| ${real.status} | ${real.requests}${check(real.requests, 8)} | ${(real.detectionMs / SECOND).toFixed(1)} s | ${(real.runMs / SECOND).toFixed(1)} s |`);
    const cancel = await measureCancelOnRealExtension();
    realFailed ||= cancel.status !== "canceled" || !(cancel.toDeleteMs <= CANCEL_TO_DELETE_TARGET_MS);
    console.log("");
    console.log("A cancel while the container runs, on the real Durable extension (real time, host.json as shipped)");
    console.log("| result | cancel → group deleted | cancel → run ended | ARM requests after the cancel |");
    console.log("|---|---|---|---|");
    console.log(`| ${cancel.status} | ${(cancel.toDeleteMs / SECOND).toFixed(1)} s${cancel.toDeleteMs <= CANCEL_TO_DELETE_TARGET_MS ? " (target ≤ 15 s ✔)" : " (target ≤ 15 s ✘)"} | ${(cancel.toEndMs / SECOND).toFixed(1)} s | ${cancel.requests} |`);
    // `npm run bench -- --chatty-runs 5` repeats the chatty run on the real extension (each takes about 100 s).
    const flag = process.argv.indexOf("--chatty-runs");
    const runs = flag >= 0 ? Math.max(1, Number(process.argv[flag + 1]) || 1) : 1;
    console.log("");
    console.log("33 lines/s for 90 s on the real Durable extension (host.json as shipped)");
    console.log("| run | lines kept / printed | loss reported | ARM requests |");
    console.log("|---|---|---|---|");
    for (let run = 1; run <= runs; run++) {
      const measured = await measureChattyOnRealExtension();
      realFailed ||= measured.kept !== measured.printed;
      console.log(`| ${run} | ${measured.kept.toLocaleString("en-US")} / ${measured.printed.toLocaleString("en-US")} | ${measured.missedReported ? "yes" : "no"} | ${measured.requests} |`);
    }
  } else {
    console.log(`\nThe real-extension measurement was skipped: ${dotnet.reason}.`);
  }
  const missed = realFailed || chattyMissed || cancelMissed || listMissed || rows.some(
    (r) => r.requests > (r.scenario.targets.requests ?? Infinity) || r.largestHistory > (r.scenario.targets.history ?? Infinity) || r.status !== "succeeded",
  );
  return missed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
