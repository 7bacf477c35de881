/** Explanations for instances the host cannot move forward. */
import { isFinished, type InstanceRecord } from "./instanceRecord";

/** Why `record` is stuck once the host is idle with no timer pending, naming what it waits for. */
export function stuckInstanceMessage(record: InstanceRecord, instances: Iterable<InstanceRecord>): string {
  const all = [...instances];
  const subject =
    `Instance '${record.instanceId}' (orchestration '${record.name}', ${record.runtimeStatus}) cannot make progress: ` +
    `the host is idle and no timer is pending`;
  const awaited = record.execution.shim.externalEvents.awaitedNames();
  if (awaited.length > 0) {
    return `${subject}; it waits for external event(s) ${awaited.map((name) => `'${name}'`).join(", ")}. Raise them with host.client.raiseEvent.`;
  }
  const children = all.filter(
    (candidate) => candidate.parent?.OrchestrationInstance.InstanceId === record.instanceId && !isFinished(candidate.runtimeStatus),
  );
  if (children.length > 0) {
    return `${subject}; it waits for sub-orchestration(s) that are stuck: ${children.map((child) => stuckInstanceMessage(child, all)).join(" | ")}`;
  }
  return (
    `${subject}; it waits for nothing the host can deliver (open EventIds: ${record.execution.shim.openEventIds.join(", ") || "none"}). ` +
    `A retry whose retryTimeoutInMilliseconds has passed is never rescheduled by the extension, and the library keeps waiting.`
  );
}
