import { describe, expect, it } from "vitest";
import { containerSchema } from "../../../src/jobs/container";
import { parseJobDefinition, type JobDefinition, type JobSpec } from "../../../src/jobs/definition";
import { applyRunOverrides, imageWithTag, overriddenFields, type OverrideProblem, type OverridesResult } from "../../../src/jobs/overrides";
import { keyVaultSecret } from "../../../src/jobs/secretReference";

function job(definition: Omit<Partial<JobDefinition>, "container"> & { container?: Partial<JobDefinition["container"]> } = {}): JobSpec {
  const parsed = parseJobDefinition(
    {
      id: "report",
      ...definition,
      container: { image: "myregistry.azurecr.io:5000/team/app:1.2", ...definition.container },
    },
    "report",
  );
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  return parsed.job;
}

/** A job whose allow-list opens every field: command, A and B, two tags, up to 4 vCPU and 8 GB. */
const open = job({
  overrides: { command: true, environment: ["A", "B"], imageTags: ["1.3", "2.0-rc1"], cpu: { max: 4 }, memoryInGB: { max: 8 } },
  container: {
    command: ["python", "report.py"],
    environment: { A: "default-a", C: "fixed" },
  },
});
/** A job with a secret: its environment may be overridden, its command may not (startup refuses that). */
const withSecret = job({
  overrides: { environment: ["A", "B"] },
  container: { command: ["python", "report.py"], environment: { A: "default-a", C: "fixed", TOKEN: keyVaultSecret("report-token") } },
});
/** A job that allows nothing (the default). */
const closed = job();

function accepted(result: OverridesResult): Extract<OverridesResult, { ok: true }> {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.problems)}`);
  return result;
}

function refused(result: OverridesResult): readonly OverrideProblem[] {
  if (result.ok) throw new Error("expected the request to be refused");
  return result.problems;
}

describe("applyRunOverrides: a plain run", () => {
  it("starts a plain run for no body and for {}: the job unchanged and no overrides recorded", () => {
    for (const body of [undefined, {}]) {
      const result = accepted(applyRunOverrides(closed, body));
      expect(result.job).toBe(closed);
      expect(result).not.toHaveProperty("overrides");
    }
  });

  it("records nothing for an empty environment object", () => {
    const result = accepted(applyRunOverrides(open, { environment: {} }));
    expect(result.job).toBe(open);
    expect(result.overrides).toBeUndefined();
  });
});

describe("applyRunOverrides: what the allow-list permits", () => {
  it("merges every allowed field onto a copy of the job and records exactly what was asked", () => {
    const body = { command: ["python", "report.py", "--day", "2026-03-01"], environment: { B: "b" }, imageTag: "1.3", cpu: 2, memoryInGB: 4 };
    const result = accepted(applyRunOverrides(open, body));

    expect(result.overrides).toEqual(body);
    expect(result.job.container).toMatchObject({
      image: "myregistry.azurecr.io:5000/team/app:1.3",
      command: ["python", "report.py", "--day", "2026-03-01"],
      cpu: 2,
      memoryInGB: 4,
      environment: { A: "default-a", B: "b", C: "fixed" },
    });
    // Everything else is the job's own, and the job itself is untouched.
    expect({ ...result.job, container: undefined }).toEqual({ ...open, container: undefined });
    expect(open.container.image).toBe("myregistry.azurecr.io:5000/team/app:1.2");
    expect(open.container.environment).not.toHaveProperty("B");
  });

  it("replaces an environment variable the job sets, keeping the others and its secret references", () => {
    const result = accepted(applyRunOverrides(withSecret, { environment: { A: "from-caller" } }));
    expect(result.job.container.environment).toEqual({ A: "from-caller", C: "fixed", TOKEN: { keyVaultSecret: "report-token" } });
  });

  it("accepts cpu and memory exactly at their maximum", () => {
    const result = accepted(applyRunOverrides(open, { cpu: 4, memoryInGB: 8 }));
    expect(result.job.container).toMatchObject({ cpu: 4, memoryInGB: 8 });
  });

  it("accepts a job's cpu override on a Spot job within Spot's 4 vCPU", () => {
    const spot = job({ overrides: { cpu: { max: 4 } }, container: { priority: "Spot" } });
    expect(accepted(applyRunOverrides(spot, { cpu: 3.5 })).job.container.cpu).toBe(3.5);
  });
});

describe("applyRunOverrides: refusals name the field", () => {
  it("refuses a command override when the job does not allow one", () => {
    expect(refused(applyRunOverrides(closed, { command: ["sh", "-c", "rm -rf /"] }))).toEqual([
      { field: "command", message: "command is not overridable for job report" },
    ]);
  });

  it("refuses an environment variable outside the allow-list, listing the ones that are overridable", () => {
    expect(refused(applyRunOverrides(open, { environment: { A: "ok", FOO: "x" } }))).toEqual([
      { field: "environment.FOO", message: "environment.FOO is not overridable for job report; overridable: A, B" },
    ]);
    expect(refused(applyRunOverrides(closed, { environment: { FOO: "x" } }))[0]?.message).toBe("environment.FOO is not overridable for job report; overridable: none");
  });

  it("refuses to replace a variable the job defines as a Key Vault reference, even if a job lists it", () => {
    const listsItsSecret = { ...withSecret, overrides: { ...withSecret.overrides, environment: ["A", "TOKEN"] } };
    expect(refused(applyRunOverrides(listsItsSecret, { environment: { TOKEN: "guess" } }))).toEqual([
      { field: "environment.TOKEN", message: "environment.TOKEN is a Key Vault reference in job report and cannot be overridden" },
    ]);
  });

  it("refuses a variable the job sets but does not list (a fixed plain value stays fixed)", () => {
    expect(refused(applyRunOverrides(open, { environment: { C: "changed" } }))[0]?.field).toBe("environment.C");
  });

  it("refuses a __proto__ key instead of silently dropping it", () => {
    const body = JSON.parse('{"environment": {"__proto__": "x"}}') as unknown;
    expect(refused(applyRunOverrides(open, body))).toEqual([
      { field: "environment.__proto__", message: "environment.__proto__ is not overridable for job report; overridable: A, B" },
    ]);
  });

  it("refuses a non-string environment value (plain values only: no Key Vault references from callers)", () => {
    expect(refused(applyRunOverrides(open, { environment: { A: 3 } }))).toEqual([{ field: "environment.A", message: "environment.A must be a string (plain values only)" }]);
    expect(refused(applyRunOverrides(open, { environment: { A: { keyVaultSecret: "other-secret" } } }))[0]?.field).toBe("environment.A");
  });

  it("refuses an image tag when the job allows none, and one not in its list, listing the allowed tags", () => {
    expect(refused(applyRunOverrides(closed, { imageTag: "1.3" }))).toEqual([{ field: "imageTag", message: "imageTag is not overridable for job report" }]);
    expect(refused(applyRunOverrides(open, { imageTag: "latest" }))).toEqual([
      { field: "imageTag", message: 'imageTag "latest" is not allowed for job report; allowed: 1.3, 2.0-rc1' },
    ]);
  });

  it("refuses an image tag that is not a tag (a digest, a path, a registry)", () => {
    for (const imageTag of ["sha256:0123456789abcdef", "1.3@sha256:abc", "../app:1.3", ""]) {
      expect(refused(applyRunOverrides(open, { imageTag }))[0]?.field, imageTag).toBe("imageTag");
    }
  });

  it("refuses an image tag for an image pinned by digest: it has no tag to replace", () => {
    // The startup check refuses imageTags for @sha256 images; any other digest is refused here.
    const pinned = job({ overrides: { imageTags: ["1.3"] }, container: { image: "myregistry.azurecr.io/team/app@sha512:0123" } });
    expect(refused(applyRunOverrides(pinned, { imageTag: "1.3" }))).toEqual([
      { field: "imageTag", message: "imageTag cannot be applied: job report pins its image by digest (myregistry.azurecr.io/team/app@sha512:0123)" },
    ]);
  });

  it("refuses cpu and memory the job does not open, and values above the job's maximum", () => {
    expect(refused(applyRunOverrides(closed, { cpu: 2, memoryInGB: 4 }))).toEqual([
      { field: "cpu", message: "cpu is not overridable for job report" },
      { field: "memoryInGB", message: "memoryInGB is not overridable for job report" },
    ]);
    expect(refused(applyRunOverrides(open, { cpu: 4.5, memoryInGB: 16 }))).toEqual([
      { field: "cpu", message: "cpu 4.5 is more than job report allows (at most 4)" },
      { field: "memoryInGB", message: "memoryInGB 16 is more than job report allows (at most 8)" },
    ]);
  });

  it("refuses zero, negative and non-numeric cpu and memory", () => {
    for (const body of [{ cpu: 0 }, { cpu: -1 }, { cpu: "2" }, { memoryInGB: 0 }, { memoryInGB: null }]) {
      const [field] = Object.keys(body);
      expect(refused(applyRunOverrides(open, body)).map((p) => p.field), JSON.stringify(body)).toEqual([field]);
    }
  });

  it("refuses an empty command and a command that is not an array of strings", () => {
    for (const command of [[], "python report.py", [1, 2]]) {
      const [problem] = refused(applyRunOverrides(open, { command }));
      expect(problem?.field, JSON.stringify(command)).toMatch(/^command/u);
      expect(problem?.message).toMatch(/^command/u);
    }
  });

  it("refuses unknown fields, naming each, even ones that look like job fields", () => {
    expect(refused(applyRunOverrides(open, { image: "evil:latest", container: {}, cpu: 2 }))).toEqual([
      { field: "image", message: '"image" is not a field of a run request (it may set command, environment, imageTag, cpu, memoryInGB, slot)' },
      { field: "container", message: '"container" is not a field of a run request (it may set command, environment, imageTag, cpu, memoryInGB, slot)' },
    ]);
  });

  it("refuses a body that is not an object", () => {
    for (const body of [[], null, "run", 3]) {
      expect(refused(applyRunOverrides(open, body)), JSON.stringify(body)).toEqual([{ field: "(body)", message: "the request body must be a JSON object" }]);
    }
  });

  it("reports every refused field of one request at once", () => {
    const problems = refused(applyRunOverrides(closed, { command: ["x"], environment: { A: "1", B: "2" }, imageTag: "1.3", cpu: 1 }));
    expect(problems.map((p) => p.field)).toEqual(["command", "environment.A", "environment.B", "imageTag", "cpu"]);
  });
});

describe("applyRunOverrides: the merged container is validated as a definition is", () => {
  it("refuses overrides that pass the allow-list but break ACI's rules, naming the field (Spot's 4 vCPU / 16 GB)", () => {
    // The startup check keeps a Spot job's bounds within Spot's limits; a job whose allow-list got
    // around it must still not produce a group ACI would refuse.
    const spot = job({ container: { priority: "Spot" } });
    const tooLoose = { ...spot, overrides: { ...spot.overrides, cpu: { max: 8 }, memoryInGB: { max: 32 } } };
    expect(refused(applyRunOverrides(tooLoose, { cpu: 6, memoryInGB: 20 }))).toEqual([
      { field: "cpu", message: "cpu: the container this run would create is not valid for job report: Spot container groups get at most 4 vCPU" },
      { field: "memoryInGB", message: "memoryInGB: the container this run would create is not valid for job report: Spot container groups get at most 16 GB" },
    ]);
  });

  it("refuses a merged environment variable whose name ACI would refuse, naming it", () => {
    const badName = { ...open, overrides: { ...open.overrides, environment: ["_BAD"] } };
    const [problem] = refused(applyRunOverrides(badName, { environment: { _BAD: "x" } }));
    expect(problem?.field).toBe("environment._BAD");
    expect(problem?.message).toMatch(/^environment\._BAD: .*environment variable "_BAD" must be 1-63 letters/u);
  });

  it("returns the container as the schema outputs it (validating it again changes nothing)", () => {
    const { job: merged } = accepted(applyRunOverrides(open, { cpu: 1.5 }));
    expect(containerSchema.parse(merged.container)).toEqual(merged.container);
  });
});

describe("imageWithTag", () => {
  it.each([
    ["hello-world", "1.3", "hello-world:1.3"],
    ["hello-world:latest", "1.3", "hello-world:1.3"],
    ["library/busybox:1.36", "1.37", "library/busybox:1.37"],
    ["myregistry.azurecr.io/team/app:1.2", "1.3", "myregistry.azurecr.io/team/app:1.3"],
    // A registry port is not a tag: only the last path segment has one.
    ["myregistry.azurecr.io:5000/team/app:1.2", "1.3", "myregistry.azurecr.io:5000/team/app:1.3"],
    ["myregistry.azurecr.io:5000/team/app", "1.3", "myregistry.azurecr.io:5000/team/app:1.3"],
    ["localhost:5000/app", "v2", "localhost:5000/app:v2"],
  ])("%s with tag %s is %s", (image, tag, expected) => {
    expect(imageWithTag(image, tag)).toBe(expected);
  });

  it("has no answer for an image pinned by digest, with or without a tag", () => {
    expect(imageWithTag("myregistry.azurecr.io:5000/team/app@sha256:0f1e", "1.3")).toBeUndefined();
    expect(imageWithTag("myregistry.azurecr.io/team/app:1.2@sha256:0f1e", "1.3")).toBeUndefined();
  });
});

describe("overriddenFields", () => {
  it("names the fields a run changed, environment variables one by one, without values", () => {
    expect(overriddenFields({ command: ["x"], environment: { A: "secret-ish", B: "b" }, imageTag: "1.3", cpu: 2, memoryInGB: 4 })).toEqual([
      "command",
      "environment.A",
      "environment.B",
      "imageTag",
      "cpu",
      "memoryInGB",
    ]);
    expect(overriddenFields(undefined)).toEqual([]);
  });
});

describe("applyRunOverrides: the bounds of a definition hold for a request (issue 9)", () => {
  it("refuses cpu and memory that the allow-list permits but ACI does not (5e-324 vCPU, 1e-300 GB)", () => {
    expect(refused(applyRunOverrides(open, { cpu: 5e-324, memoryInGB: 1e-300 }))).toEqual([
      { field: "cpu", message: "cpu: the container this run would create is not valid for job report: cpu must be at least 1 vCPU (ACI's minimum for a container group)" },
      {
        field: "memoryInGB",
        message: "memoryInGB: the container this run would create is not valid for job report: memoryInGB must be at least 1 GB (ACI's minimum for a container group)",
      },
    ]);
    expect(refused(applyRunOverrides(open, { cpu: 1.55 })).map((p) => p.field)).toEqual(["cpu"]);
    expect(refused(applyRunOverrides(open, JSON.parse('{"cpu": 1e999}') as unknown))).toEqual([{ field: "cpu", message: "cpu must be a number" }]);
  });

  it("refuses a command of 100,000 arguments, or of more than 64 KiB, before the allow-list", () => {
    expect(refused(applyRunOverrides(open, { command: Array.from({ length: 100_000 }, () => "a") }))).toEqual([
      { field: "command", message: "command may have at most 256 arguments" },
    ]);
    expect(refused(applyRunOverrides(closed, { command: ["sh", "-c", "x".repeat(64 * 1024)] }))).toEqual([
      { field: "command", message: "command may have at most 64 KiB of arguments in all" },
    ]);
  });

  it("refuses a 1 MB environment value, and more than 100 variables, naming the field only", () => {
    const [big, ...rest] = refused(applyRunOverrides(open, { environment: { A: "v".repeat(1 << 20) } }));
    expect(rest).toEqual([]);
    expect(big).toEqual({ field: "environment.A", message: "environment.A may have at most 32 KiB" });
    const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`X${i}`, "1"]));
    expect(refused(applyRunOverrides(open, { environment: many }))).toEqual([{ field: "environment", message: "environment may set at most 100 variables" }]);
  });

  it("refuses an override that takes the merged environment over its total size", () => {
    // Each value is allowed on its own; with the job's own 100 KiB the container would pass 128 KiB.
    const fixed = Object.fromEntries(["F1", "F2", "F3", "F4"].map((name) => [name, "f".repeat(25 * 1024)]));
    const heavy = job({ overrides: { environment: ["A"] }, container: { environment: fixed } });
    expect(accepted(applyRunOverrides(heavy, { environment: { A: "a".repeat(20 * 1024) } })).job.container.environment["A"]).toHaveLength(20 * 1024);
    const [problem, ...rest] = refused(applyRunOverrides(heavy, { environment: { A: "a".repeat(30 * 1024) } }));
    expect(rest).toEqual([]);
    expect(problem?.field).toBe("environment");
    expect(problem?.message).toMatch(/^environment: the container this run would create is not valid for job report: the plain environment variables may have at most 128 KiB/u);
  });
});
