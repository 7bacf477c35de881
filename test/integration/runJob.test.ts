/**
 * A run end to end: the real orchestrations replayed by durable-functions' executor in the in-process
 * host, the real activities, SDK and DefaultAzureCredential, against the ACI emulator, in virtual time.
 * Every test ends with no container group left in the emulator (see harness.ts).
 */
import { describe, expect, it } from "vitest";
import { HELLO_WORLD_LINES } from "../../dev/aci-emulator";
import tutorial from "../../src/jobs/azure_container_instances";
import { EMULATOR_RESOURCE_GROUP } from "../../dev/local/localApp";
import { useHarness } from "./harness";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const jobs = [
  tutorial,
  { id: "exits_3", retries: 1, retryDelay: "1m", container: { image: "test/exit:3" } },
  { id: "provisioning_fails", retries: 0, container: { image: "test/no-capacity" } },
  { id: "pull_fails", container: { image: "test/private:1" } },
  { id: "pull_retried", retries: 1, retryDelay: "1m", container: { image: "test/private:2" } },
  { id: "runs_forever", timeout: "10m", container: { image: "test/forever" } },
  { id: "whole_day", timeout: "26h", container: { image: "test/day" } },
  { id: "oom", container: { image: "test/hungry" } },
  { id: "chatty", retries: 0, container: { image: "busybox", command: ["sh", "-c", "echo one; sleep 30; echo two; echo two; sleep 30; echo three"] } },
  { id: "unknown_image", retries: 1, retryDelay: "1m", container: { image: "nobody/nothing:404" } },
  { id: "vanishes", container: { image: "test/slow" } },
  { id: "strict", maxActiveRuns: 1, container: { groupName: "shared-group", image: "hello-world", failIfExists: true } },
  { id: "cleanup_fails", container: { image: "hello-world" } },
  { id: "outage", retries: 0, container: { image: "test/hour" } },
  { id: "restarted", retries: 0, container: { image: "test/crash" } },
  { id: "persistent", retries: 20, retryDelay: "1m", container: { image: "test/exit:3" } },
  { id: "slow_start", timeout: "1m", retries: 0, container: { image: "test/slow-start" } },
  { id: "quota_then_ok", retries: 1, retryDelay: "1m", container: { image: "hello-world" } },
  { id: "busy_region", retries: 0, container: { image: "hello-world" } },
  { id: "exit_not_retried", retries: 3, retryDelay: "1m", retryOn: ["capacity", "spotEvicted"], container: { image: "test/exit:3" } },
  { id: "sick", retries: 0, container: { image: "test/sick" } },
  { id: "stuck_provisioning", retries: 0, container: { image: "test/stuck" } },
  // Spot groups in a region ACI offers Spot in (aci-rest-api.md §10).
  { id: "spot_fallback", retries: 0, spotFallback: true, container: { image: "test/spot", region: "westeurope", priority: "Spot" } },
  { id: "spot_no_fallback", retries: 0, container: { image: "test/spot", region: "westeurope", priority: "Spot" } },
  { id: "spot_fallback_then_fails", retries: 1, retryDelay: "1m", spotFallback: true, container: { image: "test/spot-exit", region: "westeurope", priority: "Spot" } },
  { id: "bounded_attempts", timeout: "1h", containerTimeout: "5m", retries: 1, retryDelay: "1m", container: { image: "test/forever" } },
  { id: "keep_success", removeOnSuccess: false, container: { image: "busybox", command: ["sh", "-c", "echo kept output"] } },
  { id: "keep_error", removeOnError: false, retries: 0, container: { image: "test/exit:3" } },
  {
    id: "keep_error_fixed_name",
    removeOnError: false,
    retries: 1,
    retryDelay: "1m",
    maxActiveRuns: 1,
    container: { image: "test/exit:3", groupName: "nightly-fixed" },
  },
  { id: "logs_all", resultLogs: "all", container: { image: "busybox", command: ["sh", "-c", "echo line1; echo line2"] } },
  { id: "logs_last", resultLogs: "last", container: { image: "busybox", command: ["sh", "-c", "echo line1; echo line2"] } },
  { id: "on_failure", timeout: "10m", container: { image: "test/exit:3", restartPolicy: "OnFailure" } },
  { id: "always", container: { image: "hello-world", restartPolicy: "Always" } },
];

const h = useHarness(jobs);

/** The priority of each group of `jobId` as ARM reports it (a GET) when the run's watch first sees it running. */
function prioritiesSeenRunning(jobId: string): { priorities: Promise<string>[]; stop: () => void } {
  const priorities: Promise<string>[] = [];
  const seen = new RegExp(`^\\[${jobId} run [^\\]]+\\] container group ([a-z0-9-]+): running$`, "u");
  const stop = h.onLog((record) => {
    const match = seen.exec(record.message);
    if (match) priorities.push(h.app.services.aci.get(match[1]!).then((group) => group?.priority ?? "Regular"));
  });
  return { priorities, stop };
}

describe("a run of the tutorial job", () => {
  it("creates azure-tutorial-container, streams hello-world's output once, deletes the group and succeeds", async () => {
    const { runId, result } = await h.run("azure_container_instances");

    expect(result).toMatchObject({ status: "succeeded", exitCode: 0, jobId: "azure_container_instances" });
    expect(result.attempts).toHaveLength(1);
    const [attempt] = result.attempts;
    expect(attempt).toMatchObject({ groupName: "azure-tutorial-container", outcome: "succeeded", exitCode: 0, cleanup: "deleted" });
    expect(attempt!.logLines).toBe(HELLO_WORLD_LINES.length);
    expect(attempt!.logTail).toEqual(HELLO_WORLD_LINES.slice(-attempt!.logTail.length));
    expect(h.containerLines(runId)).toEqual(HELLO_WORLD_LINES);

    const put = h.app.emulator!.requests.find((r) => r.method === "PUT");
    expect(put?.path).toMatch(/\/resourceGroups\/rg-aci-jobs-local\/providers\/Microsoft\.ContainerInstance\/containerGroups\/azure-tutorial-container$/u);
    // Timings per phase are in the result; their values depend on the emulator's scripted durations.
    expect(Object.keys(attempt!.timings).sort()).toEqual(["createMs", "deleteMs", "logsMs", "provisioningMs", "runMs"]);
  });

  it("makes only calls the app's role allows: no operation polling, nothing refused", async () => {
    await h.run("azure_container_instances");

    // The emulator enforces infra/app/jobs-role.bicep on the jobs resource group, as ARM would.
    const requests = h.app.emulator!.requests;
    expect(requests.filter((r) => r.status === 403)).toEqual([]);
    expect(requests.filter((r) => /\/operations\//iu.test(r.path))).toEqual([]);
    const kinds = new Set(requests.map((r) => `${r.method} ${r.path.replace(/.*\/containerGroups\/[^/]+/u, "group").replace(/\/containers\/[^/]+\/logs$/u, "/logs")}`));
    expect([...kinds].sort()).toEqual(["DELETE group", "GET group", "GET group/logs", "PUT group"]);
  });

  it("replaces a group of the same name left by someone else (fail_if_exists false) and still succeeds", async () => {
    await h.app.services.aci.create("azure-tutorial-container", {
      location: "eastus",
      osType: "Linux",
      restartPolicy: "Never",
      tags: { owner: "someone-else" },
      containers: [{ name: "azure-tutorial-container", image: "hello-world", resources: { requests: { cpu: 1, memoryInGB: 1 } } }],
    });
    const { runId, result } = await h.run("azure_container_instances");
    expect(result.status).toBe("succeeded");
    expect(h.logs.some((r) => r.message.includes(`run ${runId} attempt 1] replacing container group azure-tutorial-container`))).toBe(true);
  });
});

describe("failures and retries", () => {
  it("retries a non-zero exit after the retry delay in a fresh group, then fails with the exit code", async () => {
    h.app.emulator!.setBehaviour("test/exit:3", { runMs: 5_000, exitCode: 3, logs: ["working", "giving up"] });
    const { runId, result } = await h.run("exits_3");

    expect(result).toMatchObject({ status: "failed", exitCode: 3 });
    expect(result.detail).toBe("The container exited with code 3. All 2 attempts failed.");
    expect(result.attempts.map((a) => [a.outcome, a.reason, a.exitCode, a.cleanup])).toEqual([
      ["failed", "exitCode", 3, "deleted"],
      ["failed", "exitCode", 3, "deleted"],
    ]);
    const [first, second] = result.attempts;
    expect(Date.parse(second!.startedAt) - Date.parse(first!.finishedAt)).toBeGreaterThanOrEqual(MINUTE);
    expect(first!.groupName).not.toBe(second!.groupName);
    expect(h.containerLines(runId)).toEqual(["working", "giving up", "working", "giving up"]);

    // The first group was deleted before the second was created.
    const writes = h.app.emulator!.requests.filter((r) => r.method === "PUT" || r.method === "DELETE").map((r) => `${r.method} ${r.path.split("/").pop()}`);
    expect(writes).toEqual([`PUT ${first!.groupName}`, `DELETE ${first!.groupName}`, `PUT ${second!.groupName}`, `DELETE ${second!.groupName}`]);
  });

  it("keeps the run's custom status within the extension's 16 KB limit through 21 failed attempts", async () => {
    h.app.emulator!.setBehaviour("test/exit:3", { runMs: 5_000, exitCode: 3, logs: ["x".repeat(400)] });
    const { result } = await h.run("persistent");
    expect(result.attempts).toHaveLength(21);
    expect(result.attempts.every((a) => a.cleanup === "deleted")).toBe(true);
  });

  it("reports a capacity failure after the create was accepted with ACI's message, as capacity, and deletes the failed group", async () => {
    h.app.emulator!.setBehaviour("test/no-capacity", {
      provisioningFailure: { code: "ResourceUnavailable", message: "The requested resource is not available in the location 'eastus' at this moment." },
    });
    const { result } = await h.run("provisioning_fails");
    expect(result.status).toBe("failed");
    // aci-rest-api.md §8: capacity can also fail a group after the 201; it is retried as capacity, not provisioning.
    expect(result.attempts[0]).toMatchObject({ reason: "capacity", failureClass: "capacity", cleanup: "deleted" });
    expect(result.detail).toMatch(/not available in the location 'eastus'/u);
  });

  it("fails fast on an image that cannot be pulled instead of waiting for the timeout", async () => {
    h.app.emulator!.setBehaviour("test/private:1", { pullFailure: { message: "pull access denied for test/private" } });
    const { result } = await h.run("pull_fails");
    expect(result.attempts[0]).toMatchObject({ outcome: "failed", reason: "imagePull", cleanup: "deleted" });
    expect(result.detail).toMatch(/pull access denied/u);
    expect(Date.parse(result.finishedAt) - Date.parse(result.startedAt)).toBeLessThan(HOUR);
  });

  it("keeps the attempts' count a sentence of its own after a detail that ends with Azure's message", async () => {
    h.app.emulator!.setBehaviour("test/private:2", { pullFailure: { message: "pull access denied for test/private" } });
    const { result } = await h.run("pull_retried");
    expect(result.attempts).toHaveLength(2);
    expect(result.detail).toBe('The image could not be pulled: Failed to pull image "test/private:2": pull access denied for test/private. All 2 attempts failed.');
  });

  it("names an out-of-memory kill", async () => {
    h.app.emulator!.setBehaviour("test/hungry", { runMs: 20_000, oomKilled: true });
    const { result } = await h.run("oom");
    expect(result).toMatchObject({ status: "failed", exitCode: 137 });
    expect(result.attempts[0]).toMatchObject({ reason: "oomKilled", cleanup: "deleted" });
    expect(result.detail).toMatch(/out of memory/u);
  });

  it("does not retry an image ACI refuses as inaccessible at PUT (an invalid definition), and has nothing to delete", async () => {
    const { result } = await h.run("unknown_image");
    expect(result.attempts).toHaveLength(1);
    // Issue 4: InaccessibleImage is named as an image-pull failure, but the image or its credential is wrong,
    // so no failure class applies and it is never retried.
    expect(result.attempts[0]).toMatchObject({ reason: "imagePull", retryable: false, cleanup: "notCreated" });
    expect(result.attempts[0]!.failureClass).toBeUndefined();
    expect(result.detail).toMatch(/InaccessibleImage/u);
  });

  it("leaves a group of the same name alone when fail_if_exists is set", async () => {
    await h.app.services.aci.create("shared-group", {
      location: "eastus",
      osType: "Linux",
      tags: { owner: "another-team" },
      containers: [{ name: "shared-group", image: "hello-world", resources: { requests: { cpu: 1, memoryInGB: 1 } } }],
    });
    const { result } = await h.run("strict");
    expect(result.attempts[0]).toMatchObject({ reason: "groupExists", cleanup: "notCreated" });
    expect(h.app.emulator!.listGroups().map((g) => g.tags.owner)).toEqual(["another-team"]);
    await h.deleteGroup("shared-group");
  });

  it("reports a group deleted outside aci-jobs instead of retrying forever", async () => {
    h.app.emulator!.setBehaviour("test/slow", { runMs: 2 * HOUR, logs: [{ at: 1_000, line: "started" }] });
    const deleted = h.whenRunning("vanishes", (name) => h.deleteGroup(name));
    const run = h.run("vanishes");
    await deleted;
    const { result } = await run;
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ reason: "deletedOutside", retryable: false, cleanup: "alreadyGone" });
  });
});

describe("Azure refusing for good (a missing role, a wrong setting)", () => {
  const forbidden = { status: 403, code: "AuthorizationFailed", message: "The client does not have authorization to perform action 'Microsoft.ContainerInstance/containerGroups/write'." } as const;

  it("reports a 403 on create as forbidden, without retrying it", async () => {
    h.app.emulator!.injectFault({ method: "PUT", times: 100, fault: forbidden });
    const { result } = await h.run("azure_container_instances");
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ reason: "forbidden", retryable: false, cleanup: "notCreated" });
    expect(result.detail).toMatch(/AuthorizationFailed/u);
    expect(h.app.emulator!.requests.filter((r) => r.method === "PUT")).toHaveLength(1);
    h.app.emulator!.reset();
  });

  it("ends an attempt on a 403 while watching without waiting out the outage limit, and still deletes the group", async () => {
    h.app.emulator!.setBehaviour("test/hour", { runMs: HOUR });
    const refused = h.whenRunning("outage", () => h.app.emulator!.injectFault({ method: "GET", path: /containerGroups\/[^/]+$/u, times: 1, fault: { ...forbidden, message: "read denied" } }));
    const { result } = await h.run("outage");
    await refused;
    expect(result.attempts[0]).toMatchObject({ reason: "activityFailed", cleanup: "deleted" });
    expect(result.detail).toMatch(/AuthorizationFailed: read denied/u);
    expect(Date.parse(result.finishedAt) - Date.parse(result.startedAt)).toBeLessThan(10 * MINUTE);
  });

  it("does not take a missing resource group for an already deleted container group", async () => {
    h.app.emulator!.setBehaviour("test/hour", { runMs: HOUR });
    const missing = { status: 404, code: "ResourceGroupNotFound", message: "Resource group 'rg-aci-jobs-local' could not be found." } as const;
    const refused = h.whenRunning("outage", () => h.app.emulator!.injectFault({ method: "GET", path: /containerGroups\/[^/]+$/u, times: 1, fault: missing }));
    const { result } = await h.run("outage");
    await refused;
    expect(result.attempts[0]).toMatchObject({ reason: "activityFailed", cleanup: "deleted" });
    expect(result.detail).toMatch(/ResourceGroupNotFound/u);
  });
});

describe("time", () => {
  it("ends a run that exceeds its timeout as timed out, after reading its log and deleting the group", async () => {
    h.app.emulator!.setBehaviour("test/forever", {
      runMs: Number.POSITIVE_INFINITY,
      logs: [
        { at: 1_000, line: "tick 1" },
        { at: 4 * MINUTE, line: "tick 2" },
      ],
    });
    const { runId, result } = await h.run("runs_forever");
    expect(result.status).toBe("timedOut");
    expect(result.attempts[0]).toMatchObject({ outcome: "timedOut", reason: "timedOut", cleanup: "deleted" });
    expect(Date.parse(result.attempts[0]!.finishedAt) - Date.parse(result.startedAt)).toBeGreaterThanOrEqual(10 * MINUTE);
    expect(h.containerLines(runId)).toEqual(["tick 1", "tick 2"]);
  });

  it("watches a 24-hour container in seconds of wall time, streaming each line exactly once with a small history", async () => {
    const hourly = Array.from({ length: 24 }, (_, hour) => ({ at: hour * HOUR + 1_000, line: `hour ${hour}` }));
    h.app.emulator!.setBehaviour("test/day", { runMs: 24 * HOUR, logs: hourly });
    const before = h.app.emulator!.requests.length;
    const { runId, result } = await h.run("whole_day");

    expect(result.status).toBe("succeeded");
    expect(h.containerLines(runId)).toEqual(hourly.map((l) => l.line));
    expect(result.attempts[0]!.timings.runMs).toBe(24 * HOUR);
    expect(h.app.emulator!.requests.length - before).toBeLessThanOrEqual(1_500);
    const largest = Math.max(...h.app.host.stats().instances.filter((i) => i.instanceId.startsWith(runId)).map((i) => i.maxHistoryLength));
    expect(largest).toBeLessThanOrEqual(2_000);
  });
});

describe("transient faults", () => {
  it("absorbs throttling, server errors and connection resets without losing or repeating a log line", async () => {
    const emulator = h.app.emulator!;
    emulator.injectFault({ method: "PUT", fault: { status: 429, retryAfterSeconds: 1 } });
    // Five 503s on reads outlast the SDK's 3 retries, so one activity fails and Durable retries it.
    emulator.injectFault({ method: "GET", path: /containerGroups\/[^/]+$/u, times: 5, fault: { status: 503 } });
    emulator.injectFault({ method: "GET", path: "/logs", times: 2, fault: { kind: "reset" } });
    emulator.injectFault({ method: "DELETE", times: 1, fault: { status: 500 } });

    const { runId, result } = await h.run("chatty");
    expect(result.status).toBe("succeeded");
    expect(h.containerLines(runId)).toEqual(["one", "two", "two", "three"]);
    expect(emulator.requests.filter((r) => r.status === 503)).toHaveLength(5);
  });

  it("logs each ARM retry inside an activity, with what failed and when the next try goes out", async () => {
    const emulator = h.app.emulator!;
    emulator.injectFault({ method: "PUT", times: 2, fault: { status: 503 } });
    const start = h.logs.length;
    const { result } = await h.run("azure_container_instances");
    expect(result.status).toBe("succeeded");
    const retries = h.logs.slice(start).filter((r) => r.level === "warning" && /PUT container group .* failed, trying again/u.test(r.message));
    expect(retries.map((r) => r.message.replace(/^.*\] /u, "").replace(/in \d+\.\d s/u, "in N s"))).toEqual([
      "PUT container group azure-tutorial-container failed, trying again in N s (retry 1 of 3): ServiceUnavailable (HTTP 503): The service is unavailable (injected fault).",
      "PUT container group azure-tutorial-container failed, trying again in N s (retry 2 of 3): ServiceUnavailable (HTTP 503): The service is unavailable (injected fault).",
    ]);
  });

  it("keeps watching a healthy container through an ARM outage longer than an activity's retries", async () => {
    h.app.emulator!.setBehaviour("test/hour", { runMs: HOUR, logs: [{ at: 0, line: "line-a" }, { at: 30 * MINUTE, line: "line-b" }] });
    // 72 failing reads once the container runs: three observe activities exhaust 6 attempts x (1 + 3 SDK retries).
    const outage = h.whenRunning("outage", () => h.app.emulator!.injectFault({ method: "GET", path: /containerGroups\/[^/]+$/u, times: 72, fault: { status: 503 } }));
    const { runId, result } = await h.run("outage");
    await outage;
    expect(result.status).toBe("succeeded");
    expect(h.containerLines(runId)).toEqual(["line-a", "line-b"]);
    expect(result.attempts[0]).toMatchObject({ logLines: 2, cleanup: "deleted" });
  });

  it("gives up on a group Azure has not answered about for 30 minutes, reads its log once and deletes it", async () => {
    h.app.emulator!.setBehaviour("test/hour", { runMs: HOUR, logs: [{ at: 0, line: "line-a" }] });
    const outage = h.whenRunning("outage", () => h.app.emulator!.injectFault({ method: "GET", path: /containerGroups\/[^/]+$/u, times: 100_000, fault: { status: 503 } }));
    const { runId, result } = await h.run("outage");
    await outage;
    expect(result.attempts[0]).toMatchObject({ outcome: "failed", reason: "activityFailed", failureClass: "azureUnavailable", cleanup: "deleted", logLines: 1 });
    expect(result.detail).toMatch(/^Lost track of container group .*: Azure did not answer for 3\d minutes/u);
    expect(h.containerLines(runId)).toEqual(["line-a"]);
    h.app.emulator!.reset();
  });

  it("ends on the first exit when ACI restarts a container despite restart policy Never, and deletes it at once", async () => {
    h.app.emulator!.setBehaviour("test/crash", { runMs: 20_000, exitCode: 3, platformRestarts: 2, logs: ["hello"] });
    const { runId, result } = await h.run("restarted");
    expect(result.attempts[0]).toMatchObject({ outcome: "failed", reason: "exitCode", exitCode: 3, cleanup: "deleted" });
    expect(result.attempts[0]!.restartCount).toBeGreaterThanOrEqual(1);
    expect(result.detail).toMatch(/restarted it despite restart policy Never/u);
    expect(h.containerLines(runId)).toEqual(["hello"]);
  });

  it("retries a delete ACI refuses with 409 ContainerGroupTransitioning until provisioning settles", async () => {
    // Times out while the group is still provisioning: ACI answers DELETE with 409 while the create is in flight.
    h.app.emulator!.setBehaviour("test/slow-start", { pendingMs: 2 * MINUTE, creatingMs: MINUTE, transitioningMs: 3 * MINUTE, runMs: MINUTE });
    const { result } = await h.run("slow_start");
    expect(result.attempts[0]).toMatchObject({ outcome: "timedOut", cleanup: "deleted" });
    expect(h.app.emulator!.requests.filter((r) => r.method === "DELETE" && r.status === 409).length).toBeGreaterThan(0);
  });

  it("replaces a namesake group that is still provisioning once ACI lets it be deleted", async () => {
    h.app.emulator!.setBehaviour("hello-world", { transitioningMs: 30_000 });
    await h.app.services.aci.create("azure-tutorial-container", {
      location: "eastus",
      osType: "Linux",
      tags: { owner: "someone-else" },
      containers: [{ name: "azure-tutorial-container", image: "hello-world", resources: { requests: { cpu: 1, memoryInGB: 1 } } }],
    });
    const { result } = await h.run("azure_container_instances");
    expect(result.status).toBe("succeeded");
    expect(h.app.emulator!.requests.some((r) => r.method === "DELETE" && r.status === 409)).toBe(true);
  });

  it("reports a group it could not delete after every retry, so nobody pays for it unknowingly", async () => {
    h.app.emulator!.injectFault({ method: "DELETE", times: 1_000, fault: { status: 500 } });
    const { result } = await h.run("cleanup_fails");
    expect(result.attempts[0]).toMatchObject({ outcome: "succeeded", cleanup: "failed" });
    expect(result.detail).toMatch(/Not cleaned up: /u);
    h.app.emulator!.reset();
    await h.deleteGroup(result.attempts[0]!.groupName);
  });
});

describe("failure classes and the retry policy, end to end", () => {
  const quota = (name: string) =>
    `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota '${name}' exceeded in region 'eastus'. Limit: '100', Usage: '100' Requested: '1'.`;

  it("retries ContainerGroupQuotaReached as capacity and succeeds on the next attempt", async () => {
    h.app.emulator!.injectFault({ method: "PUT", times: 1, fault: { status: 400, code: "ContainerGroupQuotaReached", message: quota("ContainerGroups") } });
    const { result } = await h.run("quota_then_ok");
    expect(result.status).toBe("succeeded");
    expect(result.attempts.map((a) => [a.reason, a.failureClass, a.retryable, a.cleanup])).toEqual([
      ["capacity", "capacity", true, "notCreated"],
      [undefined, undefined, false, "deleted"],
    ]);
  });

  it("names a create that kept meeting ServiceUnavailable capacity, after the SDK's and Durable's retries", async () => {
    // 6 activity attempts x (1 + 3 SDK retries) PUTs: every one answered 503 ServiceUnavailable (aci-rest-api.md §8).
    h.app.emulator!.injectFault({ method: "PUT", times: 24, fault: { status: 503, code: "ServiceUnavailable", message: quota("ContainerGroups") } });
    const { result } = await h.run("busy_region");
    expect(result.attempts).toHaveLength(1);
    // No PUT went through, so the clean-up's existence check finds no group: it was never created.
    expect(result.attempts[0]).toMatchObject({ outcome: "failed", reason: "capacity", failureClass: "capacity", retryable: true, cleanup: "notCreated" });
    h.app.emulator!.reset();
  });

  it("does not retry a class the job's retryOn leaves out, whatever retries says", async () => {
    h.app.emulator!.setBehaviour("test/exit:3", { runMs: 5_000, exitCode: 3 });
    const { result } = await h.run("exit_not_retried");
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ reason: "exitCode", failureClass: "exitCode", retryable: false, exitCode: 3 });
  });

  it("names a Regular group that turns Unhealthy unhealthy, in class provisioning", async () => {
    h.app.emulator!.setBehaviour("test/sick", { unhealthy: true, runMs: HOUR });
    const { result } = await h.run("sick");
    expect(result.attempts[0]).toMatchObject({ outcome: "failed", reason: "unhealthy", failureClass: "provisioning", priority: "Regular", cleanup: "deleted" });
  });

  it("reports ACI's 30-minute create timeout as a provisioning failure, classed provisioning", async () => {
    h.app.emulator!.setBehaviour("test/stuck", { createTimeout: true });
    const { result } = await h.run("stuck_provisioning");
    expect(result.attempts[0]).toMatchObject({ outcome: "failed", reason: "provisioningFailed", failureClass: "provisioning", cleanup: "deleted" });
  });

  it("records failure classes of the existing reasons: exit code, OOM, image pull, capacity after the create", async () => {
    h.app.emulator!.setBehaviour("test/hungry", { runMs: 20_000, oomKilled: true });
    h.app.emulator!.setBehaviour("test/private:1", { pullFailure: { message: "pull access denied for test/private" } });
    h.app.emulator!.setBehaviour("test/no-capacity", { provisioningFailure: { code: "ResourceUnavailable", message: "The requested resource is not available in the location 'eastus' at this moment." } });
    const classes = await Promise.all(["oom", "pull_fails", "provisioning_fails"].map(async (job) => (await h.run(job)).result.attempts[0]!.failureClass));
    expect(classes).toEqual(["oomKilled", "imagePull", "capacity"]);
  });
});

describe("Spot", () => {
  it("falls back to Regular after a Spot eviction (Unhealthy / Repairing), without using up the retries", async () => {
    h.app.emulator!.setBehaviour("test/spot", { runMs: 2 * MINUTE, spotEviction: { afterMs: 30_000 }, logs: ["started"] });
    const seen = prioritiesSeenRunning("spot_fallback");
    const { result } = await h.run("spot_fallback");
    seen.stop();

    expect(result.status).toBe("succeeded");
    expect(result.attempts.map((a) => [a.priority, a.outcome, a.reason, a.failureClass, a.cleanup])).toEqual([
      ["Spot", "failed", "spotEvicted", "spotEvicted", "deleted"],
      ["Regular", "succeeded", undefined, undefined, "deleted"],
    ]);
    expect(result.attempts[0]!.detail).toMatch(/Spot container group was evicted/u);
    // What ARM holds for each group: the first at Spot, the fallback at Regular.
    expect(await Promise.all(seen.priorities)).toEqual(["Spot", "Regular"]);
  });

  it("falls back to Regular after a Spot capacity refusal at create", async () => {
    h.app.emulator!.setBehaviour("test/spot", { runMs: 20_000 });
    h.app.emulator!.injectFault({
      method: "PUT",
      times: 1,
      fault: {
        status: 400,
        code: "ContainerGroupQuotaReached",
        message: "Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardSpotCores' exceeded in region 'westeurope'. Limit: '10', Usage: '10' Requested: '1'.",
      },
    });
    const { result } = await h.run("spot_fallback");
    expect(result.status).toBe("succeeded");
    expect(result.attempts.map((a) => [a.priority, a.reason, a.cleanup])).toEqual([
      ["Spot", "spotEvicted", "notCreated"],
      ["Regular", undefined, "deleted"],
    ]);
  });

  it("without spotFallback ends an evicted Spot run as spotEvicted when no retries are left", async () => {
    h.app.emulator!.setBehaviour("test/spot", { runMs: 2 * MINUTE, spotEviction: { afterMs: 0 } });
    const { result } = await h.run("spot_no_fallback");
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ priority: "Spot", reason: "spotEvicted", failureClass: "spotEvicted", retryable: true, cleanup: "deleted" });
    expect(result.status).toBe("failed");
  });

  it("counts only the job's own failures against retries: evicted, then Regular exit 3 retried once", async () => {
    h.app.emulator!.setBehaviour("test/spot-exit", { runMs: MINUTE, exitCode: 3, spotEviction: { afterMs: 10_000 } });
    const { result } = await h.run("spot_fallback_then_fails");
    expect(result.attempts.map((a) => [a.priority, a.reason])).toEqual([
      ["Spot", "spotEvicted"],
      ["Regular", "exitCode"],
      ["Regular", "exitCode"],
    ]);
    // The fallback started at once; the retry waited the job's retryDelay.
    const [first, second, third] = result.attempts;
    expect(Date.parse(second!.startedAt) - Date.parse(first!.finishedAt)).toBe(0);
    expect(Date.parse(third!.startedAt) - Date.parse(second!.finishedAt)).toBeGreaterThanOrEqual(MINUTE);
  });
});

describe("containerTimeout", () => {
  it("ends each attempt at its containerTimeout, deletes the group and retries it; the run fails, not times out", async () => {
    h.app.emulator!.setBehaviour("test/forever", { runMs: Number.POSITIVE_INFINITY, logs: [{ at: 1_000, line: "tick" }] });
    const { runId, result } = await h.run("bounded_attempts");
    expect(result.status).toBe("failed");
    expect(result.attempts.map((a) => [a.outcome, a.reason, a.failureClass, a.cleanup])).toEqual([
      ["failed", "containerTimeout", "containerTimeout", "deleted"],
      ["failed", "containerTimeout", "containerTimeout", "deleted"],
    ]);
    for (const attempt of result.attempts) {
      const ran = Date.parse(attempt.finishedAt) - Date.parse(attempt.startedAt);
      expect(ran).toBeGreaterThanOrEqual(5 * MINUTE);
      expect(ran).toBeLessThan(10 * MINUTE);
    }
    expect(result.detail).toMatch(/ran past its 5m containerTimeout/u);
    expect(h.containerLines(runId)).toEqual(["tick", "tick"]);
  });
});

describe("removeOnSuccess / removeOnError false keep the group and its log", () => {
  it("keeps a succeeded group when removeOnSuccess is false; its log stays readable in ACI", async () => {
    const { result } = await h.run("keep_success");
    const [attempt] = result.attempts;
    expect(attempt).toMatchObject({ outcome: "succeeded", cleanup: "kept" });
    expect(h.app.emulator!.requests.filter((r) => r.method === "DELETE")).toEqual([]);
    expect(h.app.emulator!.listGroups().map((g) => g.name)).toEqual([attempt!.groupName]);
    expect(await h.app.services.aci.logs(attempt!.groupName, attempt!.groupName)).toContain("kept output");
    expect(result.detail).toContain(`az container logs -g ${EMULATOR_RESOURCE_GROUP} -n ${attempt!.groupName}`);
    await h.deleteGroup(attempt!.groupName);
  });

  it("keeps a failed group when removeOnError is false", async () => {
    h.app.emulator!.setBehaviour("test/exit:3", { runMs: 5_000, exitCode: 3, logs: ["failing"] });
    const { result } = await h.run("keep_error");
    const [attempt] = result.attempts;
    expect(attempt).toMatchObject({ outcome: "failed", reason: "exitCode", cleanup: "kept" });
    expect(h.app.emulator!.listGroups().map((g) => g.name)).toEqual([attempt!.groupName]);
    expect(await h.app.services.aci.logs(attempt!.groupName, attempt!.groupName)).toContain("failing");
    expect(result.detail).toMatch(/was kept \(removeOnError is false\)/u);
    await h.deleteGroup(attempt!.groupName);
  });

  it("keeps only the last attempt's group when all attempts share a fixed name, so the retry is not blocked by it", async () => {
    h.app.emulator!.setBehaviour("test/exit:3", { runMs: 5_000, exitCode: 3, logs: ["failing"] });
    const { result } = await h.run("keep_error_fixed_name");
    const [first, second] = result.attempts;
    // Without the release, attempt 2 would meet attempt 1's group and end as groupExists.
    expect(first).toMatchObject({ outcome: "failed", reason: "exitCode", cleanup: "deleted" });
    expect(first!.detail).toMatch(/deleted after all, before attempt 2, which needs the name nightly-fixed/u);
    expect(second).toMatchObject({ outcome: "failed", reason: "exitCode", cleanup: "kept" });
    expect(h.app.emulator!.listGroups().map((g) => g.name)).toEqual(["nightly-fixed"]);
    await h.deleteGroup("nightly-fixed");
  });
});

describe("resultLogs (Airflow's xcom_all)", () => {
  it("puts every line of the last attempt in the result with resultLogs all", async () => {
    const { result } = await h.run("logs_all");
    expect(result.logs).toEqual(["line1", "line2"]);
  });

  it("puts only the last line in the result with resultLogs last", async () => {
    const { result } = await h.run("logs_last");
    expect(result.logs).toEqual(["line2"]);
  });

  it("leaves logs out of the result by default (resultLogs none)", async () => {
    const { result } = await h.run("azure_container_instances");
    expect(result.logs).toBeUndefined();
  });
});

describe("restart policies", () => {
  it("OnFailure: keeps watching while ACI reruns a failing container, until the run's timeout", async () => {
    h.app.emulator!.setBehaviour("test/exit:3", { runMs: 20_000, exitCode: 3, logs: ["try"] });
    const { result } = await h.run("on_failure");
    expect(result.status).toBe("timedOut");
    expect(result.attempts[0]).toMatchObject({ outcome: "timedOut", reason: "timedOut", cleanup: "deleted" });
    expect(result.attempts[0]!.restartCount).toBeGreaterThan(0);
    expect(result.detail).toMatch(/restart policy OnFailure/u);
  });

  it("Always: the first exit ends the attempt (as Airflow's operator returns at the first Terminated)", async () => {
    const { result } = await h.run("always");
    expect(result.status).toBe("succeeded");
    expect(result.attempts[0]).toMatchObject({ outcome: "succeeded", exitCode: 0, cleanup: "deleted" });
  });
});
