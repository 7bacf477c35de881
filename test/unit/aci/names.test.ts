import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  containerGroupNameProblem,
  containerNameProblem,
  derivedContainerGroupName,
  environmentVariableNameProblem,
} from "../../../src/aci/names";
import { prng } from "../../support/prng";

describe("containerGroupNameProblem (Airflow test_name_checker, adapted)", () => {
  it("accepts a name with a dash and a name of exactly 63 characters", () => {
    expect(containerGroupNameProblem("test-dash")).toBeUndefined();
    expect(containerGroupNameProblem("a".repeat(63))).toBeUndefined();
  });

  it("rejects an underscore, uppercase letters and other characters outside ACI's alphabet", () => {
    expect(containerGroupNameProblem("test_underscore")).toBe("may contain only lowercase letters, digits and hyphens");
    expect(containerGroupNameProblem("Test")).toBe("may contain only lowercase letters, digits and hyphens");
    expect(containerGroupNameProblem("a.b")).toBe("may contain only lowercase letters, digits and hyphens");
  });

  it("rejects a name of 84 characters and the empty name, saying how long it is", () => {
    expect(containerGroupNameProblem("a".repeat(84))).toBe("must be 1-63 characters long (is 84)");
    expect(containerGroupNameProblem("a".repeat(64))).toBe("must be 1-63 characters long (is 64)");
    expect(containerGroupNameProblem("")).toBe("must be 1-63 characters long (is 0)");
  });

  it("rejects a leading or trailing hyphen", () => {
    expect(containerGroupNameProblem("-name")).toBe("must not start or end with a hyphen");
    expect(containerGroupNameProblem("name-")).toBe("must not start or end with a hyphen");
  });

  it("rejects consecutive hyphens", () => {
    // Ours on purpose: Airflow's regex allows "--", Azure's naming rules for container groups do not.
    expect(containerGroupNameProblem("a--b")).toBe("must not contain consecutive hyphens");
  });
});

describe("containerNameProblem", () => {
  it("accepts 1 to 63 lowercase letters, digits and inner hyphens", () => {
    expect(containerNameProblem("a")).toBeUndefined();
    expect(containerNameProblem("hello-world-1")).toBeUndefined();
    expect(containerNameProblem(`a${"-".repeat(61)}b`)).toBeUndefined();
  });

  it("rejects 64 characters, edge hyphens, uppercase and the empty name", () => {
    for (const name of ["a".repeat(64), "-a", "a-", "A", "", "a_b"]) {
      expect(containerNameProblem(name), name).toMatch(/must be 1-63 lowercase letters/u);
    }
  });
});

describe("environmentVariableNameProblem", () => {
  // ACI's documented rule (aci-rest-api.md §9): letters, digits and _, with _ neither first nor last.
  it("accepts letters, digits and inner underscores, up to 63 characters", () => {
    for (const name of ["PATH", "a1_B2", "1A", "X".repeat(63)]) {
      expect(environmentVariableNameProblem(name), name).toBeUndefined();
    }
  });

  it("rejects a leading or trailing underscore, a hyphen, a space, the empty name and 64 characters", () => {
    for (const name of ["_private", "TRAILING_", "A-B", "A B", "", "X".repeat(64)]) {
      expect(environmentVariableNameProblem(name), name).toBe(
        "must be 1-63 letters, digits and underscores, not starting or ending with an underscore",
      );
    }
  });
});

describe("derivedContainerGroupName", () => {
  it("gives the names docs/jobs.md shows for a scheduled and an ad-hoc run", () => {
    const docs = readFileSync(path.resolve(__dirname, "../../../docs/jobs.md"), "utf8");
    const examples = [...docs.matchAll(/run `(nightly_report-[^`]+)` gets `([^`]+)`/gu)];
    expect(examples).toHaveLength(2);
    const attempts = [1, 2];
    examples.forEach(([, runId, name], index) => expect(derivedContainerGroupName("nightly_report", runId!, attempts[index]!)).toBe(name));
  });

  it("squeezes the tutorial job id and an HTTP run id into a readable name that ends with the attempt", () => {
    expect(derivedContainerGroupName("azure_container_instances", "azure_container_instances-20261128T023608Z-1a2b3c4d", 1)).toBe(
      "azure-container-instances-128t023608z-1a2b3c4d-a1",
    );
  });

  it("gives each attempt of a run its own name", () => {
    const runId = "job-20260101T000000Z-deadbeef";
    expect(derivedContainerGroupName("job", runId, 1)).not.toBe(derivedContainerGroupName("job", runId, 2));
    expect(derivedContainerGroupName("job", runId, 2)).toMatch(/-a2$/u);
  });

  it("keeps the run id's random part, so two runs started in the same second get different names", () => {
    const a = derivedContainerGroupName("job", "job-20260101T000000Z-00000001", 1);
    const b = derivedContainerGroupName("job", "job-20260101T000000Z-00000002", 1);
    expect(a).not.toBe(b);
  });

  it("distinguishes scheduled runs of different days", () => {
    const a = derivedContainerGroupName("nightly", "nightly-scheduled-20260101T000000Z", 1);
    const b = derivedContainerGroupName("nightly", "nightly-scheduled-20260102T000000Z", 1);
    expect(a).not.toBe(b);
  });

  it("always yields a valid container group name, for random job ids of up to 63 characters and random run ids", () => {
    const rand = prng(20261128);
    const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
    const runChars = `${idChars}-:.TZ`;
    const pick = (alphabet: string, length: number) =>
      Array.from({ length }, () => alphabet[Math.floor(rand() * alphabet.length)]).join("");
    for (let i = 0; i < 2_000; i++) {
      // Job ids follow the definition's rule: a letter, then letters, digits and underscores.
      const jobId = pick("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 1) + pick(idChars, Math.floor(rand() * 63));
      const runId = pick(runChars, 1 + Math.floor(rand() * 100));
      const attempt = 1 + Math.floor(rand() * 21);
      const name = derivedContainerGroupName(jobId, runId, attempt);
      expect(containerGroupNameProblem(name), `${jobId} / ${runId} / ${attempt} -> ${name}`).toBeUndefined();
      expect(name.endsWith(`-a${attempt}`)).toBe(true);
    }
  });
});
