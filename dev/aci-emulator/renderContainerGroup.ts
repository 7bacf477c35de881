/**
 * @module
 * The wire JSON of a container group: the stored spec with secrets stripped and read-only state added
 * (aci-rest-api.md §5 "Response conventions"; shapes of ContainerGroupsGet_*.json and ContainerGroupsCreateOrUpdate.json).
 */
import type { ContainerView, DeploymentView } from "./computeDeploymentView";
import { resourceIdOf, type ContainerGroupRecord } from "./ContainerGroupStore";
import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from "./json";

export interface RenderOptions {
  /** GET and PUT/DELETE bodies carry instance views; list results do not (§3). */
  readonly includeInstanceView: boolean;
  readonly apiVersion: string;
}

/** api-versions whose schema has `isCreatedFromStandbyPool` (§5: newer than 2023-05-01). */
const STANDBY_POOL_API_VERSIONS = new Set(["2025-09-01", "2026-05-01"]);

export function renderContainerGroup(group: ContainerGroupRecord, view: DeploymentView, options: RenderOptions): JsonObject {
  const properties = stripSecrets(group.spec.properties);
  properties["containers"] = withInstanceViews(properties["containers"], view.containers, options);
  properties["initContainers"] = withInstanceViews(properties["initContainers"], view.initContainers, options);
  const ipAddress = properties["ipAddress"];
  if (isJsonObject(ipAddress)) {
    if (group.ip !== undefined) ipAddress["ip"] ??= group.ip;
    const label = ipAddress["dnsNameLabel"];
    if (typeof label === "string") ipAddress["fqdn"] = `${label}.${group.spec.location}.azurecontainer.io`;
  }
  properties["provisioningState"] = view.provisioningState;
  if (options.includeInstanceView) properties["instanceView"] = { events: toJson(view.groupEvents), state: view.groupState };
  if (STANDBY_POOL_API_VERSIONS.has(options.apiVersion)) properties["isCreatedFromStandbyPool"] = false;
  return {
    id: resourceIdOf(group),
    name: group.name,
    type: "Microsoft.ContainerInstance/containerGroups",
    location: group.spec.location,
    ...(Object.keys(group.tags).length > 0 && { tags: { ...group.tags } }),
    ...(group.spec.zones && { zones: [...group.spec.zones] }),
    ...(group.identity && { identity: cloneJson(group.identity) }),
    properties,
  };
}

/** Secrets are accepted but never echoed: secureValue, registry password, storage and workspace keys, secret volume contents. */
export function stripSecrets(source: JsonObject): JsonObject {
  const properties = cloneJson(source);
  for (const key of ["containers", "initContainers"]) {
    for (const container of objects(properties[key])) {
      const containerProperties = container["properties"];
      if (!isJsonObject(containerProperties)) continue;
      for (const variable of objects(containerProperties["environmentVariables"])) delete variable["secureValue"];
    }
  }
  for (const credential of objects(properties["imageRegistryCredentials"])) delete credential["password"];
  for (const volume of objects(properties["volumes"])) {
    if (isJsonObject(volume["azureFile"])) delete volume["azureFile"]["storageAccountKey"];
    if (volume["secret"] !== undefined) volume["secret"] = {};
  }
  const diagnostics = properties["diagnostics"];
  const logAnalytics = isJsonObject(diagnostics) ? diagnostics["logAnalytics"] : undefined;
  if (isJsonObject(logAnalytics)) {
    delete logAnalytics["workspaceKey"];
    delete logAnalytics["workspaceResourceId"]; // x-ms-secret in the 2023-05-01 spec
  }
  for (const extension of objects(properties["extensions"])) {
    if (isJsonObject(extension["properties"])) delete extension["properties"]["protectedSettings"];
  }
  return properties;
}

function withInstanceViews(list: JsonValue | undefined, views: readonly ContainerView[], options: RenderOptions): JsonValue {
  if (!Array.isArray(list)) return [];
  return list.map((container, index) => {
    const view = views[index];
    if (!options.includeInstanceView || !isJsonObject(container) || !isJsonObject(container["properties"]) || !view?.instanceView) return container;
    return { ...container, properties: { ...container["properties"], instanceView: toJson(view.instanceView) } };
  });
}

function objects(value: JsonValue | undefined): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
