/**
 * The run's logical date as Airflow templating gives it (issue 11, item 8): the ACI_JOBS_* variables,
 * placeholders in the command and plain environment values, the times a run starts with, and the
 * startup and request errors for what cannot work.
 */
import { describe, expect, it } from "vitest";
import { parseJobDefinition, type JobSpec } from "../../../src/jobs/definition";
import { applyRunOverrides } from "../../../src/jobs/overrides";
import { containerForAttempt, fillPlaceholders, unknownPlaceholders, type RunTimes } from "../../../src/jobs/runContext";
import { keyVaultSecret } from "../../../src/jobs/secretReference";
import { runTimesFor } from "../../../src/runs/runTimes";

function job(definition: Record<string, unknown>): JobSpec {
  const parsed = parseJobDefinition({ id: "daily_export", container: { image: "busybox" }, ...definition }, "daily_export");
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  return parsed.job;
}

const times: RunTimes = {
  slot: "2026-11-27T00:00:00Z",
  logicalDate: "2026-11-27T00:00:00Z",
  ds: "2026-11-27",
  intervalStart: "2026-11-26T00:00:00Z",
  intervalEnd: "2026-11-27T00:00:00Z",
};

describe("placeholders", () => {
  it("fills Airflow's names, with or without spaces, and keeps a literal {{ written as {{ '{{' }}", () => {
    const values = { ds: "2026-11-27", ds_nodash: "20261127", ts: "T", data_interval_start: "S", data_interval_end: "E", run_id: "R", job: "J", attempt: "2" };
    expect(fillPlaceholders("--day={{ ds }} --from={{data_interval_start}} --to={{ data_interval_end }} {{ds_nodash}} #{{ attempt }}", values)).toBe(
      "--day=2026-11-27 --from=S --to=E 20261127 #2",
    );
    expect(fillPlaceholders("go template: {{ '{{' }} .Name }}", values)).toBe("go template: {{ .Name }}");
  });

  it("names the ones it does not know", () => {
    expect(unknownPlaceholders("{{ ds }} {{ execution_date }} {{ds | upper}}")).toEqual(["{{ execution_date }}", "{{ds | upper}}"]);
  });
});

describe("the container an attempt creates", () => {
  it("has the context variables, a slot's interval, and the placeholders filled in; secrets are untouched", () => {
    const spec = job({
      container: {
        image: "busybox",
        command: ["export", "--day", "{{ ds }}", "--since", "{{ data_interval_start }}"],
        environment: { TARGET: "s3://bucket/{{ ds_nodash }}/", TOKEN: keyVaultSecret("export-token") },
      },
    });
    const container = containerForAttempt(spec.container, { jobId: "daily_export", runId: "daily_export-scheduled-20261127T000000Z", attempt: 2, times });
    expect(container.command).toEqual(["export", "--day", "2026-11-27", "--since", "2026-11-26T00:00:00Z"]);
    expect(container.environment).toEqual({
      TARGET: "s3://bucket/20261127/",
      TOKEN: { keyVaultSecret: "export-token" },
      ACI_JOBS_JOB: "daily_export",
      ACI_JOBS_RUN_ID: "daily_export-scheduled-20261127T000000Z",
      ACI_JOBS_ATTEMPT: "2",
      ACI_JOBS_SLOT: "2026-11-27T00:00:00Z",
      ACI_JOBS_INTERVAL_START: "2026-11-26T00:00:00Z",
      ACI_JOBS_INTERVAL_END: "2026-11-27T00:00:00Z",
    });
  });

  it("has no slot variables for a run without a slot, and leaves a run from before times existed as written", () => {
    const spec = job({ container: { image: "busybox", command: ["echo", "{{ ds }}"] } });
    const { slot: _slot, ...noSlot } = times;
    const manual = containerForAttempt(spec.container, { jobId: "daily_export", runId: "r", attempt: 1, times: noSlot });
    expect(Object.keys(manual.environment)).toEqual(["ACI_JOBS_JOB", "ACI_JOBS_RUN_ID", "ACI_JOBS_ATTEMPT"]);
    expect(containerForAttempt(spec.container, { jobId: "daily_export", runId: "r", attempt: 1 }).command).toEqual(["echo", "{{ ds }}"]);
  });
});

describe("a run's times", () => {
  it("for a scheduled slot: the interval from the previous slot", () => {
    const daily = job({ schedule: "@daily" });
    expect(runTimesFor(daily, new Date("2026-11-27T00:00:00Z"), new Date("2026-11-27T00:00:00.020Z"))).toEqual(times);
    const weekdays = job({ schedule: "0 6 * * 1-5" });
    // Monday's interval starts at Friday's slot.
    expect(runTimesFor(weekdays, new Date("2026-11-30T06:00:00Z"), new Date())).toMatchObject({ intervalStart: "2026-11-27T06:00:00Z", intervalEnd: "2026-11-30T06:00:00Z" });
  });

  it("in a time zone: ds is the local day", () => {
    const berlin = job({ schedule: { cron: "30 0 * * *", timeZone: "Europe/Berlin" } });
    // 00:30 in Berlin on 30 March is 22:30 UTC on the 29th.
    expect(runTimesFor(berlin, new Date("2026-03-29T22:30:00Z"), new Date())).toEqual({
      slot: "2026-03-29T22:30:00Z",
      logicalDate: "2026-03-29T22:30:00Z",
      ds: "2026-03-30",
      intervalStart: "2026-03-28T23:30:00Z",
      intervalEnd: "2026-03-29T22:30:00Z",
    });
  });

  it("without a slot: the logical date is when the run was requested, and the interval is that instant", () => {
    expect(runTimesFor(job({ schedule: "@daily" }), undefined, new Date("2026-11-28T09:30:12.345Z"))).toEqual({
      logicalDate: "2026-11-28T09:30:12.345Z",
      ds: "2026-11-28",
      intervalStart: "2026-11-28T09:30:12.345Z",
      intervalEnd: "2026-11-28T09:30:12.345Z",
    });
  });
});

describe("what stops the app at startup", () => {
  const problems = (definition: Record<string, unknown>) => {
    const parsed = parseJobDefinition({ id: "daily_export", container: { image: "busybox" }, ...definition }, "daily_export");
    return parsed.ok ? [] : parsed.problems;
  };

  it("an unknown placeholder, naming the job and the field", () => {
    expect(problems({ container: { image: "busybox", command: ["echo", "{{ execution_date }}"] } })).toEqual([
      expect.stringMatching(/^job "daily_export", field container\.command\.1: unknown placeholder \{\{ execution_date \}\}; known: \{\{ ds \}\}/u),
    ]);
    expect(problems({ container: { image: "busybox", environment: { DAY: "{{ yesterday_ds }}" } } })).toEqual([
      expect.stringMatching(/^job "daily_export", field container\.environment\.DAY: unknown placeholder \{\{ yesterday_ds \}\}/u),
    ]);
  });

  it("a variable named like the ones aci-jobs sets, in the container or the overrides allow-list", () => {
    expect(problems({ container: { image: "busybox", environment: { ACI_JOBS_SLOT: "x" } } })).toEqual([
      expect.stringMatching(/field container\.environment\.ACI_JOBS_SLOT: environment variable "ACI_JOBS_SLOT" is reserved/u),
    ]);
    expect(problems({ overrides: { environment: ["aci_jobs_run_id"] } })).toEqual([expect.stringMatching(/field overrides\.environment\.0: environment variable "aci_jobs_run_id" is reserved/u)]);
  });
});

describe("a run request naming its slot", () => {
  const now = new Date("2026-11-28T09:30:00Z");
  const daily = job({ schedule: "@daily", overrides: { slot: true, command: true } });

  it("is taken for a past slot of the schedule, and recorded", () => {
    const applied = applyRunOverrides(daily, { slot: "2026-11-27T00:00:00Z" }, now);
    expect(applied).toMatchObject({ ok: true, overrides: { slot: "2026-11-27T00:00:00Z" } });
    expect(applyRunOverrides(daily, { slot: "2026-11-27T01:00:00+01:00" }, now)).toMatchObject({ ok: true, overrides: { slot: "2026-11-27T00:00:00Z" } });
  });

  it("is refused, naming the field: not allowed, not a time, in the future, or not a slot", () => {
    const refused = (target: JobSpec, body: unknown) => {
      const applied = applyRunOverrides(target, body, now);
      return applied.ok ? [] : applied.problems.map((p) => `${p.field}: ${p.message}`);
    };
    expect(refused(job({ schedule: "@daily" }), { slot: "2026-11-27T00:00:00Z" })).toEqual(["slot: slot is not allowed for job daily_export (its overrides.slot is false)"]);
    expect(refused(daily, { slot: "yesterday" })).toEqual([expect.stringMatching(/^slot: slot is not an ISO 8601 time/u)]);
    expect(refused(daily, { slot: "2026-11-27" })).toEqual([expect.stringMatching(/^slot: slot is not an ISO 8601 time/u)]);
    expect(refused(daily, { slot: "2026-11-29T00:00:00Z" })).toEqual(["slot: slot 2026-11-29T00:00:00Z is in the future; a run can reprocess a past slot only"]);
    expect(refused(daily, { slot: "2026-11-27T06:00:00Z" })).toEqual([
      "slot: slot 2026-11-27T06:00:00Z is not a slot of job daily_export's schedule (@daily, UTC); the nearest are 2026-11-27T00:00:00Z and 2026-11-28T00:00:00Z",
    ]);
  });

  it("an unknown placeholder in a caller's command is refused as the definition's would be", () => {
    const applied = applyRunOverrides(daily, { command: ["echo", "{{ tomorrow }}"] }, now);
    expect(applied.ok).toBe(false);
    if (!applied.ok) expect(applied.problems[0]).toMatchObject({ field: "command", message: expect.stringContaining("unknown placeholder {{ tomorrow }}") });
  });
});
