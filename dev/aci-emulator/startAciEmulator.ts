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
import type { EmulatorState, RecordedRequest } from "./emulatorState";
import { ensureEmulatorCertificate } from "./ensureEmulatorCertificate";
import { FaultInjector, type FaultRule } from "./FaultInjector";
import { createArmRequestListener } from "./createArmRequestListener";
import { ACI_RESOURCE_REQUEST_WINDOWS, SlidingWindowLimiter } from "./SlidingWindowLimiter";
import { startTokenServer } from "./startTokenServer";

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
  /** Default provisioning phases for images whose behaviour does not set them. Default 2 s Pending, 3 s Creating. */
  readonly provisioning?: { readonly pendingMs?: number; readonly creatingMs?: number };
  /**
   * Resource groups that exist. Requests under any other answer 404 ResourceGroupNotFound, as ARM does
   * (aci-rest-api.md §8, §15.8). Default: every name exists.
   */
  readonly resourceGroups?: readonly string[];
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
  /** Makes the next matching ARM request(s) fail. */
  injectFault(rule: FaultRule): void;
  listGroups(): GroupSummary[];
  /** Forgets groups, operations, scripted behaviours, pending faults, rate-limit history and the request log. */
  reset(): void;
  close(): Promise<void>;
}

export async function startAciEmulator(options: AciEmulatorOptions = {}): Promise<AciEmulator> {
  const clock = options.clock ?? systemClock;
  const host = options.host ?? "127.0.0.1";
  const identityHeader = options.identityHeader ?? randomUUID();
  const certificate = ensureEmulatorCertificate(options.certDir);
  const state: EmulatorState = {
    clock,
    origin: "",
    provisioning: { ...DEFAULT_PROVISIONING, ...options.provisioning },
    resourceGroups: options.resourceGroups ? new Set(options.resourceGroups.map((name) => name.toLowerCase())) : undefined,
    behaviours: new BehaviourRegistry(),
    faults: new FaultInjector(),
    groups: new ContainerGroupStore(),
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
    injectFault: (rule) => state.faults.inject(rule),
    listGroups: () => summarizeGroups(state),
    reset: () => {
      state.groups.clear();
      state.operations.clear();
      state.behaviours.clear();
      state.faults.clear();
      state.createLimiter.clear();
      state.deleteLimiter.clear();
      state.requests.length = 0;
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
