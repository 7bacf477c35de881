import { describe, expect, it } from "vitest";
import { applyOverride, OverrideError } from "../../dev/job/override";

const job = {
  id: "nightly",
  retries: 1,
  container: {
    image: "busybox",
    command: ["sh", "-c", "echo a"],
    environment: { A: "1", TOKEN: { keyVaultSecret: "token", version: "v1" } },
  },
};

describe("--override, merged two levels below the definition", () => {
  it("keeps the container's other fields and adds to its environment", () => {
    expect(applyOverride(job, '{"container": {"image": "alpine", "environment": {"B": "2"}}}')).toEqual({
      ...job,
      container: { ...job.container, image: "alpine", environment: { A: "1", TOKEN: { keyVaultSecret: "token", version: "v1" }, B: "2" } },
    });
  });

  it("replaces arrays and anything deeper than the environment", () => {
    const merged = applyOverride(job, '{"container": {"command": ["true"], "environment": {"TOKEN": {"keyVaultSecret": "other"}}}}') as typeof job;
    expect(merged.container.command).toEqual(["true"]);
    expect(merged.container.environment.TOKEN).toEqual({ keyVaultSecret: "other" });
  });

  it("refuses what is not a JSON object, and a new id", () => {
    expect(() => applyOverride(job, "[1]")).toThrow(OverrideError);
    expect(() => applyOverride(job, "{not json")).toThrow(/not valid JSON/u);
    expect(() => applyOverride(job, '{"id": "other"}')).toThrow(/cannot change the job's id/u);
  });
});
