import type { Clock } from "../clock";
import type { BehaviourRegistry } from "./BehaviourRegistry";
import type { ContainerGroupStore } from "./ContainerGroupStore";
import type { Deployment, ProvisioningTimings } from "./planDeployment";
import type { FaultInjector } from "./FaultInjector";
import type { RoleAssignment } from "./roleAssignment";
import type { SlidingWindowLimiter } from "./SlidingWindowLimiter";
import type { GpuSku, ServiceRules } from "./validateContainerGroup";

/**
 * A private registry the emulator knows: which logins and managed identities may pull from it. Registries
 * other than Docker Hub and mcr.microsoft.com that are not declared accept any credential, but still need one.
 */
export interface RegistryOptions {
  /** Host, e.g. `contoso.azurecr.io`. */
  readonly server: string;
  /** ACR's anonymous pull: images pull without an `imageRegistryCredentials` entry. Default false. */
  readonly anonymousPull?: boolean;
  readonly logins?: readonly { readonly username: string; readonly password: string }[];
  /** Resource ids of user-assigned identities with pull rights (AcrPull). */
  readonly identities?: readonly string[];
}

/** A storage account whose Azure Files shares groups may mount. Undeclared accounts mount without checks. */
export interface StorageAccountOptions {
  readonly name: string;
  readonly key: string;
  readonly shares: readonly string[];
}

/** Per-region quotas beyond the Standard ones (aci-rest-api.md §10). */
export interface QuotaOptions {
  /** `StandardSpotCores`; the default offer's 10. */
  readonly spotCores: number;
  /** `<SKU>Cores` (GPUs per region): 0 for every SKU since GPU SKUs were retired on 14 July 2025. */
  readonly gpus: Readonly<Record<GpuSku, number>>;
}

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
  /** The JSON body as ACI received it, secrets included (the text when it is not JSON); absent without a body. */
  readonly body?: unknown;
}

/** Everything the request handlers share. */
export interface EmulatorState {
  readonly clock: Clock;
  /** `https://127.0.0.1:<port>`: async-operation URLs must point back here (aci-rest-api.md §4.2). */
  origin: string;
  readonly provisioning: ProvisioningTimings;
  /** Set: DELETE answers 202 and the group goes this long afterwards (AciEmulatorOptions.asyncDeleteMs). */
  readonly asyncDeleteMs: number | undefined;
  /** Resource groups that exist (lower case); undefined: any name is taken to exist. */
  readonly resourceGroups: ReadonlySet<string> | undefined;
  /** The caller's role: when set, a request outside it answers 403 AuthorizationFailed (roleAssignment.ts). */
  readonly roleAssignment: RoleAssignment | undefined;
  readonly behaviours: BehaviourRegistry;
  readonly service: ServiceRules;
  /** By lower-case host. */
  readonly registries: Map<string, RegistryOptions>;
  /** By lower-case account name. */
  readonly storageAccounts: Map<string, StorageAccountOptions>;
  readonly quotas: QuotaOptions;
  readonly faults: FaultInjector;
  readonly groups: ContainerGroupStore;
  readonly operations: Map<string, OperationRecord>;
  readonly createLimiter: SlidingWindowLimiter;
  readonly deleteLimiter: SlidingWindowLimiter;
  readonly requests: RecordedRequest[];
}
