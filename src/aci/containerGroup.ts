/**
 * @module
 * Job definition → ACI container group. One container, named like the group (as Airflow's operator
 * does), restart policy Never so a finished job stays Terminated, and tags that say which run owns it.
 */
import type { ContainerGroup, EnvironmentVariable } from "@azure/arm-containerinstance";
import type { ContainerSpec } from "../jobs/definition";
import { secretKey, type SecretReference } from "../jobs/secretReference";

/** Tags on every group aci-jobs creates, so a person (or a clean-up sweep) can tell whose it is. */
export const OWNERSHIP_TAGS = { job: "aci-jobs-job", runId: "aci-jobs-run-id", attempt: "aci-jobs-attempt" } as const;

export interface GroupOwner {
  readonly jobId: string;
  readonly runId: string;
  readonly attempt: number;
}

export interface ContainerGroupRequest {
  readonly groupName: string;
  readonly region: string;
  readonly container: ContainerSpec;
  readonly owner: GroupOwner;
  /** Values of the container's Key Vault references, by `secretKey`; resolved inside the create activity. */
  readonly secrets?: ReadonlyMap<string, string>;
}

export function toContainerGroup(request: ContainerGroupRequest): ContainerGroup {
  const { container, owner } = request;
  const environmentVariables: EnvironmentVariable[] = Object.entries(container.environment).map(([name, value]) =>
    typeof value === "string" ? { name, value } : { name, secureValue: secretValue(request, value) },
  );
  return {
    location: request.region,
    tags: {
      [OWNERSHIP_TAGS.job]: owner.jobId,
      [OWNERSHIP_TAGS.runId]: owner.runId,
      [OWNERSHIP_TAGS.attempt]: String(owner.attempt),
    },
    osType: "Linux",
    restartPolicy: container.restartPolicy,
    ...(container.priority === "Spot" ? { priority: "Spot" } : {}),
    containers: [
      {
        name: containerNameFor(request.groupName),
        image: container.image,
        ...(container.command ? { command: [...container.command] } : {}),
        environmentVariables,
        resources: { requests: { cpu: container.cpu, memoryInGB: container.memoryInGB } },
      },
    ],
  };
}

function secretValue(request: ContainerGroupRequest, reference: SecretReference): string {
  const value = request.secrets?.get(secretKey(reference));
  if (value === undefined) throw new Error(`secret ${secretKey(reference)} was not resolved before building the container group`);
  return value;
}

/** The single container carries the group's name (group names are valid container names). */
export function containerNameFor(groupName: string): string {
  return groupName;
}

/** True when `group` carries the tags of exactly this run attempt (a retried create finds its own group). */
export function isOwnedBy(group: Pick<ContainerGroup, "tags">, owner: GroupOwner): boolean {
  const tags = group.tags ?? {};
  return (
    tags[OWNERSHIP_TAGS.job] === owner.jobId &&
    tags[OWNERSHIP_TAGS.runId] === owner.runId &&
    tags[OWNERSHIP_TAGS.attempt] === String(owner.attempt)
  );
}

export function ownerOf(group: Pick<ContainerGroup, "tags">): string {
  const tags = group.tags ?? {};
  const runId = tags[OWNERSHIP_TAGS.runId];
  return runId ? `run ${runId} of job ${tags[OWNERSHIP_TAGS.job] ?? "?"}` : "something other than aci-jobs";
}
