/**
 * @module
 * Starts the ACI emulator: an https ARM endpoint on 127.0.0.1 that the real `@azure/arm-containerinstance`
 * SDK can use unchanged, plus a plain-http managed-identity token endpoint for `DefaultAzureCredential`.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { systemClock, type Clock } from "../clock";
import { BehaviourRegistry } from "./BehaviourRegistry";
import type { ProvisioningState, GroupState } from "./computeDeploymentView";
import type { ContainerBehaviour } from "./containerBehaviour";
import { ContainerGroupStore, viewGroup } from "./ContainerGroupStore";
import { DEFAULT_PROVISIONING } from "./planDeployment";
import type { EmulatorState, QuotaOptions, RecordedRequest, RegistryOptions, StorageAccountOptions } from "./emulatorState";
import { ensureEmulatorCertificate } from "./ensureEmulatorCertificate";
import { FaultInjector, type FaultRule } from "./FaultInjector";
import type { RoleAssignment } from "./roleAssignment";
import { createArmRequestListener } from "./createArmRequestListener";
import { ACI_RESOURCE_REQUEST_WINDOWS, SlidingWindowLimiter } from "./SlidingWindowLimiter";
import { startTokenServer } from "./startTokenServer";
import { ACI_REGIONS, SPOT_REGIONS, normalizeLocation, type GpuSku } from "./validateContainerGroup";

export interface AciEmulatorOptions {
  /** Time source of the state machine, rate limits and request log. Default: the system clock. */
  readonly clock?: Clock;
  /** https port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Listen address. Default 127.0.0.1 (the certificate covers 127.0.0.1 and localhost). */
  readonly host?: string;
  /** Where the certificate is cached. Default `<repo>/.aci-emulator/`. */
  readonly certDir?: string;
  /** Secret the token endpoint expects in `x-identity-header`. Default: random. */
  readonly identityHeader?: string;
  /**
   * Default provisioning phases for images whose behaviour does not set them (2 s Pending, 3 s Creating),
   * and whether PUT/DELETE meet 409 ContainerGroupTransitioning until provisioning settles (default true).
   */
  readonly provisioning?: { readonly pendingMs?: number; readonly creatingMs?: number; readonly conflictsWhileProvisioning?: boolean };
  /**
   * Resource groups that exist. Requests under any other answer 404 ResourceGroupNotFound, as ARM does
   * (aci-rest-api.md §8, §15.8). Default: every name exists.
   */
  readonly resourceGroups?: readonly string[];
  /**
   * Answer a DELETE with 202 and Azure-AsyncOperation, and remove the group this long afterwards, as the
   * spec's example allows. Unset: 200 and gone at once, as the real service answered (aci-rest-api.md §4.1).
   */
  readonly asyncDeleteMs?: number;
  /**
   * Enforce Azure RBAC for the caller: only these actions, only on these resource groups (403
   * AuthorizationFailed otherwise). Unset: every request is allowed. The app runs with appRoleAssignment().
   */
  readonly roleAssignment?: RoleAssignment;
  /** Regions that offer ACI; a PUT elsewhere gets 400 LocationNotAvailableForResourceType. Default: the public regions. */
  readonly regions?: readonly string[];
  /** Regions that offer Spot groups. Default East US 2, West Europe and West US (aci-rest-api.md §10). */
  readonly spotRegions?: readonly string[];
  /** Private registries and the logins and identities they accept (see {@link RegistryOptions}). */
  readonly registries?: readonly RegistryOptions[];
  /** Storage accounts with their key and shares; mounting a declared account with a wrong key or share fails. */
  readonly storageAccounts?: readonly StorageAccountOptions[];
  /** `StandardSpotCores` per region. Default 10. */
  readonly spotCoreQuota?: number;
  /** GPUs per region and SKU. Default 0: GPU SKUs are retired, so every GPU request hits `<SKU>Cores` quota. */
  readonly gpuQuota?: Partial<Record<GpuSku, number>>;
}

export interface ContainerSummary {
  readonly name: string;
  /** Absent while the container has no instance view (provisioning Pending, group stopped). */
  readonly state?: "Waiting" | "Running" | "Terminated";
  readonly exitCode?: number;
  readonly restartCount: number;
}

export interface GroupSummary {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly provisioningState: ProvisioningState;
  readonly state: GroupState;
  readonly containers: readonly ContainerSummary[];
}

export interface AciEmulator {
  /** https origin of the ARM endpoint, e.g. `https://127.0.0.1:8443`: the SDK's `endpoint`. */
  readonly url: string;
  /** PEM certificate to trust through `NODE_EXTRA_CA_CERTS`. */
  readonly certPath: string;
  /** Value for `IDENTITY_ENDPOINT`. */
  readonly identityEndpoint: string;
  /** Value for `IDENTITY_HEADER`. */
  readonly identityHeader: string;
  readonly clock: Clock;
  /** Every ARM request so far, faults included, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Scripts what containers of `image` do (`repo:tag`; `:latest` implied). Applies to deployments accepted afterwards. */
  setBehaviour(image: string, behaviour: ContainerBehaviour): void;
  /** Declares (or replaces) a private registry for the rest of the emulator's life; `reset` keeps the start options only. */
  addRegistry(registry: RegistryOptions): void;
  /** Declares (or replaces) a storage account; `reset` keeps the start options only. */
  addStorageAccount(account: StorageAccountOptions): void;
  /** Makes the next matching ARM request(s) fail. */
  injectFault(rule: FaultRule): void;
  /** Drops the faults not yet delivered. */
  clearFaults(): void;
  /** How many injected faults have not been delivered yet. */
  pendingFaults(): number;
  listGroups(): GroupSummary[];
  /** Forgets groups, operations, scripted behaviours, pending faults, rate-limit history, the request log and added registries and accounts. */
  reset(): void;
  close(): Promise<void>;
}

export async function startAciEmulator(options: AciEmulatorOptions = {}): Promise<AciEmulator> {
  const clock = options.clock ?? systemClock;
  const host = options.host ?? "127.0.0.1";
  const identityHeader = options.identityHeader ?? randomUUID();
  const certificate = ensureEmulatorCertificate(options.certDir);
  const declaredRegistries = (): Map<string, RegistryOptions> => new Map((options.registries ?? []).map((registry) => [registry.server.toLowerCase(), registry]));
  const declaredAccounts = (): Map<string, StorageAccountOptions> => new Map((options.storageAccounts ?? []).map((account) => [account.name.toLowerCase(), account]));
  const quotas: QuotaOptions = {
    spotCores: options.spotCoreQuota ?? 10,
    gpus: { K80: 0, P100: 0, V100: 0, ...options.gpuQuota },
  };
  const state: EmulatorState = {
    clock,
    origin: "",
    provisioning: { ...DEFAULT_PROVISIONING, ...options.provisioning },
    asyncDeleteMs: options.asyncDeleteMs,
    resourceGroups: options.resourceGroups ? new Set(options.resourceGroups.map((name) => name.toLowerCase())) : undefined,
    roleAssignment: options.roleAssignment,
    behaviours: new BehaviourRegistry(),
    service: {
      regions: new Set((options.regions ?? ACI_REGIONS).map(normalizeLocation)),
      spotRegions: new Set((options.spotRegions ?? SPOT_REGIONS).map(normalizeLocation)),
    },
    registries: declaredRegistries(),
    storageAccounts: declaredAccounts(),
    quotas,
    faults: new FaultInjector(),
    groups: new ContainerGroupStore(() => clock.now()),
    operations: new Map(),
    createLimiter: new SlidingWindowLimiter(ACI_RESOURCE_REQUEST_WINDOWS),
    deleteLimiter: new SlidingWindowLimiter(ACI_RESOURCE_REQUEST_WINDOWS),
    requests: [],
  };

  const server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, createArmRequestListener(state));
  await listen(server, options.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  state.origin = `https://${urlHost}:${port}`;
  const tokenServer = await startTokenServer("127.0.0.1", identityHeader).catch(async (error: unknown) => {
    await closeServer(server);
    throw error;
  });

  return {
    url: state.origin,
    certPath: certificate.certPath,
    identityEndpoint: tokenServer.endpoint,
    identityHeader,
    clock,
    requests: state.requests,
    setBehaviour: (image, behaviour) => state.behaviours.set(image, behaviour),
    addRegistry: (registry) => state.registries.set(registry.server.toLowerCase(), registry),
    addStorageAccount: (account) => state.storageAccounts.set(account.name.toLowerCase(), account),
    injectFault: (rule) => state.faults.inject(rule),
    clearFaults: () => state.faults.clear(),
    pendingFaults: () => state.faults.pending(),
    listGroups: () => summarizeGroups(state),
    reset: () => {
      state.groups.clear();
      state.operations.clear();
      state.behaviours.clear();
      state.faults.clear();
      state.createLimiter.clear();
      state.deleteLimiter.clear();
      state.requests.length = 0;
      state.registries.clear();
      for (const [server, registry] of declaredRegistries()) state.registries.set(server, registry);
      state.storageAccounts.clear();
      for (const [name, account] of declaredAccounts()) state.storageAccounts.set(name, account);
    },
    close: async () => {
      await Promise.all([closeServer(server), tokenServer.close()]);
    },
  };
}

function summarizeGroups(state: EmulatorState): GroupSummary[] {
  const now = state.clock.now();
  return state.groups.list().map((group) => {
    const view = viewGroup(group, now);
    return {
      subscriptionId: group.subscriptionId,
      resourceGroup: group.resourceGroup,
      name: group.name,
      location: group.spec.location,
      tags: { ...group.tags },
      provisioningState: view.provisioningState,
      state: view.groupState,
      containers: view.containers.map(({ name, instanceView }) => ({
        name,
        ...(instanceView && { state: instanceView.currentState.state }),
        ...(instanceView?.currentState.exitCode !== undefined && { exitCode: instanceView.currentState.exitCode }),
        restartCount: instanceView?.restartCount ?? 0,
      })),
    };
  });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
