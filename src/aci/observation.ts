/**
 * @module
 * What a container group's GET says about the job, read the way aci-rest-api.md §6 advises: the
 * container's currentState decides once it exists, provisioningState before that, and events explain.
 */
import type { ContainerGroup, Event as AciEvent } from "@azure/arm-containerinstance";

export type ContainerPhase =
  /** Infrastructure, image pull or start still under way. */
  | { readonly phase: "provisioning"; readonly detail: string }
  | { readonly phase: "running"; readonly startedAt?: string }
  | {
      readonly phase: "exited";
      readonly exitCode: number;
      readonly detailStatus: string;
      readonly oomKilled: boolean;
      readonly startedAt?: string;
      readonly finishedAt?: string;
    }
  | { readonly phase: "provisioningFailed"; readonly reason: "imagePull" | "provisioning"; readonly detail: string }
  | { readonly phase: "unhealthy"; readonly detail: string };

export interface GroupObservation {
  readonly state: ContainerPhase;
  readonly provisioningState: string;
  readonly restartCount: number;
  /** The newest few events of the group and its container, oldest first (for the run record). */
  readonly events: readonly string[];
}

export function isFinal(state: ContainerPhase): boolean {
  return state.phase === "exited" || state.phase === "provisioningFailed" || state.phase === "unhealthy";
}

const MAX_EVENTS = 5;

export function observeContainerGroup(group: ContainerGroup, containerName: string): GroupObservation {
  const provisioningState = group.provisioningState ?? "Unknown";
  const container = group.containers.find((c) => c.name === containerName) ?? group.containers[0];
  const view = container?.instanceView;
  const events = [...(group.instanceView?.events ?? []), ...(view?.events ?? [])];
  const eventLines = events
    .slice()
    .sort((a, b) => time(a) - time(b))
    .slice(-MAX_EVENTS)
    .map(describeEvent);
  const base = { provisioningState, restartCount: view?.restartCount ?? 0, events: eventLines };
  return { ...base, state: phaseOf(provisioningState, view?.currentState, events) };
}

function phaseOf(
  provisioningState: string,
  current: { state?: string; exitCode?: number; detailStatus?: string; startTime?: Date; finishTime?: Date } | undefined,
  events: readonly AciEvent[],
): ContainerPhase {
  // A container that has terminated tells the outcome even when the group's state moved on.
  if (current?.state === "Terminated") {
    const exitCode = current.exitCode ?? -1;
    const detailStatus = current.detailStatus ?? "";
    return {
      phase: "exited",
      exitCode,
      detailStatus,
      // 137 = 128 + SIGKILL, what the kernel's OOM killer leaves behind (docker run exit codes).
      oomKilled: exitCode === 137 || /OOMKilled/iu.test(detailStatus),
      ...iso("startedAt", current.startTime),
      ...iso("finishedAt", current.finishTime),
    };
  }
  const pullFailure = events.find(isImagePullFailure);
  if (provisioningState === "Failed") {
    return pullFailure
      ? { phase: "provisioningFailed", reason: "imagePull", detail: pullFailure.message ?? "image pull failed" }
      : { phase: "provisioningFailed", reason: "provisioning", detail: failureDetail(events) };
  }
  if (provisioningState === "Unhealthy" || provisioningState === "Repairing") {
    return { phase: "unhealthy", detail: `provisioning state ${provisioningState}. ${failureDetail(events)}`.trim() };
  }
  if (current?.state === "Running") return { phase: "running", ...iso("startedAt", current.startTime) };
  if (pullFailure && current?.state === "Waiting") {
    // Waiting with a failed pull never ends on its own (aci-rest-api.md §6): report it instead of waiting.
    return { phase: "provisioningFailed", reason: "imagePull", detail: pullFailure.message ?? "image pull failed" };
  }
  const detail = current?.state ? `container ${current.state}` : `provisioning ${provisioningState}`;
  return { phase: "provisioning", detail };
}

function isImagePullFailure(event: AciEvent): boolean {
  const message = event.message ?? "";
  return (
    (event.name === "Failed" && /pull/iu.test(message)) ||
    (event.name === "BackOff" && /pull/iu.test(message)) ||
    /InaccessibleImage|RegistryErrorResponse/u.test(message)
  );
}

function failureDetail(events: readonly AciEvent[]): string {
  const warnings = events.filter((e) => e.type === "Warning" || e.name === "Failed" || e.name === "FailedMount");
  const last = (warnings.length > 0 ? warnings : events).at(-1);
  return last ? describeEvent(last) : "no events recorded";
}

function describeEvent(event: AciEvent): string {
  const count = (event.count ?? 1) > 1 ? ` (x${event.count})` : "";
  return `${event.name ?? "Event"}: ${event.message ?? ""}${count}`.trim();
}

const time = (event: AciEvent) => (event.lastTimestamp ?? event.firstTimestamp)?.getTime() ?? 0;

function iso<K extends string>(key: K, date: Date | undefined): Partial<Record<K, string>> {
  return date ? ({ [key]: date.toISOString() } as Record<K, string>) : {};
}
