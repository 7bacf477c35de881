import { describe, expect, it } from "vitest";
import { defineJob, parseJobDefinition, type JobParse, type JobSpec } from "../../../src/jobs/definition";

const minimal = { id: "nightly_export", container: { image: "busybox:1.36" } };

function parsed(definition: unknown): JobSpec {
  const result = parseJobDefinition(definition, "label");
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.job;
}

function problems(definition: unknown, label = "nightly_export"): string[] {
  const result: JobParse = parseJobDefinition(definition, label);
  if (result.ok) throw new Error("expected the definition to be rejected");
  return result.problems;
}

describe("parseJobDefinition: defaults", () => {
  it("fills in Airflow's operator defaults: 1 CPU, 2 GB, Linux, restart policy Never, Regular priority, fail_if_exists true, no retries, 5 minutes between attempts", () => {
    const job = parsed(minimal);
    expect(job.container).toEqual({
      image: "busybox:1.36",
      cpu: 1,
      memoryInGB: 2,
      environment: {},
      failIfExists: true,
      osType: "Linux",
      restartPolicy: "Never",
      priority: "Regular",
      registryCredentials: [],
      volumes: [],
      volumeMounts: [],
      ports: [],
      subnetIds: [],
      tags: {},
    });
    expect(job.retries).toBe(0);
    expect(job.retryDelay).toBe(300_000);
    expect(job.retryExponentialBackoff).toBe(false);
    expect(job.removeOnSuccess).toBe(true);
    expect(job.removeOnError).toBe(true);
    expect(job.resultLogs).toBe("none");
  });

  it("defaults to no schedule, no catchup, overlap skip (one active run) and a 24-hour run budget", () => {
    const job = parsed(minimal);
    expect(job.schedule).toBeNull();
    expect(job.catchup).toBe(false);
    // Issue 11: skip is the default, as Airflow's max_active_runs=1 (it was 16 runs side by side before).
    expect(job.overlap).toBe("skip");
    expect(job.maxActiveRuns).toBe(1);
    expect(job.timeout).toBe(86_400_000);
  });

  it("keeps several active runs for a job that asks for them: maxActiveRuns above 1 means allowAll", () => {
    expect(parsed({ ...minimal, maxActiveRuns: 3 })).toMatchObject({ overlap: "allowAll", maxActiveRuns: 3 });
    expect(parsed({ ...minimal, overlap: "allowAll" })).toMatchObject({ overlap: "allowAll", maxActiveRuns: 16 });
    expect(parsed({ ...minimal, overlap: "bufferAll" })).toMatchObject({ overlap: "bufferAll", maxActiveRuns: 1 });
    expect(problems({ ...minimal, overlap: "bufferAll", maxActiveRuns: 2 })).toEqual([
      'job "nightly_export", field maxActiveRuns: maxActiveRuns above 1 needs overlap allowAll: with overlap bufferAll one run is active at a time',
    ]);
    expect(problems({ ...minimal, overlap: "sometimes" })).toEqual([
      'job "nightly_export", field overlap: overlap must be one of skip, bufferOne, bufferAll, cancelOther, allowAll',
    ]);
  });

  it("leaves group name, region and command out when the job does not set them", () => {
    const { container } = parsed(minimal);
    expect(container).not.toHaveProperty("groupName");
    expect(container).not.toHaveProperty("region");
    expect(container).not.toHaveProperty("command");
  });
});

describe("parseJobDefinition: values", () => {
  it("keeps the schedule as written and adds its NCRONTAB form", () => {
    // In UTC the timer fires on the schedule itself.
    const utc = { timeZone: "UTC", utcOffsets: [] };
    expect(parsed({ ...minimal, schedule: "@daily" }).schedule).toEqual({ expression: "@daily", ncrontab: "0 0 0 * * *", timerSchedule: "0 0 0 * * *", ...utc });
    expect(parsed({ ...minimal, schedule: "30 2 * * 1" }).schedule).toEqual({ expression: "30 2 * * 1", ncrontab: "0 30 2 * * 1", timerSchedule: "0 30 2 * * 1", ...utc });
  });

  it("accepts an explicit null schedule for a job that only runs on request", () => {
    expect(parsed({ ...minimal, schedule: null }).schedule).toBeNull();
  });

  it("turns duration strings into milliseconds", () => {
    const job = parsed({ ...minimal, retryDelay: "90s", timeout: "1h30m" });
    expect(job.retryDelay).toBe(90_000);
    expect(job.timeout).toBe(5_400_000);
  });

  it("allows a fixed group name for a job with at most one active run", () => {
    expect(parsed({ ...minimal, maxActiveRuns: 1, container: { image: "x", groupName: "fixed-name" } }).container.groupName).toBe("fixed-name");
  });

  it("keeps command and environment as written", () => {
    const job = parsed({ ...minimal, container: { image: "x", command: ["echo", "hi"], environment: { MODE: "prod", X_1: "" } } });
    expect(job.container.command).toEqual(["echo", "hi"]);
    expect(job.container.environment).toEqual({ MODE: "prod", X_1: "" });
  });
});

describe("parseJobDefinition: problems name the job and the field", () => {
  it("formats each problem as job \"<label>\", field <path>: <reason>", () => {
    expect(problems({ ...minimal, container: { image: "  " } })).toEqual(['job "nightly_export", field container.image: image is required']);
  });

  it("lists cross-field problems together with field problems, in one report", () => {
    const found = problems({ id: "x", container: { image: "i", groupName: "good" }, maxActiveRuns: 2, timeout: "10s", retryDelay: "soon" }, "x");
    expect(found).toHaveLength(3);
    expect(found.join("\n")).toMatch(/field retryDelay: "soon" is not a duration/u);
    expect(found.join("\n")).toMatch(/field maxActiveRuns: a job with a fixed container.groupName/u);
    expect(found.join("\n")).toMatch(/field timeout: timeout must be at least 1m/u);
  });

  it("gives the reason for a bad environment variable name, not just 'invalid key'", () => {
    expect(problems({ ...minimal, container: { image: "i", environment: { _BAD: "v" } } })).toEqual([
      'job "nightly_export", field container.environment._BAD: environment variable "_BAD" must be 1-63 letters, digits and underscores, not starting or ending with an underscore',
    ]);
  });

  it("uses (definition) as the field of a problem with the definition as a whole", () => {
    expect(problems(42, "#3")).toEqual(['job "#3", field (definition): Invalid input: expected object, received number']);
  });

  it("rejects unknown keys at the top level and in the container, naming the key", () => {
    expect(problems({ ...minimal, retry: 3 })).toEqual(['job "nightly_export", field (definition): Unrecognized key: "retry"']);
    expect(problems({ ...minimal, container: { image: "x", memory: 2 } })).toEqual([
      'job "nightly_export", field container: Unrecognized key: "memory"',
    ]);
  });

  it("rejects ids that do not start with a letter, contain other characters or exceed 63 characters", () => {
    for (const id of ["1job", "my-job", "_job", "j".repeat(64), ""]) {
      expect(problems({ ...minimal, id }), id).toEqual([
        `job "nightly_export", field id: id must start with a letter and use only letters, digits and underscores (at most 63)`,
      ]);
    }
    expect(parsed({ ...minimal, id: `J${"_9".repeat(31)}` }).id).toHaveLength(63);
  });

  it("rejects catchup true, pointing to catchupWindow for slots missed during downtime", () => {
    // Ours on purpose: Airflow's catchup replays every slot since start_date; aci-jobs catches up only
    // the slots missed while the app was down, within catchupWindow.
    expect(problems({ ...minimal, catchup: true })).toEqual([
      'job "nightly_export", field catchup: catchup must be false: set catchupWindow to run the slots missed while the app was down',
    ]);
  });

  it("rejects a fixed group name with more than one active run, on maxActiveRuns", () => {
    expect(problems({ ...minimal, maxActiveRuns: 2, container: { image: "x", groupName: "shared" } })).toEqual([
      'job "nightly_export", field maxActiveRuns: a job with a fixed container.groupName can have at most 1 active run (runs would share the group)',
    ]);
    expect(problems({ ...minimal, overlap: "allowAll", container: { image: "x", groupName: "shared" } })).toHaveLength(1);
    // One run at a time, the default, is fine with a fixed name.
    expect(parsed({ ...minimal, container: { image: "x", groupName: "shared" } })).toMatchObject({ overlap: "skip", maxActiveRuns: 1 });
  });

  it("rejects a timeout under one minute", () => {
    expect(problems({ ...minimal, timeout: "59s" })).toEqual(['job "nightly_export", field timeout: timeout must be at least 1m']);
    expect(parsed({ ...minimal, timeout: "1m" }).timeout).toBe(60_000);
  });

  it("rejects a duration it cannot read, saying which field", () => {
    expect(problems({ ...minimal, retryDelay: "5 minutes" })).toEqual([
      'job "nightly_export", field retryDelay: "5 minutes" is not a duration such as "90s", "5m" or "1h30m" (retryDelay)',
    ]);
  });

  it("rejects a schedule NCRONTAB cannot express", () => {
    expect(problems({ ...minimal, schedule: "0 0 L * *" })).toEqual([
      'job "nightly_export", field schedule: field "L" uses syntax NCRONTAB does not support',
    ]);
  });

  it("rejects an invalid group name with ACI's reason and the name (Airflow test_name_checker)", () => {
    expect(problems({ ...minimal, maxActiveRuns: 1, container: { image: "x", groupName: "bad_name" } })).toEqual([
      'job "nightly_export", field container.groupName: container group name "bad_name" may contain only lowercase letters, digits and hyphens',
    ]);
  });

  it("rejects an invalid environment variable name at its own field path", () => {
    const [problem, ...rest] = problems({ ...minimal, container: { image: "x", environment: { "BAD-NAME": "v" } } });
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^job "nightly_export", field container\.environment\.BAD-NAME: /u);
  });

  it("rejects resources outside ACI's limits, a region with capitals and an empty command", () => {
    const found = problems({ ...minimal, container: { image: "x", cpu: 0, memoryInGB: 241, region: "East US", command: [] } });
    expect(found.map((p) => p.split(":")[0])).toEqual([
      'job "nightly_export", field container.region',
      'job "nightly_export", field container.cpu',
      'job "nightly_export", field container.memoryInGB',
      'job "nightly_export", field container.command',
    ]);
    expect(problems({ ...minimal, container: { image: "x", cpu: 32 } })).toHaveLength(1);
  });

  it("rejects retries and active-run limits outside their ranges", () => {
    expect(problems({ ...minimal, retries: 21, maxActiveRuns: 0 }).map((p) => p.split(":")[0])).toEqual([
      'job "nightly_export", field maxActiveRuns',
      'job "nightly_export", field retries',
    ]);
    expect(problems({ ...minimal, retries: 1.5 })).toHaveLength(1);
  });

  it("lists several field problems of one definition together", () => {
    const found = problems({ ...minimal, container: { image: "", groupName: "Bad" }, maxActiveRuns: 2, timeout: "10s" });
    expect(found.map((p) => p.split(":")[0])).toEqual([
      'job "nightly_export", field container.groupName',
      'job "nightly_export", field container.image',
      'job "nightly_export", field maxActiveRuns',
      'job "nightly_export", field timeout',
    ]);
  });
});

describe("parseJobDefinition: bounds of issue 9", () => {
  it("refuses a retryDelay or maxRetryDelay over 24 hours, Airflow's cap (100000000d once crashed the orchestration)", () => {
    expect(problems({ ...minimal, retryDelay: "100000000d" })).toEqual([
      "job \"nightly_export\", field retryDelay: retryDelay must be at most 24h (Airflow's cap on the wait between attempts)",
    ]);
    expect(problems({ ...minimal, maxRetryDelay: "24h1s" })).toEqual([
      "job \"nightly_export\", field maxRetryDelay: maxRetryDelay must be at most 24h (Airflow's cap on the wait between attempts)",
    ]);
    const job = parsed({ ...minimal, retryDelay: "24h", maxRetryDelay: "1d" });
    expect([job.retryDelay, job.maxRetryDelay]).toEqual([86_400_000, 86_400_000]);
  });

  it("refuses a timeout or containerTimeout over 6 days, the longest durable timer for JavaScript", () => {
    expect(problems({ ...minimal, timeout: "7d" })).toEqual([
      "job \"nightly_export\", field timeout: timeout must be at most 6d (the longest durable timer Durable Functions allows JavaScript)",
    ]);
    expect(problems({ ...minimal, timeout: "6d", containerTimeout: "6d1ms" }).join("\n")).toMatch(/field containerTimeout: containerTimeout must be at most 6d/u);
    const job = parsed({ ...minimal, timeout: "6d", containerTimeout: "144h" });
    expect([job.timeout, job.containerTimeout]).toEqual([518_400_000, 518_400_000]);
  });

  it("refuses a duration with a number of more than 9 digits, or a long text, without quoting all of it", () => {
    // Before: a 400-digit number became Infinity (stored as null) and the run timed out at its first look.
    expect(problems({ ...minimal, retryDelay: "1000000000s" })).toEqual([
      'job "nightly_export", field retryDelay: "1000000000s" has a number of more than 9 digits (retryDelay)',
    ]);
    const [tooLong, ...rest] = problems({ ...minimal, timeout: `${"9".repeat(400)}s` });
    expect(rest).toEqual([]);
    expect(tooLong).toMatch(/^job "nightly_export", field timeout: "9{40}…" is longer than 40 characters \(timeout\)$/u);
  });

  it("refuses cpu and memory below ACI's 1 vCPU / 1 GB group minimum (5e-324 and 1e-300 were accepted)", () => {
    expect(problems({ ...minimal, container: { image: "x", cpu: 5e-324, memoryInGB: 1e-300 } })).toEqual([
      "job \"nightly_export\", field container.cpu: cpu must be at least 1 vCPU (ACI's minimum for a container group)",
      "job \"nightly_export\", field container.memoryInGB: memoryInGB must be at least 1 GB (ACI's minimum for a container group)",
    ]);
    expect(problems({ ...minimal, container: { image: "x", cpu: 0.5 } })).toHaveLength(1);
  });

  it("refuses cpu and memory that are not in steps of 0.1, and accepts those that are", () => {
    expect(problems({ ...minimal, container: { image: "x", cpu: 1.25, memoryInGB: 1.05 } })).toEqual([
      'job "nightly_export", field container.cpu: cpu must be a multiple of 0.1 vCPU',
      'job "nightly_export", field container.memoryInGB: memoryInGB must be a multiple of 0.1 GB (ACI refuses other values)',
    ]);
    const { container } = parsed({ ...minimal, container: { image: "x", cpu: 3.3, memoryInGB: 7.7 } });
    expect([container.cpu, container.memoryInGB]).toEqual([3.3, 7.7]);
    expect(parsed({ ...minimal, container: { image: "x", cpu: 31, memoryInGB: 240 } }).container).toMatchObject({ cpu: 31, memoryInGB: 240 });
  });

  it("holds the overrides allow-list to the same cpu and memory rules and bounds its lists", () => {
    const found = problems({ ...minimal, overrides: { cpu: { max: 0.5 }, memoryInGB: { max: 1.05 } } });
    expect(found.map((p) => p.split(":")[0])).toEqual(['job "nightly_export", field overrides.cpu.max', 'job "nightly_export", field overrides.memoryInGB.max']);
    const names = Array.from({ length: 101 }, (_, i) => `V${i}`);
    expect(problems({ ...minimal, overrides: { environment: names } })).toEqual([
      'job "nightly_export", field overrides.environment: at most 100 environment variables',
    ]);
    expect(problems({ ...minimal, overrides: { imageTags: names } })).toEqual(['job "nightly_export", field overrides.imageTags: at most 100 image tags']);
  });
});

describe("defineJob", () => {
  it("returns the definition unchanged: validation happens at startup", () => {
    const definition = { id: "x", container: { image: "y" } };
    expect(defineJob(definition)).toBe(definition);
  });
});
