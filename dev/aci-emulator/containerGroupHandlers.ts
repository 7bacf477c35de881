/**
 * @module
 * One function per ARM operation of the emulator (aci-rest-api.md §3). Each returns the response to send or
 * throws an {@link ArmError}; HTTP plumbing, auth, api-version and faults live in `createArmRequestListener.ts`.
 */
import { createHash, randomUUID } from "node:crypto";
import { EMULATOR_TENANT_ID } from "./accessToken";
import { ArmError, containerGroupTransitioning, invalidRequestContent, resourceNotFound } from "./ArmError";
import { unknownImageMessage, type ResolvedBehaviour } from "./BehaviourRegistry";
import { computeDeploymentView, isSettled, type DeploymentView } from "./computeDeploymentView";
import { resourceIdOf, viewGroup, type ContainerGroupRecord } from "./ContainerGroupStore";
import { planDeployment } from "./planDeployment";
import type { EmulatorState, OperationRecord } from "./emulatorState";
import { formatIsoTicks } from "./formatTime";
import { isJsonObject, toCanonicalJson, type JsonObject } from "./json";
import { readContainerLogs } from "./readContainerLogs";
import { parseImageReference } from "./parseImageReference";
import { renderContainerGroup } from "./renderContainerGroup";
import { normalizeLocation, validateContainerGroup, type ContainerSpec, type GpuSku, type ValidatedGroup } from "./validateContainerGroup";

export interface ArmRequest {
  readonly method: string;
  readonly query: URLSearchParams;
  readonly apiVersion: string;
  readonly body: unknown;
  readonly now: number;
}

export interface ArmResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Region of the resource, used as the `x-ms-request-id` prefix like the real service (`eastus:<guid>`). */
  readonly region?: string;
}

export type Handler = (state: EmulatorState, request: ArmRequest, params: readonly string[]) => ArmResponse;

/** aci-rest-api.md §10: Standard container groups and Standard cores per region per subscription. */
const GROUP_QUOTA = 100;
const CORE_QUOTA = 100;

export const listAllGroups: Handler = (state, request, [subscriptionId = ""]) => ({
  status: 200,
  body: { value: state.groups.list(subscriptionId).map((group) => renderListed(group, request)) },
});

export const listResourceGroupGroups: Handler = (state, request, [subscriptionId = "", resourceGroup = ""]) => ({
  status: 200,
  body: { value: state.groups.list(subscriptionId, resourceGroup).map((group) => renderListed(group, request)) },
});

export const getGroup: Handler = (state, request, params) => {
  const group = requireGroup(state, params);
  return { status: 200, body: render(group, request), region: group.spec.location };
};

export const putGroup: Handler = (state, request, [subscriptionId = "", resourceGroup = "", name = ""]) => {
  const { now } = request;
  const existing = state.groups.get(subscriptionId, resourceGroup, name);
  const requestedLocation = isJsonObject(request.body) && typeof request.body["location"] === "string" ? normalizeLocation(request.body["location"]) : undefined;
  const quotaKey = `${subscriptionId}/${existing?.spec.location ?? requestedLocation ?? ""}`.toLowerCase();
  if (!existing) throwIfRateLimited(state.createLimiter.retryAfterMs(quotaKey, now), "create", subscriptionId, requestedLocation);
  if (existing && isTransitioning(existing, now)) throw containerGroupTransitioning(existing.name);

  const validation = validateContainerGroup(name, request.body, state.service);
  if (!validation.ok) throw validation.error;
  const spec = validation.group;
  if (existing && existing.spec.location !== spec.location) {
    // ARM's wording; whether ACI answers 400 or 409 here is unconfirmed (emulator's choice: 409).
    throw new ArmError(
      409,
      "InvalidResourceLocation",
      `The resource '${existing.name}' already exists in location '${existing.spec.location}' in resource group '${existing.resourceGroup}'. A resource with the same name cannot be created in location '${spec.location}'. Please select a new resource name.`,
    );
  }
  if (!existing) checkQuota(state, subscriptionId, spec);
  const resolve = resolveImages(state, existing?.name ?? name, spec);

  if (!existing) {
    const group: ContainerGroupRecord = {
      subscriptionId,
      resourceGroup,
      name,
      spec,
      tags: { ...spec.tags },
      ...(spec.identity && { identity: withIdentityIds(spec.identity, undefined) }),
      deployment: planDeployment(name, spec, resolve, state.provisioning, now, mountFailureOf(state, spec)),
      ...(isJsonObject(spec.properties["ipAddress"]) && { ip: ipAddressFor(resourceIdOf({ subscriptionId, resourceGroup, name }), spec.properties["ipAddress"]) }),
    };
    state.groups.set(group);
    state.createLimiter.record(quotaKey, now);
    // §4.1: the real service answers a create with 201 and Azure-AsyncOperation, without Location or Retry-After.
    return acceptLongRunning(state, group, request, 201, quotaKey);
  }

  // The emulator's model of an update: a PUT whose properties differ (image, command, environment, resources,
  // volumes...) redeploys the group, so its containers restart with the new spec; a PUT that changes only tags
  // (or nothing) leaves the running deployment alone and its operation reports on that deployment.
  const redeploys = toCanonicalJson(existing.spec.properties) !== toCanonicalJson(spec.properties);
  existing.tags = { ...spec.tags };
  if (spec.identity) existing.identity = withIdentityIds(spec.identity, existing.identity);
  else delete existing.identity;
  existing.spec = spec;
  if (redeploys) {
    existing.deployment.end ??= { at: now, reason: "superseded" };
    existing.deployment = planDeployment(existing.name, spec, resolve, state.provisioning, now, mountFailureOf(state, spec));
    delete existing.stoppedAt;
  }
  return acceptLongRunning(state, existing, request, 200, quotaKey);
};

export const patchGroup: Handler = (state, request, params) => {
  // ContainerGroups_Update: tags only, not an LRO (§3).
  const group = requireGroup(state, params);
  const body = request.body;
  if (!isJsonObject(body)) throw invalidRequestContent("The request body must be a JSON object. Path ''");
  const tags = body["tags"];
  if (tags !== undefined) {
    if (!isJsonObject(tags) || !Object.values(tags).every((value) => typeof value === "string")) {
      throw invalidRequestContent("Unexpected value for 'tags'. Path 'tags'");
    }
    group.tags = { ...(tags as Record<string, string>) };
  }
  return { status: 200, body: render(group, request), region: group.spec.location };
};

export const deleteGroup: Handler = (state, request, params) => {
  const [subscriptionId = "", resourceGroup = "", name = ""] = params;
  const group = state.groups.get(subscriptionId, resourceGroup, name);
  if (!group) return { status: 204 }; // §3: 204 when the group does not exist
  if (isTransitioning(group, request.now)) throw containerGroupTransitioning(group.name);
  const quotaKey = `${subscriptionId}/${group.spec.location}`.toLowerCase();
  throwIfRateLimited(state.deleteLimiter.retryAfterMs(quotaKey, request.now), "delete", subscriptionId, group.spec.location);

  if (state.asyncDeleteMs !== undefined) {
    // The spec's other answer: accepted, still there until the deletion completes.
    group.deployment.end ??= { at: request.now, reason: "deleted" };
    group.removeAt ??= request.now + state.asyncDeleteMs;
    state.deleteLimiter.record(quotaKey, request.now);
    return { status: 202, headers: { "Azure-AsyncOperation": createOperation(state, group, request.now) }, region: group.spec.location };
  }
  const body = render(group, request);
  group.deployment.end ??= { at: request.now, reason: "deleted" };
  state.groups.delete(group);
  state.deleteLimiter.record(quotaKey, request.now);
  // §4.1: the real service deletes synchronously and answers 200 with the full group body.
  return { status: 200, body, headers: remainingHeaders(state.deleteLimiter.remaining(quotaKey, request.now)), region: group.spec.location };
};

export const restartGroup: Handler = (state, request, params) => {
  const group = requireMutableGroup(state, request, params);
  redeploy(state, group, request.now);
  // Spec: 204 for this LRO; the emulator adds Azure-AsyncOperation so `beginRestartAndWait` waits for the new deployment.
  return { status: 204, headers: { "Azure-AsyncOperation": createOperation(state, group, request.now) }, region: group.spec.location };
};

export const startGroup: Handler = (state, request, params) => {
  const group = requireMutableGroup(state, request, params);
  // Only a stopped group starts again; on any other group start is a no-op whose operation reports the current
  // deployment (§8 advises "stop before start" for a finished job group; emulator's reading of it).
  if (group.stoppedAt !== undefined) redeploy(state, group, request.now);
  return { status: 202, headers: { "Azure-AsyncOperation": createOperation(state, group, request.now) }, region: group.spec.location };
};

export const stopGroup: Handler = (state, request, params) => {
  const group = requireMutableGroup(state, request, params);
  group.stoppedAt ??= request.now;
  group.deployment.end ??= { at: request.now, reason: "stopped" };
  return { status: 204, region: group.spec.location }; // §12: stop accepts 204 only; not an LRO
};

export const listLogs: Handler = (state, request, [subscriptionId = "", resourceGroup = "", name = "", containerName = ""]) => {
  const group = requireGroup(state, [subscriptionId, resourceGroup, name]);
  const view = viewGroup(group, request.now);
  const containerView = [...view.containers, ...view.initContainers].find((container) => container.name === containerName.toLowerCase());
  const plan = [...group.deployment.containers, ...group.deployment.initContainers].find((container) => container.name === containerName.toLowerCase());
  if (!containerView || !plan) {
    throw new ArmError(404, "ContainerNotFound", `The container '${containerName}' is not found in container group '${group.name}'.`); // emulator's choice
  }
  if (!containerView.logWindow) {
    // §7: the code is real, its HTTP status is unconfirmed (a 4xx); the emulator uses 400.
    throw new ArmError(
      400,
      "ContainerLogNotAvailable",
      `The logs of container '${containerView.name}' in container group '${group.name}' are not available because the container has not started.`,
    );
  }
  const tail = parseTail(request.query.get("tail"));
  const timestamps = request.query.get("timestamps")?.toLowerCase() === "true";
  const content = readContainerLogs(plan.script.lines, containerView.logWindow, request.now, { ...(tail !== undefined && { tail }), timestamps });
  return { status: 200, body: { content }, region: group.spec.location };
};

export const listOutboundDependencies: Handler = (state, _request, params) => {
  const group = requireGroup(state, params);
  return { status: 200, body: [], region: group.spec.location }; // §3: documented as always empty
};

export const getOperation: Handler = (state, request, [, location = "", operationId = ""]) => {
  const operation = state.operations.get(operationId.toLowerCase());
  if (!operation) throw new ArmError(404, "OperationNotFound", `The operation '${operationId}' was not found.`); // emulator's choice
  const { status, view } = operationStatusOf(operation, request.now);
  const events = status === "Succeeded" || status === "Failed" ? view.containers.flatMap((container) => container.instanceView?.events ?? []) : [];
  const error =
    status === "Failed"
      ? view.operationError
      : status === "Canceled"
        ? { code: "OperationCanceled", message: "The operation was canceled because another operation superseded it or the container group was deleted or stopped." }
        : undefined;
  // §4.1: the body the real service polls back, the group's resource id as `id`.
  return {
    status: 200,
    body: { id: operation.resourceId, status, startTime: formatIsoTicks(operation.startedAt), properties: { events }, ...(error && { error }) },
    region: normalizeLocation(location),
  };
};

export const listUsages: Handler = (state, _request, [subscriptionId = "", location = ""]) => {
  const region = normalizeLocation(location);
  const groups = state.groups.inRegion(subscriptionId, region);
  const usage = (name: string, localizedValue: string, currentValue: number, limit: number): JsonObject => ({
    id: `/subscriptions/${subscriptionId}/providers/Microsoft.ContainerInstance/locations/${region}/usages/${name}`,
    unit: "Count",
    currentValue,
    limit,
    name: { value: name, localizedValue },
  });
  return {
    status: 200,
    body: {
      value: [
        usage("ContainerGroups", "Container Groups", groups.length, GROUP_QUOTA),
        usage("StandardCores", "Standard Cores", Math.ceil(coresOf(groups.filter((group) => group.spec.priority !== "Spot"))), CORE_QUOTA),
        usage("StandardSpotCores", "Standard Spot Cores", Math.ceil(coresOf(groups.filter((group) => group.spec.priority === "Spot"))), state.quotas.spotCores),
      ],
    },
    region,
  };
};

/** Operation status: a deployment that ended before it settled (superseded, deleted, stopped) reports Canceled. */
export function operationStatusOf(operation: OperationRecord, now: number): { status: DeploymentView["operationStatus"] | "Canceled"; view: DeploymentView } {
  const { deployment } = operation;
  const at = deployment.end ? Math.min(now, deployment.end.at) : now;
  const view = computeDeploymentView(deployment, at);
  if (deployment.end && !isSettled(view)) return { status: "Canceled", view };
  return { status: view.operationStatus, view };
}

function render(group: ContainerGroupRecord, request: ArmRequest): JsonObject {
  return renderContainerGroup(group, viewGroup(group, request.now), { includeInstanceView: true, apiVersion: request.apiVersion });
}

function renderListed(group: ContainerGroupRecord, request: ArmRequest): JsonObject {
  // §3: list operations do not return instance views.
  return renderContainerGroup(group, viewGroup(group, request.now), { includeInstanceView: false, apiVersion: request.apiVersion });
}

function acceptLongRunning(state: EmulatorState, group: ContainerGroupRecord, request: ArmRequest, status: 200 | 201, quotaKey: string): ArmResponse {
  return {
    status,
    body: render(group, request),
    headers: {
      "Azure-AsyncOperation": createOperation(state, group, request.now),
      ...remainingHeaders(state.createLimiter.remaining(quotaKey, request.now)),
    },
    region: group.spec.location,
  };
}

function createOperation(state: EmulatorState, group: ContainerGroupRecord, now: number): string {
  const id = randomUUID();
  state.operations.set(id, { id, resourceId: resourceIdOf(group), startedAt: now, deployment: group.deployment });
  // §4.1/§4.2: absolute URL on the emulator's own origin, with the operations api-version of the real service.
  return `${state.origin}/subscriptions/${group.subscriptionId}/providers/Microsoft.ContainerInstance/locations/${group.spec.location}/operations/${id}?api-version=2018-06-01`;
}

function redeploy(state: EmulatorState, group: ContainerGroupRecord, now: number): void {
  const resolve = resolveImages(state, group.name, group.spec);
  group.deployment.end ??= { at: now, reason: "superseded" };
  group.deployment = planDeployment(group.name, group.spec, resolve, state.provisioning, now, mountFailureOf(state, group.spec));
  delete group.stoppedAt;
}

function requireGroup(state: EmulatorState, [subscriptionId = "", resourceGroup = "", name = ""]: readonly string[]): ContainerGroupRecord {
  const group = state.groups.get(subscriptionId, resourceGroup, name);
  if (!group) throw resourceNotFound(resourceGroup, name);
  return group;
}

function requireMutableGroup(state: EmulatorState, request: ArmRequest, params: readonly string[]): ContainerGroupRecord {
  const group = requireGroup(state, params);
  if (isTransitioning(group, request.now)) throw containerGroupTransitioning(group.name);
  return group;
}

/** In flight: within `transitioningMs` after the current deployment was accepted (by default, until it has provisioned). */
function isTransitioning(group: ContainerGroupRecord, now: number): boolean {
  const { deployment } = group;
  return deployment.end === undefined && now < deployment.acceptedAt + deployment.transitioningMs;
}

function throwIfRateLimited(retryAfterMs: number, kind: "create" | "delete", subscriptionId: string, location: string | undefined): void {
  if (retryAfterMs <= 0) return;
  const seconds = Math.ceil(retryAfterMs / 1000);
  // §10/§11: ACI's create and delete quotas surface as 429 with Retry-After; the message is the emulator's.
  throw new ArmError(
    429,
    "TooManyRequests",
    `The container group ${kind} rate limit (100 per 5 minutes, 300 per hour) of subscription '${subscriptionId}' in region '${location ?? ""}' is exhausted. Please retry after ${seconds} seconds.`,
    { "Retry-After": String(seconds) },
  );
}

function checkQuota(state: EmulatorState, subscriptionId: string, spec: ValidatedGroup): void {
  const groups = state.groups.inRegion(subscriptionId, spec.location);
  // §8: synchronous 400 ContainerGroupQuotaReached with this message shape; quota names from §8 and §10.
  const exceeded = (quotaName: string, limit: number, usage: number, requested: number): ArmError =>
    new ArmError(
      400,
      "ContainerGroupQuotaReached",
      `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota '${quotaName}' exceeded in region '${spec.location}'. Limit: '${limit}', Usage: '${usage}' Requested: '${requested}'.`,
    );
  if (groups.length + 1 > GROUP_QUOTA) throw exceeded("ContainerGroups", GROUP_QUOTA, groups.length, 1);
  if (spec.priority === "Spot") {
    const spotCores = coresOf(groups.filter((group) => group.spec.priority === "Spot"));
    if (spotCores + spec.cpu > state.quotas.spotCores) throw exceeded("StandardSpotCores", state.quotas.spotCores, spotCores, spec.cpu);
  } else {
    const cores = coresOf(groups.filter((group) => group.spec.priority !== "Spot"));
    if (cores + spec.cpu > CORE_QUOTA) throw exceeded("StandardCores", CORE_QUOTA, cores, spec.cpu);
  }
  // GPU SKUs were retired on 14 July 2025 (§10): with the default quota of 0 every GPU request ends here, on the
  // `<SKU>Cores` quota §8 saw for P100. The emulator counts GPUs against it.
  for (const [sku, requested] of gpusBySku([spec])) {
    const used = gpusBySku(groups.map((group) => group.spec)).get(sku) ?? 0;
    const limit = state.quotas.gpus[sku];
    if (used + requested > limit) throw exceeded(`${sku}Cores`, limit, used, requested);
  }
}

function coresOf(groups: readonly ContainerGroupRecord[]): number {
  return groups.reduce((sum, group) => sum + group.spec.cpu, 0);
}

function gpusBySku(specs: readonly ValidatedGroup[]): Map<GpuSku, number> {
  const counts = new Map<GpuSku, number>();
  for (const { gpu } of specs.flatMap((spec) => spec.containers)) if (gpu) counts.set(gpu.sku, (counts.get(gpu.sku) ?? 0) + gpu.count);
  return counts;
}

/** Registries anyone can pull from without credentials. */
const PUBLIC_REGISTRIES = new Set(["index.docker.io", "mcr.microsoft.com"]);

/**
 * Whether ACI could pull `image` with the group's credentials. Docker Hub, mcr.microsoft.com and registries declared
 * with anonymous pull need none; any other registry needs an `imageRegistryCredentials` entry for its server, which a
 * declared registry checks (login or identity) and an undeclared one takes on trust.
 */
function canPull(state: EmulatorState, spec: ValidatedGroup, image: string): boolean {
  const server = parseImageReference(image).registry.toLowerCase();
  const registry = state.registries.get(server);
  if (PUBLIC_REGISTRIES.has(server) || registry?.anonymousPull) return true;
  const credentials = spec.registryCredentials.filter((credential) => credential.server.toLowerCase() === server);
  if (registry === undefined) return credentials.length > 0;
  return credentials.some((credential) =>
    credential.identity !== undefined
      ? (registry.identities ?? []).some((id) => id.toLowerCase() === credential.identity?.toLowerCase())
      : (registry.logins ?? []).some((login) => login.username === credential.username && login.password === credential.password),
  );
}

/**
 * The first Azure Files volume of a declared storage account that would not mount, as the mount's output; the
 * wrong-key text is ContainerGroupsGet_Failed.json's, the missing-share text the Linux CIFS client's.
 */
function mountFailureOf(state: EmulatorState, spec: ValidatedGroup): string | undefined {
  for (const volume of spec.azureFiles) {
    const account = state.storageAccounts.get(volume.storageAccountName.toLowerCase());
    if (account === undefined) continue;
    if (volume.storageAccountKey !== account.key) return "Output: mount error(2): Permission denied";
    if (!account.shares.includes(volume.shareName)) return "Output: mount error(2): No such file or directory";
  }
  return undefined;
}

/**
 * Every image must be pullable with the group's credentials and known (scripted or built in); otherwise the PUT
 * fails synchronously (§8 InaccessibleImage, whose message blames "the image and registry credential" either way).
 */
function resolveImages(state: EmulatorState, groupName: string, spec: ValidatedGroup): (container: ContainerSpec) => ResolvedBehaviour {
  const resolved = new Map<string, ResolvedBehaviour>();
  const inaccessible = new Map<string, string>();
  for (const container of [...spec.initContainers, ...spec.containers]) {
    const pullable = canPull(state, spec, container.image);
    const behaviour = pullable ? state.behaviours.resolve(container.image, container.command) : undefined;
    if (behaviour) resolved.set(container.name, behaviour);
    else if (!inaccessible.has(container.image)) {
      inaccessible.set(
        container.image,
        pullable
          ? unknownImageMessage(container.image, groupName)
          : `The image '${container.image}' in container group '${groupName}' is not accessible. Please check the image and registry credential.`,
      );
    }
  }
  const messages = [...inaccessible.values()];
  const [onlyMessage] = messages;
  if (messages.length === 1 && onlyMessage !== undefined) throw new ArmError(400, "InaccessibleImage", onlyMessage);
  if (messages.length > 1) {
    // §8: several failures are wrapped in MultipleErrorsOccurred.
    throw new ArmError(400, "MultipleErrorsOccurred", `Multiple error occurred: ${messages.map((message) => `'BadRequest':'InaccessibleImage':'${message}'`).join(";")}.`);
  }
  return (container) => {
    const behaviour = resolved.get(container.name);
    if (!behaviour) throw new Error(`No behaviour resolved for container '${container.name}'.`);
    return behaviour;
  };
}

/** Fills the read-only ids the service adds to identities (§5), keeping ids the group already had. */
function withIdentityIds(identity: JsonObject, previous: JsonObject | undefined): JsonObject {
  const type = typeof identity["type"] === "string" ? identity["type"] : "None";
  const result: JsonObject = { type };
  if (type.includes("SystemAssigned")) {
    result["principalId"] = typeof previous?.["principalId"] === "string" ? previous["principalId"] : randomUUID();
    result["tenantId"] = EMULATOR_TENANT_ID;
  }
  const assigned = identity["userAssignedIdentities"];
  if (type.includes("UserAssigned") && isJsonObject(assigned)) {
    const previousAssigned = isJsonObject(previous?.["userAssignedIdentities"]) ? previous["userAssignedIdentities"] : {};
    result["userAssignedIdentities"] = Object.fromEntries(
      Object.keys(assigned).map((resourceId) => {
        const known = previousAssigned[resourceId];
        return [resourceId, isJsonObject(known) ? known : { principalId: randomUUID(), clientId: randomUUID() }];
      }),
    );
  }
  return result;
}

/** A stable made-up address per group: public groups get one in 20.0.0.0/8, private ones in 10.0.0.0/16. */
function ipAddressFor(resourceId: string, ipAddress: JsonObject): string {
  const [a = 0, b = 0, c = 0] = createHash("sha256").update(resourceId.toLowerCase()).digest();
  return ipAddress["type"] === "Private" ? `10.0.${a}.${(b % 254) + 1}` : `20.${a}.${b}.${(c % 254) + 1}`;
}

function parseTail(value: string | null): number | undefined {
  if (value === null) return undefined;
  const tail = Number(value);
  if (!Number.isInteger(tail) || tail < 0) throw invalidRequestContent(`Could not convert '${value}' to a non-negative integer. Path 'tail'`);
  return tail;
}

function remainingHeaders(remaining: Record<string, number>): Record<string, string> {
  // §11: real PUT and DELETE responses report the ACI create/delete quotas left in these headers.
  return Object.fromEntries(
    Object.entries(remaining).map(([label, value]) => [`x-ms-ratelimit-remaining-subscription-resource-requests-${label}`, String(value)]),
  );
}
