import type { Clock } from "../clock";
import type { BehaviourRegistry } from "./BehaviourRegistry";
import type { ContainerGroupStore } from "./ContainerGroupStore";
import type { Deployment, ProvisioningTimings } from "./planDeployment";
import type { FaultInjector } from "./FaultInjector";
import type { SlidingWindowLimiter } from "./SlidingWindowLimiter";

/** An async operation (the `Azure-AsyncOperation` URL): it reports on the deployment it was created for. */
export interface OperationRecord {
  readonly id: string;
  readonly resourceId: string;
  readonly startedAt: number;
  readonly deployment: Deployment;
}

export interface RecordedRequest {
  readonly method: string;
  /** URL path without the query string. */
  readonly path: string;
  /** HTTP status sent, or 0 when a fault reset the connection without a response. */
  readonly status: number;
  /** Emulator clock time (virtual when the emulator runs on a VirtualClock). */
  readonly at: number;
}

/** Everything the request handlers share. */
export interface EmulatorState {
  readonly clock: Clock;
  /** `https://127.0.0.1:<port>`: async-operation URLs must point back here (aci-rest-api.md §4.2). */
  origin: string;
  readonly provisioning: ProvisioningTimings;
  /** Resource groups that exist (lower case); undefined: any name is taken to exist. */
  readonly resourceGroups: ReadonlySet<string> | undefined;
  readonly behaviours: BehaviourRegistry;
  readonly faults: FaultInjector;
  readonly groups: ContainerGroupStore;
  readonly operations: Map<string, OperationRecord>;
  readonly createLimiter: SlidingWindowLimiter;
  readonly deleteLimiter: SlidingWindowLimiter;
  readonly requests: RecordedRequest[];
}
