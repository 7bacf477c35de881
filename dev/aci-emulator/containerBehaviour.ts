/**
 * @module
 * What a scripted image does when the emulator "runs" it. Tests register behaviours per image with
 * `emulator.setBehaviour(image, behaviour)`; every field is optional.
 */

/** A log line written `at` milliseconds after the container started. */
export interface TimedLogLine {
  readonly at: number;
  readonly line: string;
}

export interface ContainerBehaviour {
  /** Time in provisioning state Pending (waiting for infrastructure). Default: the emulator's `provisioning.pendingMs` (2 s). */
  readonly pendingMs?: number;
  /** Time in provisioning state Creating (image pull, container create). Default: `provisioning.creatingMs` (3 s). */
  readonly creatingMs?: number;
  /** After a PUT, start or restart, mutations answer 409 ContainerGroupTransitioning for this long. Default: until provisioning settles (see `provisioning.conflictsWhileProvisioning`). */
  readonly transitioningMs?: number;
  /** How long the container runs before it exits; `Infinity` never exits. Default: the built-in script's, else 1 s. */
  readonly runMs?: number;
  /** Exit code of each run. Default 0 (or the built-in script's). */
  readonly exitCode?: number;
  /** Output: plain lines are written at start; timed lines when their time comes. */
  readonly logs?: readonly string[] | readonly TimedLogLine[];
  /** The image pull keeps failing: container Waiting with Failed/BackOff events, provisioning Failed. */
  readonly pullFailure?: { readonly message?: string; readonly code?: "InaccessibleImage" | "RegistryErrorResponse" };
  /** Provisioning fails after the Pending phase (capacity, quota...), with this error on the operation. */
  readonly provisioningFailure?: { readonly code: string; readonly message: string };
  /** The run ends killed for memory: exit code 137, detailStatus `OOMKilled`. */
  readonly oomKilled?: boolean;
  /** After a nonzero exit the platform restarts the container this many times even under restart policy Never (aci-rest-api.md §6). */
  readonly platformRestarts?: number;
  /** Provisioning ends `Unhealthy` instead of `Succeeded`; the containers still run. */
  readonly unhealthy?: boolean;
  /** Provisioning never finishes; it fails after ACI's 30-minute create timeout (aci-rest-api.md §6). */
  readonly createTimeout?: boolean;
  /**
   * Spot groups only: `afterMs` after the containers started, the group is evicted; its containers stop and
   * provisioning cycles Unhealthy ↔ Repairing without running again (Airflow issue #47023). Regular groups ignore it.
   */
  readonly spotEviction?: { readonly afterMs: number };
  /** Spot groups only: no Spot capacity, so provisioning fails after Pending with `SkuNotAvailable`. Regular groups ignore it. */
  readonly spotCapacityUnavailable?: boolean;
}

/** One run of a container, as resolved from its image, command and behaviour. */
export interface ContainerRunScript {
  readonly runMs: number;
  readonly exitCode: number;
  readonly terminationReason?: "OOMKilled";
  readonly lines: readonly TimedLogLine[];
}
