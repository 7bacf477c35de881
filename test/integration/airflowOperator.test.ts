/**
 * Airflow's operator test suite (airflow-operator.md §8.1, 30 functions), adapted to aci-jobs: each test is
 * named after the Airflow case and runs the real app (orchestrations, activities, SDK) against the emulator
 * in virtual time. Airflow mocks its hook and counts calls; here the same facts are read from what the
 * emulator received (requests, GET of the group) and from the run's result. The sync and deferrable paths
 * of Airflow are one path here: the watch sub-orchestration waiting on durable timers. Where aci-jobs
 * differs on purpose, the test asserts ours and says why.
 */
import type { ContainerGroup } from "@azure/arm-containerinstance";
import { describe, expect, it } from "vitest";
import { DEFAULT_PROVISIONING } from "../../dev/aci-emulator";
import { EventType, type HistoryEvent } from "../../dev/durable-host";
import { parseJobDefinition } from "../../src/jobs/definition";
import { watchInstanceId, type RunProgress } from "../../src/runs/contracts";
import { EMULATOR_RESOURCE_GROUP } from "../../dev/local/localApp";
import { useHarness } from "./harness";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const USER_IDENTITY = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/job-identity";

const jobs = [
  // Airflow's tests use the fixed name "container-name"; a fixed name allows one active run.
  { id: "execute", maxActiveRuns: 1, removeOnError: false, container: { groupName: "container-name", image: "test/job" } },
  { id: "failures", container: { image: "test/exit:1" } },
  { id: "failures_kept", removeOnError: false, container: { image: "test/exit:1" } },
  { id: "unhealthy_kept", removeOnError: false, container: { image: "test/unhealthy" } },
  { id: "with_tags", container: { image: "test/job", tags: { testKey: "testValue" } } },
  { id: "messages", container: { image: "test/messages" } },
  { id: "xcom_all", resultLogs: "all", container: { image: "test/messages" } },
  { id: "xcom_last", resultLogs: "last", container: { image: "test/messages" } },
  { id: "ip_address", container: { image: "test/job", ipAddress: { type: "Public", ports: [{ port: 8080 }], dnsNameLabel: "dnsname" }, ports: [{ port: 8080 }] } },
  { id: "windows_always", container: { image: "test/job", osType: "Windows", restartPolicy: "Always" } },
  { id: "sleep_cycle", container: { image: "test/job" } },
  { id: "dns_config", container: { image: "test/job", dnsConfig: { nameServers: ["10.0.0.10", "10.0.0.11"], searchDomains: "contoso.local", options: "ndots:2" } } },
  {
    id: "diagnostics",
    container: {
      image: "test/job",
      diagnostics: {
        logAnalytics: { workspaceId: "6e4a1f3c-2b7d-4c9e-8f01-3a5b7c9d1e2f", workspaceKey: { keyVaultSecret: "log-analytics-key" }, logType: "ContainerInsights" },
      },
    },
  },
  { id: "spot", container: { image: "test/job", region: "westeurope", priority: "Spot" } },
  { id: "identity_user", container: { image: "test/job", identity: { type: "UserAssigned", userAssignedIdentities: [USER_IDENTITY] } } },
  { id: "identity_system", container: { image: "test/job", identity: { type: "SystemAssigned" } } },
  { id: "deferred", container: { image: "test/job" } },
  { id: "quick", container: { image: "hello-world" } },
  { id: "success_removed", removeOnSuccess: true, container: { image: "test/lines" } },
  { id: "success_kept", removeOnSuccess: false, container: { image: "test/lines" } },
  { id: "provisioning_error", container: { image: "test/broken" } },
  { id: "no_event", container: { image: "test/job" } },
  { id: "lines_all", resultLogs: "all", container: { image: "test/lines" } },
  { id: "lines_last", resultLogs: "last", container: { image: "test/lines" } },
];

// The Log Analytics workspace key of test_execute_with_diagnostics lives in the emulated Key Vault.
const h = useHarness(jobs, { secrets: { "log-analytics-key": "workspace-key-value" } });

/** Scripted images, set before every test (the harness resets the emulator after each). */
function script(): void {
  const emulator = h.app.emulator!;
  // 30 s of running: the watch sees it Running at its looks at 10 s and 20 s, Terminated at 30 s.
  emulator.setBehaviour("test/job", { runMs: 25 * SECOND });
  emulator.setBehaviour("test/exit:1", { runMs: 5 * SECOND, exitCode: 1, logs: ["failing"] });
  emulator.setBehaviour("test/unhealthy", { unhealthy: true, runMs: 10 * MINUTE });
  emulator.setBehaviour("test/messages", { runMs: 25 * SECOND, logs: [{ at: 1 * SECOND, line: "test" }, { at: 12 * SECOND, line: "logs" }] });
  emulator.setBehaviour("test/lines", { runMs: 2 * SECOND, logs: ["line1", "line2"] });
  emulator.setBehaviour("test/broken", { provisioningFailure: { code: "ResourceUnavailable", message: "The requested resource is not available in the location 'eastus' at this moment." } });
}

/** The group as ARM returns it while the run watches it. */
function groupWhileRunning(jobId: string): Promise<ContainerGroup> {
  return h.whenRunning(jobId, async (name) => (await h.app.services.aci.get(name))!);
}

/**
 * A hello-world group as a GET returns it after its container exited 0 (the PUT the emulator received plus the
 * read-only state, timed as the emulator runs it: 2 s Pending, 3 s Creating, 1 s of hello-world), with
 * `events: null` in the group's and the container's instance view.
 */
function exitedWithNullEvents(groupName: string): object {
  const put = h.app.emulator!.requests.findLast((r) => r.method === "PUT" && r.path.endsWith(`/containerGroups/${groupName}`))!;
  const sent = put.body as { location: string; tags: Record<string, string>; properties: { containers: { name: string; properties: object }[] } };
  const startTime = new Date(put.at + DEFAULT_PROVISIONING.pendingMs + DEFAULT_PROVISIONING.creatingMs);
  const finishTime = new Date(startTime.getTime() + 1 * SECOND);
  return {
    id: put.path,
    name: groupName,
    type: "Microsoft.ContainerInstance/containerGroups",
    location: sent.location,
    tags: sent.tags,
    properties: {
      ...sent.properties,
      containers: sent.properties.containers.map((container) => ({
        ...container,
        properties: {
          ...container.properties,
          instanceView: { restartCount: 0, currentState: { state: "Terminated", exitCode: 0, detailStatus: "Completed", startTime, finishTime }, events: null },
        },
      })),
      provisioningState: "Succeeded",
      instanceView: { events: null, state: "Succeeded" },
    },
  };
}

function deletes(): number {
  return h.app.emulator!.requests.filter((r) => r.method === "DELETE").length;
}

function scheduled(history: readonly HistoryEvent[], name: string): number {
  return history.filter((e) => e.EventType === EventType.TaskScheduled && (e as unknown as { Name: string }).Name === name).length;
}

function timers(history: readonly HistoryEvent[]): string[] {
  return history.filter((e) => e.EventType === EventType.TimerCreated).map((e) => (e as unknown as { FireAt: string }).FireAt);
}

describe("AzureContainerInstancesOperator cases (airflow-operator.md §8.1)", () => {
  it("test_execute: one create of the named group with the operator's defaults; success deletes even with removeOnError false", async () => {
    script();
    const received = groupWhileRunning("execute");
    const { result } = await h.run("execute");
    const group = await received;

    const puts = h.app.emulator!.requests.filter((r) => r.method === "PUT");
    expect(puts).toHaveLength(1);
    expect(puts[0]!.path).toMatch(/\/resourceGroups\/rg-aci-jobs-local\/providers\/Microsoft\.ContainerInstance\/containerGroups\/container-name$/u);
    expect(group).toMatchObject({ location: "eastus", restartPolicy: "Never", osType: "Linux" });
    expect(group.imageRegistryCredentials ?? []).toEqual([]);
    expect(group.containers.map((c) => [c.name, c.image])).toEqual([["container-name", "test/job"]]);
    expect(result).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(deletes()).toBe(1);
  });

  it("test_execute_with_failures: a nonzero exit fails the run and deletes the group", async () => {
    script();
    const { result } = await h.run("failures");
    // Airflow raises AirflowException; a run ends failed with the exit code and a reason.
    expect(result).toMatchObject({ status: "failed", exitCode: 1 });
    expect(result.attempts[0]).toMatchObject({ reason: "exitCode", cleanup: "deleted" });
    expect(deletes()).toBe(1);
  });

  it.each([
    ["Terminated", "failures_kept", "exitCode"],
    ["Unhealthy", "unhealthy_kept", "unhealthy"],
  ])("test_execute_with_failures_without_removal[%s]: removeOnError false fails without deleting", async (_state, jobId, reason) => {
    script();
    const { result } = await h.run(jobId);
    const [attempt] = result.attempts;
    expect(result.status).toBe("failed");
    expect(attempt).toMatchObject({ reason, cleanup: "kept" });
    expect(deletes()).toBe(0);
    // The kept group is still there, and (for a container that ran) so is its log.
    expect(h.app.emulator!.listGroups().map((g) => g.name)).toEqual([attempt!.groupName]);
    if (jobId === "failures_kept") expect(await h.app.services.aci.logs(attempt!.groupName, attempt!.groupName)).toContain("failing");
    await h.deleteGroup(attempt!.groupName);
  });

  it("test_execute_with_messages_logs: Succeeded → Running → Terminated, three looks, each line once, one delete", async () => {
    script();
    const { runId, result } = await h.run("messages");
    expect(result.status).toBe("succeeded");
    // Airflow: get_state ×3 and get_logs ×3. Here: three looks (Running, Running, Terminated), two log reads
    // while running and one after the exit; each line reaches the log exactly once.
    const watch = h.app.host.history(watchInstanceId(runId, 1));
    expect(scheduled(watch, "observeContainerGroup")).toBe(3);
    expect(h.app.emulator!.requests.filter((r) => r.method === "GET" && r.path.endsWith("/logs"))).toHaveLength(3);
    expect(h.containerLines(runId)).toEqual(["test", "logs"]);
    expect(deletes()).toBe(1);
  });

  it("test_execute_with_messages_all_logs_in_xcom_logs: resultLogs all puts every line in the result", async () => {
    script();
    const { result } = await h.run("xcom_all");
    expect(result.logs).toEqual(["test", "logs"]);
  });

  it("test_execute_with_messages_last_log_in_xcom_logs: resultLogs last puts the last line in the result", async () => {
    script();
    const { result } = await h.run("xcom_last");
    expect(result.logs).toEqual(["logs"]);
  });

  it("test_name_checker: valid names pass unchanged, the others fail at startup naming the field", () => {
    const check = (groupName: string) => parseJobDefinition({ id: "name_check", maxActiveRuns: 1, container: { groupName, image: "hello-world" } }, "name_check");
    const ok = (groupName: string) => {
      const parsed = check(groupName);
      expect(parsed.ok, groupName).toBe(true);
      if (parsed.ok) expect(parsed.job.container.groupName).toBe(groupName);
    };
    ok("test-dash");
    ok("a".repeat(63));
    for (const bad of ["test_underscore", "a".repeat(84), "test-dash-", "-test-dash"]) {
      const parsed = check(bad);
      expect(parsed.ok, bad).toBe(false);
      if (!parsed.ok) expect(parsed.problems[0]).toMatch(/^job "name_check", field container\.groupName: container group name/u);
    }
    // Stricter than Airflow's regex on purpose: ACI's documented rule forbids consecutive hyphens (aci-rest-api.md §9).
    expect(check("test--dash").ok).toBe(false);
  });

  it("test_execute_fails_with_incorrect_os_type: MacOs fails at startup with the job, field and reason", () => {
    const parsed = parseJobDefinition({ id: "os", container: { image: "hello-world", osType: "MacOs" } }, "os");
    // Airflow raises in the constructor; aci-jobs refuses to start, naming the job and field.
    expect(parsed).toEqual({ ok: false, problems: ['job "os", field container.osType: osType must be Linux or Windows'] });
  });

  it("test_execute_fails_with_incorrect_restart_policy: Everyday fails at startup with the job, field and reason", () => {
    const parsed = parseJobDefinition({ id: "restart", container: { image: "hello-world", restartPolicy: "Everyday" } }, "restart");
    expect(parsed).toEqual({ ok: false, problems: ['job "restart", field container.restartPolicy: restartPolicy must be Never, OnFailure or Always'] });
  });

  it("test_execute_correct_sleep_cycle: Running, Running, Terminated → a durable timer before each look, none after the exit", async () => {
    script();
    const { runId, result } = await h.run("sleep_cycle");
    expect(result.status).toBe("succeeded");
    // Airflow sleeps 1 s twice (after each non-terminal look). The watch waits by durable timers on its poll
    // schedule (pollSchedule.ts: 10 s first, then a tenth of the elapsed time), including before the first
    // look, since a group just accepted cannot have finished; it never waits after the final look.
    const fireTimes = timers(h.app.host.history(watchInstanceId(runId, 1))).map(Date.parse);
    expect(fireTimes).toHaveLength(3);
    // Each asks for 10 s after the look before it, and the Azure Storage provider's queue polling delivers a
    // 10 s timer 3.2 s late (dev/durable-host/timerQueue.ts), so the looks, and the timers after them, are 13.2 s apart.
    expect(fireTimes.slice(1).map((time, i) => time - fireTimes[i]!)).toEqual([13_200, 13_200]);
  });

  it("test_execute_with_missing_events: instance views whose events are null end the run cleanly, with no error logged", async () => {
    script();
    const emulator = h.app.emulator!;
    const errorsBefore = h.logs.filter((r) => r.level === "error").length;
    // Airflow's case: a terminated container whose instance view has events=None. Once the group is accepted,
    // the look's GET is answered with the group as ARM returns it by then (container exited 0), except that
    // both instance views say `events: null`, which the spec allows (events is optional).
    let groupName: string | undefined;
    const stop = h.onLog((record) => {
      const accepted = /^\[quick run [^\]]+\] container group ([a-z0-9-]+) accepted in /u.exec(record.message);
      if (!accepted) return;
      stop();
      groupName = accepted[1]!;
      emulator.injectFault({ method: "GET", path: new RegExp(`/containerGroups/${groupName}$`, "u"), fault: { kind: "body", body: exitedWithNullEvents(groupName) } });
    });
    const { result } = await h.run("quick");

    expect(result).toMatchObject({ status: "succeeded", exitCode: 0 });
    // The scripted answer was what the watch saw: the group's GETs are the create's existence check (404)
    // and one look, and the scripted answer is used up (otherwise it would answer this GET instead of a 404).
    const groupGets = emulator.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/containerGroups/${groupName}`));
    expect(groupGets.map((r) => r.status)).toEqual([404, 200]);
    expect(await h.app.services.aci.get(groupName!)).toBeUndefined();
    // A succeeded attempt carries no events (they are kept for failures); nothing was logged as an error.
    expect(result.attempts[0]!.events).toBeUndefined();
    expect(h.logs.filter((r) => r.level === "error").length).toBe(errorsBefore);
  });

  it("test_execute_with_spot_discount: priority Spot reaches ACI; the defaults hold and the group is deleted once", async () => {
    script();
    const received = groupWhileRunning("spot");
    const { result } = await h.run("spot");
    expect((await received).priority).toBe("Spot");
    expect(result.attempts[0]).toMatchObject({ outcome: "succeeded", priority: "Spot", cleanup: "deleted" });
    expect(deletes()).toBe(1);
  });

  it("test_execute_deferrable_defers_when_container_running: while running, the run waits in the watch and nothing is deleted", async () => {
    script();
    const seen = h.whenRunning("deferred", async (groupName, runId) => {
      const [run, watch] = await Promise.all([h.app.host.client.getStatus(runId), h.app.host.client.getStatus(watchInstanceId(runId, 1))]);
      return { groupName, runPhase: (run.customStatus as RunProgress).phase, watchStatus: String(watch.runtimeStatus), deletes: deletes() };
    });
    const { result } = await h.run("deferred");
    // Airflow defers to a trigger polling every polling_interval and must not delete the running group; here
    // the run waits on the watch sub-orchestration (durable timers) and the group stays until it exits.
    expect(await seen).toMatchObject({ runPhase: "watching", watchStatus: "Running", deletes: 0 });
    expect(result.status).toBe("succeeded");
    expect(deletes()).toBe(1);
  });

  it("test_execute_deferrable_completes_synchronously_if_already_terminated: a container done by the first look ends after one look", async () => {
    script();
    const { runId, result } = await h.run("quick");
    expect(result).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(h.app.emulator!.requests.filter((r) => r.method === "PUT")).toHaveLength(1);
    expect(scheduled(h.app.host.history(watchInstanceId(runId, 1)), "observeContainerGroup")).toBe(1);
  });

  it("test_execute_complete_success: success with removeOnSuccess true deletes once", async () => {
    script();
    const { result } = await h.run("success_removed");
    expect(result).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(deletes()).toBe(1);
  });

  it("test_execute_complete_success_with_remove_on_success_false: success keeps the group", async () => {
    script();
    const { result } = await h.run("success_kept");
    const [attempt] = result.attempts;
    expect(attempt).toMatchObject({ outcome: "succeeded", cleanup: "kept" });
    expect(deletes()).toBe(0);
    await h.deleteGroup(attempt!.groupName);
  });

  it("test_execute_complete_error_event_raises: a failed group fails the run with ACI's message", async () => {
    script();
    const { result } = await h.run("provisioning_error");
    // Airflow raises RuntimeError("Container group failed"); a run ends failed with a reason and ACI's words.
    expect(result.status).toBe("failed");
    // The scripted failure is ACI's regional-capacity message, so the reason says so (retried as capacity).
    expect(result.attempts[0]!.reason).toBe("capacity");
    expect(result.detail).toMatch(/not available in the location 'eastus'/u);
  });

  it("test_execute_complete_error_event_removes_on_error: a failed group is deleted once with removeOnError true", async () => {
    script();
    const { result } = await h.run("provisioning_error");
    expect(result.attempts[0]!.cleanup).toBe("deleted");
    expect(deletes()).toBe(1);
  });

  it("test_execute_complete_none_event_raises: a watch that cannot tell how the container ended fails the run, never succeeds", async () => {
    script();
    // Airflow's trigger yielding no event has no counterpart: the watch always returns a result. The nearest
    // case is a watch that loses the group's state (ARM refuses the read): the attempt fails with the reason.
    const refused = h.whenRunning("no_event", async () =>
      h.app.emulator!.injectFault({ method: "GET", path: /containerGroups\/[^/]+$/u, times: 1, fault: { status: 403, code: "AuthorizationFailed", message: "read denied" } }),
    );
    const { result } = await h.run("no_event");
    await refused;
    expect(result.status).toBe("failed");
    expect(result.attempts[0]).toMatchObject({ reason: "activityFailed", failureClass: "azureUnavailable", cleanup: "deleted" });
    expect(result.detail).toMatch(/AuthorizationFailed: read denied/u);
  });

  it("test_execute_complete_pushes_all_logs_to_xcom: resultLogs all → every line", async () => {
    script();
    const { result } = await h.run("lines_all");
    // Airflow keeps the "\n" of each line; the run result carries lines without it, as the log does.
    expect(result.logs).toEqual(["line1", "line2"]);
  });

  it("test_execute_complete_pushes_last_log_to_xcom: resultLogs last → the last line", async () => {
    script();
    const { result } = await h.run("lines_last");
    expect(result.logs).toEqual(["line2"]);
  });

  it("test_execute_remove_on_success_false_sync_path: success with removeOnSuccess false does not delete", async () => {
    script();
    const { result } = await h.run("success_kept");
    const [attempt] = result.attempts;
    expect(attempt!.cleanup).toBe("kept");
    expect(h.app.emulator!.listGroups().map((g) => g.name)).toEqual([attempt!.groupName]);
    expect(await h.app.services.aci.logs(attempt!.groupName, attempt!.groupName)).toContain("line2");
    expect(result.detail).toContain(`az container logs -g ${EMULATOR_RESOURCE_GROUP} -n ${attempt!.groupName}`);
    await h.deleteGroup(attempt!.groupName);
  });

  it("test_execute_remove_on_success_true_sync_path: success with removeOnSuccess true deletes once", async () => {
    script();
    const { result } = await h.run("success_removed");
    expect(result.attempts[0]!.cleanup).toBe("deleted");
    expect(deletes()).toBe(1);
  });
});

/**
 * Pass-through fields: the job's value must reach ACI unchanged. Each test asserts the group ACI holds
 * (a GET while the run watches it), not just what was sent.
 */
describe("AzureContainerInstancesOperator pass-through cases", () => {
  it("test_execute_with_tags: the job's tags reach the group next to the ownership tags", async () => {
    script();
    const received = groupWhileRunning("with_tags");
    await h.run("with_tags");
    expect((await received).tags).toMatchObject({ testKey: "testValue", "aci-jobs-job": "with_tags" });
  });

  it("test_execute_with_ipaddress: the IP address reaches the group", async () => {
    script();
    const received = groupWhileRunning("ip_address");
    await h.run("ip_address");
    expect((await received).ipAddress).toMatchObject({ type: "Public", ports: [{ port: 8080, protocol: "TCP" }], dnsNameLabel: "dnsname" });
  });

  it("test_execute_with_windows_os_and_diff_restart_policy: Windows and Always reach the group", async () => {
    script();
    const received = groupWhileRunning("windows_always");
    await h.run("windows_always");
    expect(await received).toMatchObject({ osType: "Windows", restartPolicy: "Always" });
  });

  it("test_execute_with_dnsconfig: the DNS configuration reaches the group", async () => {
    script();
    const received = groupWhileRunning("dns_config");
    await h.run("dns_config");
    expect((await received).dnsConfig).toEqual({ nameServers: ["10.0.0.10", "10.0.0.11"], searchDomains: "contoso.local", options: "ndots:2" });
  });

  it("test_execute_with_diagnostics: Log Analytics reaches the group, its key never shown back", async () => {
    script();
    const received = groupWhileRunning("diagnostics");
    await h.run("diagnostics");
    const logAnalytics = (await received).diagnostics?.logAnalytics;
    expect(logAnalytics).toMatchObject({ workspaceId: "6e4a1f3c-2b7d-4c9e-8f01-3a5b7c9d1e2f", logType: "ContainerInsights" });
    // ARM never returns the workspace key (aci-rest-api.md §5).
    expect(logAnalytics?.workspaceKey).toBeFalsy();
  });

  it("test_execute_with_identity: a system-assigned identity reaches the group", async () => {
    script();
    const received = groupWhileRunning("identity_system");
    await h.run("identity_system");
    expect((await received).identity?.type).toBe("SystemAssigned");
  });

  it("test_execute_with_identity_dict: user-assigned identity ids (Airflow's resource_ids) become userAssignedIdentities", async () => {
    script();
    const received = groupWhileRunning("identity_user");
    await h.run("identity_user");
    const identity = (await received).identity;
    expect(identity?.type).toBe("UserAssigned");
    expect(Object.keys(identity?.userAssignedIdentities ?? {})).toEqual([USER_IDENTITY]);
  });
});
