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
}

export const DEFAULT_PROVISIONING: ProvisioningTimings = { pendingMs: 2000, creatingMs: 3000 };

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
  | { readonly kind: "spotEviction"; readonly afterMs: number };

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
  /** Set when the deployment stops being the group's current one before or after it finished. */
  end?: { readonly at: number; readonly reason: "superseded" | "deleted" | "stopped" };
}

export function planDeployment(
  groupName: string,
  group: ValidatedGroup,
  resolve: (container: ContainerSpec) => ResolvedBehaviour,
  defaults: ProvisioningTimings,
  acceptedAt: number,
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
  const failure = findFailure(groupName, resolved, group.properties["priority"] === "Spot");
  return {
    groupName,
    acceptedAt,
    // A group provisions as one unit, so its slowest container sets the pace.
    pendingMs: longest((b) => b.pendingMs, defaults.pendingMs),
    creatingMs: longest((b) => b.creatingMs, defaults.creatingMs),
    transitioningMs: longest((b) => b.transitioningMs, 0),
    restartPolicy: group.restartPolicy,
    initContainers: resolved.slice(0, group.initContainers.length).map(toPlan),
    containers: resolved.slice(group.initContainers.length).map(toPlan),
    ...(failure && { failure }),
  };
}

function findFailure(groupName: string, resolved: readonly ({ container: ContainerSpec } & ResolvedBehaviour)[], spot: boolean): GroupFailure | undefined {
  for (const { behaviour } of resolved) {
    if (behaviour.provisioningFailure) return { kind: "provisioning", ...behaviour.provisioningFailure };
  }
  if (resolved.some(({ behaviour }) => behaviour.createTimeout)) return { kind: "createTimeout" };
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
  const eviction = spot ? resolved.find(({ behaviour }) => behaviour.spotEviction)?.behaviour.spotEviction : undefined;
  if (eviction) return { kind: "spotEviction", afterMs: eviction.afterMs };
  return undefined;
}
