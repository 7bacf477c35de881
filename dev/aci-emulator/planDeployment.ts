/**
 * @module
 * A deployment is one provisioning of a container group (by a create, an update that changes the
 * containers, a start or a restart): the timings and scripted outcomes fixed when it was accepted. Its
 * state at any moment is computed from the clock by `computeDeploymentView`, so virtual time just works.
 */
import type { ResolvedBehaviour } from "./BehaviourRegistry";
import type { ContainerRunScript } from "./containerBehaviour";
import { parseImageReference } from "./parseImageReference";
import type { ContainerSpec, RestartPolicy, ValidatedGroup } from "./validateContainerGroup";

export interface ProvisioningTimings {
  readonly pendingMs: number;
  readonly creatingMs: number;
  /**
   * Whether PUT and DELETE answer 409 ContainerGroupTransitioning until provisioning settles, as ACI does
   * while an operation is in flight (aci-rest-api.md §8). Default true; tests of unrelated rules may turn
   * it off so they can delete a group they just created.
   */
  readonly conflictsWhileProvisioning: boolean;
}

export const DEFAULT_PROVISIONING: ProvisioningTimings = { pendingMs: 2000, creatingMs: 3000, conflictsWhileProvisioning: true };

export interface ContainerPlan {
  readonly name: string;
  readonly image: string;
  readonly script: ContainerRunScript;
  readonly platformRestarts: number;
}

export type GroupFailure =
  | { readonly kind: "provisioning"; readonly code: string; readonly message: string }
  | { readonly kind: "createTimeout" }
  | {
      readonly kind: "pullFailure";
      readonly containerName: string;
      readonly image: string;
      readonly eventDetail: string;
      readonly error: { readonly code: string; readonly message: string };
    }
  | { readonly kind: "unhealthy" }
  /** An Azure Files volume did not mount (wrong key, missing share): provisioning Failed, a FailedMount event. */
  | { readonly kind: "mount"; readonly message: string };

/**
 * The emulator's code for "no Spot capacity": ACI's real code is undocumented; `SkuNotAvailable` is what Azure
 * answers when Spot VM capacity runs out (virtual-machines/error-codes-spot), and the message is ACI's own
 * capacity message (aci-rest-api.md §8).
 */
export const SPOT_CAPACITY_ERROR_CODE = "SkuNotAvailable";

export interface Deployment {
  readonly groupName: string;
  readonly acceptedAt: number;
  readonly pendingMs: number;
  readonly creatingMs: number;
  readonly transitioningMs: number;
  readonly restartPolicy: RestartPolicy;
  readonly initContainers: readonly ContainerPlan[];
  readonly containers: readonly ContainerPlan[];
  readonly failure?: GroupFailure;
  /** Spot groups scripted to be evicted: how long after the containers start. */
  readonly spotEvictionAfterMs?: number;
  /** Set when the deployment stops being the group's current one before or after it finished. */
  end?: { readonly at: number; readonly reason: "superseded" | "deleted" | "stopped" };
}

export function planDeployment(
  groupName: string,
  group: ValidatedGroup,
  resolve: (container: ContainerSpec) => ResolvedBehaviour,
  defaults: ProvisioningTimings,
  acceptedAt: number,
  mountFailure?: string,
): Deployment {
  const resolved = [...group.initContainers, ...group.containers].map((container) => ({ container, ...resolve(container) }));
  const behaviours = resolved.map((entry) => entry.behaviour);
  const longest = (pick: (b: (typeof behaviours)[number]) => number | undefined, fallback: number): number =>
    Math.max(...behaviours.map((b) => pick(b) ?? fallback));
  const toPlan = ({ container, behaviour, script }: (typeof resolved)[number]): ContainerPlan => ({
    name: container.name,
    image: container.image,
    script,
    platformRestarts: behaviour.platformRestarts ?? 0,
  });
  const failure = findFailure(groupName, group, resolved, mountFailure);
  const isSpot = group.priority === "Spot";
  const evictions = isSpot ? behaviours.flatMap((b) => (b.spotEviction ? [b.spotEviction.afterMs] : [])) : [];
  return {
    groupName,
    acceptedAt,
    // A group provisions as one unit, so its slowest container sets the pace.
    pendingMs: longest((b) => b.pendingMs, defaults.pendingMs),
    creatingMs: longest((b) => b.creatingMs, defaults.creatingMs),
    // A behaviour's own transitioningMs wins; otherwise the group is in flight until it has provisioned.
    transitioningMs: longest(
      (b) => b.transitioningMs,
      defaults.conflictsWhileProvisioning ? longest((b) => b.pendingMs, defaults.pendingMs) + longest((b) => b.creatingMs, defaults.creatingMs) : 0,
    ),
    restartPolicy: group.restartPolicy,
    initContainers: resolved.slice(0, group.initContainers.length).map(toPlan),
    containers: resolved.slice(group.initContainers.length).map(toPlan),
    ...(failure && { failure }),
    ...(evictions.length > 0 && { spotEvictionAfterMs: Math.min(...evictions) }),
  };
}

function findFailure(
  groupName: string,
  group: ValidatedGroup,
  resolved: readonly ({ container: ContainerSpec } & ResolvedBehaviour)[],
  mountFailure: string | undefined,
): GroupFailure | undefined {
  if (group.priority === "Spot" && resolved.some(({ behaviour }) => behaviour.spotCapacityUnavailable)) {
    return {
      kind: "provisioning",
      code: SPOT_CAPACITY_ERROR_CODE,
      message: `The requested resource with '${group.cpu}' CPU and '${group.memoryInGB}' GB memory is not available in the location '${group.location}' at this moment. Please retry with a different resource request or in another location.`,
    };
  }
  for (const { behaviour } of resolved) {
    if (behaviour.provisioningFailure) return { kind: "provisioning", ...behaviour.provisioningFailure };
  }
  if (resolved.some(({ behaviour }) => behaviour.createTimeout)) return { kind: "createTimeout" };
  // Before a pull failure: ContainerGroupsGet_Failed.json shows the image pulled and then the mount failing.
  if (mountFailure !== undefined) return { kind: "mount", message: mountFailure };
  for (const { container, behaviour } of resolved) {
    if (behaviour.pullFailure) {
      const code = behaviour.pullFailure.code ?? "RegistryErrorResponse";
      const registry = parseImageReference(container.image).registry;
      return {
        kind: "pullFailure",
        containerName: container.name,
        image: container.image,
        eventDetail:
          behaviour.pullFailure.message ??
          `rpc error: code = Unknown desc = failed to pull and unpack image "${container.image}": unexpected status from GET request: 429 Too Many Requests`,
        // aci-rest-api.md §8: the real messages of both codes.
        error:
          code === "InaccessibleImage"
            ? { code, message: `The image '${container.image}' in container group '${groupName}' is not accessible. Please check the image and registry credential.` }
            : { code, message: `An error response is received from the docker registry '${registry}'. Please retry later.` },
      };
    }
  }
  if (resolved.some(({ behaviour }) => behaviour.unhealthy)) return { kind: "unhealthy" };
  return undefined;
}
