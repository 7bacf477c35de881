import { computeDeploymentView, type DeploymentView } from "./computeDeploymentView";
import type { Deployment } from "./planDeployment";
import type { JsonObject } from "./json";
import type { ValidatedGroup } from "./validateContainerGroup";

export interface ContainerGroupRecord {
  readonly subscriptionId: string;
  /** Resource group and group name keep the casing of the request that created the group (ARM does the same). */
  readonly resourceGroup: string;
  readonly name: string;
  spec: ValidatedGroup;
  tags: Record<string, string>;
  identity?: JsonObject;
  deployment: Deployment;
  stoppedAt?: number;
  /** Address assigned when the group asked for an IP address without giving one. */
  readonly ip?: string;
  /** When an accepted (202) DELETE completes: until then the group is still there. */
  removeAt?: number;
}

export function resourceIdOf(group: Pick<ContainerGroupRecord, "subscriptionId" | "resourceGroup" | "name">): string {
  return `/subscriptions/${group.subscriptionId}/resourceGroups/${group.resourceGroup}/providers/Microsoft.ContainerInstance/containerGroups/${group.name}`;
}

/** The group as it is at `now`: its current deployment, or Stopped. */
export function viewGroup(group: ContainerGroupRecord, now: number): DeploymentView {
  if (group.stoppedAt === undefined) return computeDeploymentView(group.deployment, now);
  // A stopped group's containers are deallocated: no container instance views, no logs (emulator's model).
  return {
    provisioningState: "Succeeded",
    groupState: "Stopped",
    groupEvents: [],
    initContainers: group.spec.initContainers.map(({ name }) => ({ name })),
    containers: group.spec.containers.map(({ name }) => ({ name })),
    operationStatus: "Succeeded",
  };
}

/** Container groups keyed case-insensitively by subscription, resource group and name (ARM compares names that way). */
export class ContainerGroupStore {
  readonly #groups = new Map<string, ContainerGroupRecord>();

  /** `now`: the emulator's clock, for deletions that complete later (`removeAt`). */
  constructor(private readonly now: () => number = Date.now) {}

  get(subscriptionId: string, resourceGroup: string, name: string): ContainerGroupRecord | undefined {
    this.#removeDeleted();
    return this.#groups.get(keyOf(subscriptionId, resourceGroup, name));
  }

  set(group: ContainerGroupRecord): void {
    this.#groups.set(keyOf(group.subscriptionId, group.resourceGroup, group.name), group);
  }

  delete(group: ContainerGroupRecord): void {
    this.#groups.delete(keyOf(group.subscriptionId, group.resourceGroup, group.name));
  }

  list(subscriptionId?: string, resourceGroup?: string): ContainerGroupRecord[] {
    this.#removeDeleted();
    return [...this.#groups.values()].filter(
      (group) =>
        (subscriptionId === undefined || sameName(group.subscriptionId, subscriptionId)) &&
        (resourceGroup === undefined || sameName(group.resourceGroup, resourceGroup)),
    );
  }

  /** Groups of one subscription in one region: what the per-region quotas count. */
  inRegion(subscriptionId: string, location: string): ContainerGroupRecord[] {
    return this.list(subscriptionId).filter((group) => group.spec.location === location);
  }

  clear(): void {
    this.#groups.clear();
  }

  #removeDeleted(): void {
    const now = this.now();
    for (const [key, group] of this.#groups) if (group.removeAt !== undefined && group.removeAt <= now) this.#groups.delete(key);
  }
}

function keyOf(subscriptionId: string, resourceGroup: string, name: string): string {
  return [subscriptionId, resourceGroup, name].map((part) => part.toLowerCase()).join("/");
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
