/**
 * Conformance: the same scenarios on the real Durable Task extension (the local Functions host:
 * WebJobs SDK, Azure Storage provider on Azurite, the app in a Node worker) and on the in-process host
 * the fast tests use, compared episode by episode. The real extension is the judge: where they differ,
 * the in-process host is wrong (or the app depends on something only the imitation does).
 *
 * Needs the .NET SDK; without it the suite is skipped and says so. About a minute of real time: the
 * scenarios run at once, each a few container lifetimes long.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dotnetAvailability } from "../../dev/functions-host";
import { watchInstanceId, type RunResult } from "../../src/runs/contracts";
import { scheduleSlot } from "../../src/jobs/schedule";
import { scheduledRunId } from "../../src/runs/startRun";
import { loadJobs } from "../../src/jobs";
import { APP_FUNCTIONS } from "../support/appFunctions";
import { episodesOf, runSummary, scrubber } from "./compare";
import { PROBE_INPUTS } from "./fixtures/probes";
import { startInProcessSide, startRealSide, type HttpAnswer, type InstanceOutcome, type Side } from "./sides";

const tutorial = loadJobs().get("azure_container_instances")!;
const dotnet = dotnetAvailability();
if (!dotnet.available) {
  console.warn(`Conformance tests against the real Durable extension skipped: ${dotnet.reason}. Install the .NET 10 SDK to run them.`);
}

interface RunOutcome {
  readonly runId: string;
  readonly accepted: HttpAnswer;
  readonly outcome: InstanceOutcome;
  readonly view: HttpAnswer;
}

interface Outcomes {
  readonly tutorial: RunOutcome;
  readonly scheduled: { readonly runId: string; readonly outcome: InstanceOutcome };
  readonly failing: RunOutcome;
  readonly transient: RunOutcome;
  readonly deadline: RunOutcome & { readonly second: HttpAnswer };
  readonly canceled: {
    readonly runId: string;
    readonly canceling: HttpAnswer;
    readonly outcome: InstanceOutcome;
    readonly watch: InstanceOutcome;
    readonly again: HttpAnswer;
    readonly view: HttpAnswer;
  };
  readonly queued: { readonly first: RunOutcome; readonly second: RunOutcome };
  readonly unknownRun: HttpAnswer;
  readonly unknownJob: HttpAnswer;
  readonly invalidBody: HttpAnswer;
  readonly probes: Readonly<Record<string, InstanceOutcome>>;
  /** GET /api/jobs/{job}/runs of two jobs once their runs ended, then the failing run purged as retention does. */
  readonly history: {
    readonly failingList: HttpAnswer;
    readonly queueList: HttpAnswer;
    /** Instances deleted per purge: the watches, the run, then the run again. */
    readonly purged: readonly number[];
    readonly existsAfter: readonly boolean[];
  };
}

async function run(side: Side, jobId: string, whenAccepted?: () => Promise<void>): Promise<RunOutcome> {
  const accepted = await side.post(jobId);
  if (accepted.status !== 202) throw new Error(`${side.name}: POST ${jobId} answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
  const { runId } = accepted.body as { runId: string };
  await whenAccepted?.();
  const outcome = await side.waitFor(runId);
  return { runId, accepted, outcome, view: await side.get(jobId, runId) };
}

/** Every scenario at once on one side (they use different jobs, so they cannot get in each other's way). */
async function runScenarios(side: Side, probeIds: Readonly<Record<string, string>>): Promise<Outcomes> {
  side.emulator.injectFault({ method: "PUT", path: "containerGroups/conf-transient", times: 4, fault: { status: 500, code: "InternalServerError", message: "Try again later." } });
  // The DELETE goes through but its answers are lost, so the delete activity fails once and the run's own
  // retry loop (a durable timer, then a try that knows an earlier one may have done the work) follows.
  side.emulator.injectFault({ method: "DELETE", path: "containerGroups/conf-transient", times: 4, fault: { kind: "lostResponse" } });
  let second: HttpAnswer | undefined;
  const [tutorialOutcome, failing, transient, deadline, canceled, queued, unknownRun, unknownJob, invalidBody, probes] = await Promise.all([
    run(side, tutorial.id),
    run(side, "conf_failing"),
    run(side, "conf_transient"),
    run(side, "conf_deadline", async () => {
      second = await side.post("conf_deadline");
    }),
    (async () => {
      const { runId, canceling } = await side.startAndCancelWhenRunning("conf_cancel", '{"reason":"conformance"}');
      const outcome = await side.waitFor(runId);
      const watch = await side.waitFor(watchInstanceId(runId, 1));
      return { runId, canceling, outcome, watch, again: await side.cancel("conf_cancel", runId), view: await side.get("conf_cancel", runId) };
    })(),
    (async () => {
      let second: Promise<RunOutcome> | undefined;
      const first = await run(side, "conf_queue", async () => {
        second = run(side, "conf_queue");
        await second;
      });
      return { first, second: await second! };
    })(),
    side.get(tutorial.id, "azure_container_instances-20200101T000000Z-00000000"),
    side.post("no_such_job"),
    side.post(tutorial.id, "{not json"),
    (async () => {
      const outcomes: Record<string, InstanceOutcome> = {};
      await Promise.all(
        Object.entries(probeIds).map(async ([name, id]) => {
          await side.startOrchestration(name, id, name === "probe_generations" ? 0 : undefined);
          outcomes[name] = await side.waitFor(id);
        }),
      );
      return outcomes;
    })(),
  ]);
  // The tutorial's group has a fixed name, so its scheduled run starts once the first has finished.
  const scheduledId = scheduledRunId(tutorial.id, scheduleSlot(tutorial.schedule!.ncrontab, new Date()));
  await side.fireTimer(tutorial.id);
  const scheduled = { runId: scheduledId, outcome: await side.waitFor(scheduledId) };
  const failingList = await side.listRuns("conf_failing");
  const queueList = await side.listRuns("conf_queue");
  const attempts = (failing.outcome.output as RunResult).attempts.length;
  const instances = [...Array.from({ length: attempts }, (_, i) => watchInstanceId(failing.runId, i + 1)), failing.runId];
  const purged: number[] = [];
  for (const id of [...instances, failing.runId]) purged.push(await side.purge(id));
  const existsAfter = await Promise.all(instances.map((id) => side.exists(id)));
  const history = { failingList, queueList, purged, existsAfter };
  return { tutorial: tutorialOutcome, scheduled, failing, transient, deadline: { ...deadline, second: second! }, canceled, queued, unknownRun, unknownJob, invalidBody, probes, history };
}

describe.skipIf(!dotnet.available)("the real Durable extension and the in-process host agree", () => {
  const hostOutput: string[] = [];
  let real: Awaited<ReturnType<typeof startRealSide>>;
  let inProcess: Awaited<ReturnType<typeof startInProcessSide>>;
  const outcomes: Partial<Record<"real" | "inProcess", Outcomes>> = {};
  const suffix = Date.now().toString(36);
  const probeIds = { probe_inputs: `probe-inputs-${suffix}`, probe_generations: `probe-generations-${suffix}`, probe_timerClock: `probe-timer-${suffix}` };

  beforeAll(async () => {
    [real, inProcess] = await Promise.all([startRealSide(hostOutput), startInProcessSide()]);
    [outcomes.real, outcomes.inProcess] = await Promise.all([runScenarios(real, probeIds), runScenarios(inProcess, probeIds)]);
  }, 300_000);

  afterAll(async () => {
    // What the host printed and what each host's orchestrations saw, for a failure's post-mortem (ignored folder).
    const logDir = join(__dirname, "..", "..", ".tools");
    mkdirSync(logDir, { recursive: true });
    writeFileSync(join(logDir, "conformance-host.log"), `${hostOutput.join("\n")}\n`);
    if (real) writeFileSync(join(logDir, "conformance-journal-real.jsonl"), real.journal().map((record) => JSON.stringify(record)).join("\n"));
    if (inProcess) writeFileSync(join(logDir, "conformance-journal-in-process.jsonl"), inProcess.journal().map((record) => JSON.stringify(record)).join("\n"));
    await Promise.all([real?.close(), inProcess?.close()]);
  });

  const both = () => ({ r: outcomes.real!, p: outcomes.inProcess! });

  /** The episodes of a run and of each attempt's watch, with each side's ids scrubbed. */
  function runEpisodes(side: Side, outcome: { runId: string; outcome: InstanceOutcome }) {
    const result = outcome.outcome.output as { attempts?: { attempt: number; groupName: string }[] } | undefined;
    const attempts = result?.attempts ?? [];
    const ids: Record<string, string> = { [outcome.runId]: "<run>" };
    for (const { attempt, groupName } of attempts) ids[groupName] = `<group ${attempt}>`;
    const scrub = scrubber(ids);
    return {
      run: episodesOf(side.journal(), outcome.runId, scrub, runSummary),
      watches: attempts.map(({ attempt }) => episodesOf(side.journal(), watchInstanceId(outcome.runId, attempt), scrub)),
    };
  }

  it("indexes every function the app registers, and the host started without an indexing error", () => {
    expect([...real.registered].sort()).toEqual([...APP_FUNCTIONS, "probe_echo", "probe_generations", "probe_inputs", "probe_timerClock"].sort());
    expect(hostOutput.filter((line) => /Error indexing|unable to start|could not be loaded|could not start/u.test(line))).toEqual([]);
  });

  it("runs the tutorial job over HTTP the same way: episodes, custom status and result", () => {
    const { r, p } = both();
    expect(r.tutorial.outcome.runtimeStatus).toBe("Completed");
    expect((r.tutorial.outcome.output as { status: string }).status).toBe("succeeded");
    expect(runEpisodes(real, r.tutorial)).toEqual(runEpisodes(inProcess, p.tutorial));
  });

  it("runs a run started by the job's timer the same way", () => {
    const { r, p } = both();
    expect(r.scheduled.runId).toBe(p.scheduled.runId);
    expect((r.scheduled.outcome.output as { trigger: unknown }).trigger).toEqual({ kind: "schedule", slot: expect.any(String), pastDue: false });
    expect(runEpisodes(real, r.scheduled)).toEqual(runEpisodes(inProcess, p.scheduled));
  });

  it("retries a failing run after its delay and fails it the same way", () => {
    const { r, p } = both();
    expect((r.failing.outcome.output as { status: string; attempts: unknown[] }).attempts).toHaveLength(2);
    expect(runEpisodes(real, r.failing)).toEqual(runEpisodes(inProcess, p.failing));
  });

  it("delivers an activity's failure to the orchestration in the same shape, and retries it (by the extension, and by the run's delete loop)", () => {
    const { r, p } = both();
    const failed = real.journal().flatMap((record) => (record.instanceId === r.transient.runId ? record.newEvents : [])).find((event) => event.type === "TaskFailed");
    // Extension 3.19 takes the message from the host's RpcException (RemoteMessage), not from its text; the
    // activity puts ARM's code first so the run can classify the failure from what history keeps.
    expect(failed?.reason).toBe("Activity function 'createContainerGroup' failed: InternalServerError (HTTP 500): Try again later.");
    expect(runEpisodes(real, r.transient)).toEqual(runEpisodes(inProcess, p.transient));
    for (const outcome of [r.transient, p.transient]) {
      expect((outcome.outcome.output as { attempts: { cleanup: string }[] }).attempts[0]!.cleanup).toBe("deleted");
    }
  });

  it("ends a run at its deadline with one look at the deadline, although the real extension's timers can complete early", () => {
    const { r, p } = both();
    expect((r.deadline.outcome.output as { attempts: { reason: string }[] }).attempts[0]!.reason).toBe("containerTimeout");
    // How many looks fit before the deadline depends on the real queue's latency, so the watch is compared
    // by its shape: exactly one timer fires for the deadline, it is the last, and one look follows it.
    for (const [side, runId] of [[real, r.deadline.runId], [inProcess, p.deadline.runId]] as const) {
      const records = side.journal().filter((record) => record.instanceId === watchInstanceId(runId, 1));
      const started = records[0]!.newEvents.find((event) => event.type === "ExecutionStarted")!;
      const deadline = new Date((JSON.parse(String(started.payload)) as { deadline: number }).deadline).toISOString();
      const fired = records.flatMap((record) => record.newEvents).filter((event) => event.type === "TimerFired").map((event) => event.fireAt);
      expect(fired.filter((fireAt) => fireAt === deadline), side.name).toHaveLength(1);
      expect(fired.at(-1), side.name).toBe(deadline);
      const last = records.at(-1)!;
      expect(last.isDone, side.name).toBe(true);
      expect(records.at(-2)!.newEvents.some((event) => event.type === "TimerFired" && event.fireAt === deadline), side.name).toBe(true);
    }
    const { run: realRun } = runEpisodes(real, r.deadline);
    const { run: inProcessRun } = runEpisodes(inProcess, p.deadline);
    expect(realRun).toEqual(inProcessRun);
  });

  it("cancels a watched run the same way: the run and its watch both hear it, the group goes, no retry follows", () => {
    const { r, p } = both();
    const shape = (outcome: Outcomes["canceled"], origin: string) => {
      const scrub = scrubber({ [outcome.runId]: "<run>", [origin]: "<origin>" });
      const result = outcome.outcome.output as { status: string; cancellation: { phase: string; reason: string }; attempts: { outcome: string; cleanup: string; logLines: number }[] };
      return scrub({
        canceling: outcome.canceling,
        runtimeStatus: outcome.outcome.runtimeStatus,
        status: result.status,
        cancellation: { phase: result.cancellation.phase, reason: result.cancellation.reason },
        attempts: result.attempts.map(({ outcome: ended, cleanup, logLines }) => ({ outcome: ended, cleanup, logLines })),
        watch: { runtimeStatus: outcome.watch.runtimeStatus, kind: (outcome.watch.output as { kind: string }).kind },
        again: outcome.again,
        state: (outcome.view.body as { state: string }).state,
      });
    };
    expect(shape(r.canceled, real.host.url)).toEqual(shape(p.canceled, "http://localhost:7071"));
    expect(shape(r.canceled, real.host.url)).toMatchObject({
      canceling: { status: 202 },
      status: "canceled",
      cancellation: { phase: "watching", reason: "conformance" },
      attempts: [{ outcome: "canceled", cleanup: "deleted", logLines: 1 }],
      watch: { runtimeStatus: "Completed", kind: "canceled" },
      again: { status: 409, contentType: "application/problem+json" },
      state: "canceled",
    });
    expect(real.emulator.listGroups()).toEqual([]);
  });

  it("queues a second start of an overlap bufferAll job and runs it when the first has ended, the same way", () => {
    const { r, p } = both();
    const shape = (queued: Outcomes["queued"]) => {
      const first = queued.first.outcome.output as RunResult;
      const second = queued.second.outcome.output as RunResult;
      return {
        accepted: [(queued.first.accepted.body as { state?: string }).state ?? "started", (queued.second.accepted.body as { state?: string }).state],
        statuses: [first.status, second.status],
        inTurn: Date.parse(second.attempts[0]!.startedAt) >= Date.parse(first.finishedAt),
      };
    };
    expect(shape(r.queued)).toEqual({ accepted: ["started", "queued"], statuses: ["succeeded", "succeeded"], inTurn: true });
    expect(shape(p.queued)).toEqual(shape(r.queued));
  });

  it("lists ended runs the same way, and purges a run's history and its watches' as retention does", () => {
    const { r, p } = both();
    const shape = (answer: HttpAnswer) => ({
      status: answer.status,
      runs: (answer.body as { runs: Array<Record<string, unknown>> }).runs.map((run) => ({ state: run.state, attempts: run.attempts, trigger: run.trigger, reason: run.reason, exitCode: run.exitCode })),
    });
    expect(shape(r.history.failingList)).toEqual(shape(p.history.failingList));
    expect(shape(r.history.queueList)).toEqual(shape(p.history.queueList));
    expect(shape(r.history.failingList).runs).toEqual([expect.objectContaining({ state: "failed", attempts: 2 })]);
    expect((r.history.queueList.body as { runs: Array<{ runId: string }> }).runs.map((run) => run.runId)).toEqual([r.queued.second.runId, r.queued.first.runId]);
    // Each watch and the run: one instance each; a second purge of the run finds nothing.
    expect(r.history.purged).toEqual([1, 1, 1, 0]);
    expect(p.history.purged).toEqual(r.history.purged);
    expect(r.history.existsAfter).toEqual([false, false, false]);
    expect(p.history.existsAfter).toEqual(r.history.existsAfter);
  });

  it("answers the HTTP API the same way: 202, the run view, 404, 409 and 400 as problem+json", () => {
    const { r, p } = both();
    const shape = (answer: HttpAnswer, ids: Record<string, string> = {}) => ({
      status: answer.status,
      contentType: answer.contentType?.split(";")[0],
      body: scrubber({ ...ids, "http://localhost:7071": "<origin>", [real.host.url]: "<origin>" })(answer.body),
    });
    for (const name of ["unknownRun", "unknownJob", "invalidBody"] as const) {
      expect(shape(r[name]), name).toEqual(shape(p[name]));
      expect(r[name].contentType, name).toBe("application/problem+json");
    }
    expect(shape(r.deadline.second)).toEqual(shape(p.deadline.second, { [p.deadline.runId]: r.deadline.runId }));
    expect(r.deadline.second.status).toBe(409);
    expect(shape(r.tutorial.accepted, { [r.tutorial.runId]: "<run>" })).toEqual(shape(p.tutorial.accepted, { [p.tutorial.runId]: "<run>" }));
    const view = (answer: HttpAnswer, runId: string) => {
      const body = answer.body as Record<string, unknown>;
      return shape({ ...answer, body: { ...body, result: runSummary(body.result) } }, { [runId]: "<run>" });
    };
    expect(view(r.tutorial.view, r.tutorial.runId)).toEqual(view(p.tutorial.view, p.tutorial.runId));
  });

  it("delivers activity inputs as the extension converts them (booleans as text, null as nothing)", () => {
    const { r, p } = both();
    expect(r.probes.probe_inputs!.output).toEqual(p.probes.probe_inputs!.output);
    const seen = r.probes.probe_inputs!.output as { type: string; value: unknown }[];
    expect(seen.slice(0, 3)).toEqual([
      { type: "string", value: "True" },
      { type: "string", value: "False" },
      { type: "undefined", value: "(undefined)" },
    ]);
    expect(seen).toHaveLength(PROBE_INPUTS.length);
    const scrub = scrubber({});
    expect(episodesOf(real.journal(), probeIds.probe_inputs, scrub)).toEqual(episodesOf(inProcess.journal(), probeIds.probe_inputs, scrub));
  });

  it("continues as new the same way", () => {
    const { r, p } = both();
    expect(r.probes.probe_generations!.output).toBe(3);
    expect(p.probes.probe_generations!.output).toBe(3);
    const scrub = scrubber({});
    expect(episodesOf(real.journal(), probeIds.probe_generations, scrub)).toEqual(episodesOf(inProcess.journal(), probeIds.probe_generations, scrub));
  });

  it("lets a timer complete before its fire time on the in-process host too, as the Azure Storage provider can", () => {
    const { r, p } = both();
    // On the real extension it depends on when the queue is polled; the in-process host models the polling
    // (1 s maximum here, as on the real side): polls at 1.85, 2.85 and 3.85 s, so the 3.9 s timer comes early.
    expect(r.probes.probe_timerClock!.output).toEqual({ firedEarly: expect.any(Boolean) });
    expect(p.probes.probe_timerClock!.output).toEqual({ firedEarly: true });
  });

  it("shows the same custom status and output through the status API", () => {
    const { r, p } = both();
    for (const name of ["tutorial", "failing", "transient", "deadline"] as const) {
      const view = (outcome: RunOutcome) => {
        const attempts = (outcome.outcome.output as { attempts: { attempt: number; groupName: string }[] }).attempts;
        const ids = Object.fromEntries([[outcome.runId, "<run>"], ...attempts.map(({ attempt, groupName }) => [groupName, `<group ${attempt}>`])]);
        return scrubber(ids)({ ...outcome.outcome, output: runSummary(outcome.outcome.output) });
      };
      expect(view(r[name]), name).toEqual(view(p[name]));
    }
  });
});
