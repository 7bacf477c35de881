/**
 * @module
 * PUT body validation, in the order ACI applies its rules (aci-rest-api.md §5, §9, §10, §15.2). Structural
 * problems use ARM's `InvalidRequestContent`; the codes of the semantic rules are the emulator's choice unless
 * a comment cites a section (the real codes are not documented).
 */
import { ArmError, invalidRequestContent } from "./ArmError";
import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from "./json";

export type RestartPolicy = "Always" | "OnFailure" | "Never";
export type GpuSku = "K80" | "P100" | "V100";

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly cpu: number;
  readonly memoryInGB: number;
  readonly gpu?: { readonly count: number; readonly sku: GpuSku };
}

export interface RegistryCredentialSpec {
  readonly server: string;
  readonly username?: string;
  readonly password?: string;
  readonly identity?: string;
}

export interface AzureFileSpec {
  readonly volumeName: string;
  readonly shareName: string;
  readonly storageAccountName: string;
  readonly storageAccountKey?: string;
}

/** What the emulator knows about the service it imitates: where ACI (and ACI Spot) can run. */
export interface ServiceRules {
  readonly regions: ReadonlySet<string>;
  readonly spotRegions: ReadonlySet<string>;
}

export interface ValidatedGroup {
  /** Normalised the ARM way: lower case, no spaces (`West US` → `westus`). */
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly zones?: readonly string[];
  readonly identity?: JsonObject;
  readonly restartPolicy: RestartPolicy;
  readonly osType: "Linux" | "Windows";
  readonly sku: string;
  readonly priority: "Regular" | "Spot";
  readonly containers: readonly ContainerSpec[];
  readonly initContainers: readonly ContainerSpec[];
  readonly cpu: number;
  readonly memoryInGB: number;
  readonly registryCredentials: readonly RegistryCredentialSpec[];
  readonly azureFiles: readonly AzureFileSpec[];
  /** The request's `properties` without read-only fields, defaults filled in, secrets still present. */
  readonly properties: JsonObject;
}

export type GroupValidation = { readonly ok: true; readonly group: ValidatedGroup } | { readonly ok: false; readonly error: ArmError };

// aci-rest-api.md §9 (Azure templates reference; the CAF regex ^(?!-.*)(?!.*-$)(?!.*-{2}.*)[a-z0-9-]{1,63}$).
const GROUP_NAME = /^(?!-)(?!.*-$)(?!.*--)[a-z0-9-]{1,63}$/u;
const CONTAINER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/u;
const ENVIRONMENT_VARIABLE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_]{0,61}[A-Za-z0-9])?$/u;
const VOLUME_NAME = /^(?!.*--)[a-z0-9](?:[a-z0-9-]{3,61}[a-z0-9])$/u;
const DNS_NAME_LABEL = /^[a-z][a-z0-9-]{3,61}[a-z0-9]$/u;

// aci-rest-api.md §10: hard limits and the Standard per-group maximum.
const MAX_CONTAINERS = 60;
const MAX_VOLUMES = 20;
const MAX_PORTS_PER_IP = 5;
const MAX_GROUP_CPU = 31;
const MAX_GROUP_MEMORY_GB = 240;

const RESTART_POLICIES: readonly RestartPolicy[] = ["Always", "OnFailure", "Never"];
const OS_TYPES = ["Linux", "Windows"];
const IP_ADDRESS_TYPES = ["Public", "Private"];
const PROTOCOLS = ["TCP", "UDP"];
const SKUS = ["Standard", "Dedicated", "Confidential"];
const PRIORITIES = ["Regular", "Spot"];
const GPU_SKUS: readonly GpuSku[] = ["K80", "P100", "V100"];
/** The GPU counts ACI offered per container (container-instances-gpu.md, before the July 2025 retirement). */
const GPU_COUNTS = [1, 2, 4];
/** aci-rest-api.md §10: a Spot group gets at most 4 vCPU and 16 GB. */
const MAX_SPOT_CPU = 4;
const MAX_SPOT_MEMORY_GB = 16;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/u;

/**
 * Regions that offer Microsoft.ContainerInstance/containerGroups (the region-availability article, public
 * cloud, Linux; the emulator's snapshot, configurable with the `regions` option).
 */
export const ACI_REGIONS: readonly string[] = [
  "australiaeast", "australiasoutheast", "brazilsouth", "canadacentral", "canadaeast", "centralindia", "centralus",
  "eastasia", "eastus", "eastus2", "francecentral", "germanywestcentral", "israelcentral", "italynorth", "japaneast",
  "japanwest", "koreacentral", "mexicocentral", "northcentralus", "northeurope", "norwayeast", "polandcentral",
  "qatarcentral", "southafricanorth", "southcentralus", "southeastasia", "southindia", "spaincentral", "swedencentral",
  "switzerlandnorth", "uaenorth", "uksouth", "ukwest", "westcentralus", "westeurope", "westus", "westus2", "westus3",
];
/** aci-rest-api.md §10: Spot container groups (preview) run only in East US 2, West Europe and West US. */
export const SPOT_REGIONS: readonly string[] = ["eastus2", "westeurope", "westus"];
export const DEFAULT_SERVICE_RULES: ServiceRules = { regions: new Set(ACI_REGIONS), spotRegions: new Set(SPOT_REGIONS) };

export function isValidGroupName(name: string): boolean {
  return GROUP_NAME.test(name);
}

/** The group name rule (§9). Code `InvalidContainerGroupName` is unconfirmed (§8), so it is the emulator's choice. */
export function invalidGroupName(name: string): ArmError {
  return new ArmError(
    400,
    "InvalidContainerGroupName",
    `The container group name '${name}' is invalid. A container group name must be between 1 and 63 characters long, contain only lowercase letters, numbers and hyphens, start and end with a lowercase letter or number, and cannot contain consecutive hyphens.`,
  );
}

export function normalizeLocation(location: string): string {
  return location.replace(/\s+/gu, "").toLowerCase();
}

export function validateContainerGroup(groupName: string, body: unknown, rules: ServiceRules = DEFAULT_SERVICE_RULES): GroupValidation {
  try {
    const group = readGroup(groupName, body, rules);
    checkServiceRules(groupName, group, rules);
    return { ok: true, group };
  } catch (error) {
    if (error instanceof ArmError) return { ok: false, error };
    throw error;
  }
}

function readGroup(groupName: string, body: unknown, rules: ServiceRules): ValidatedGroup {
  if (!isValidGroupName(groupName)) throw invalidGroupName(groupName);
  if (!isJsonObject(body)) throw invalidRequestContent("The request body must be a JSON object. Path ''");
  const location = body["location"];
  // ARM's own code and message for a tracked resource without a location.
  if (typeof location !== "string" || location.trim() === "") {
    throw new ArmError(400, "LocationRequired", "The location property is required for this definition.");
  }
  if (!rules.regions.has(normalizeLocation(location))) {
    // ARM's code and wording for a region the resource type is not offered in (seen for ACI in Azure/acr#406).
    throw new ArmError(
      400,
      "LocationNotAvailableForResourceType",
      `The provided location '${location}' is not available for resource type 'Microsoft.ContainerInstance/containerGroups'. List of available regions for the resource type is '${[...rules.regions].join(",")}'.`,
    );
  }
  const tags = readTags(body["tags"]);
  const zones = optionalStringArray(body["zones"], "zones");
  const identity = body["identity"];
  if (identity !== undefined && !isJsonObject(identity)) throw invalidRequestContent("Unexpected value for 'identity'. Path 'identity'");

  const rawProperties = body["properties"];
  if (!isJsonObject(rawProperties)) throw requiredProperty("properties", "");
  const properties = withoutReadOnlyFields(cloneJson(rawProperties));

  const osType = properties["osType"];
  if (osType === undefined) throw requiredProperty("osType", "properties"); // required in 2023-05-01 (§5)
  requireEnum(osType, OS_TYPES, "properties.osType");
  const restartPolicy = properties["restartPolicy"] === undefined ? "Always" : requireEnum(properties["restartPolicy"], RESTART_POLICIES, "properties.restartPolicy");
  const sku = properties["sku"] === undefined ? "Standard" : requireEnum(properties["sku"], SKUS, "properties.sku");
  const priority = properties["priority"];
  if (priority !== undefined && (typeof priority !== "string" || !PRIORITIES.includes(priority))) {
    // "Error codes for Spot container creation" (Microsoft troubleshooting article): code and message.
    throw new ArmError(400, "PriorityNotSpecified", `The 'Priority' must be one of 'Regular,Spot' for container group '${groupName}'.`);
  }

  const { names: volumeNames, azureFiles } = readVolumes(properties["volumes"]);
  const containerList = properties["containers"];
  if (containerList === undefined) throw requiredProperty("containers", "properties");
  if (!Array.isArray(containerList) || containerList.length === 0) {
    throw new ArmError(400, "InvalidContainerGroupContainers", `The container group '${groupName}' must have at least one container.`);
  }
  if (containerList.length > MAX_CONTAINERS) {
    throw new ArmError(400, "TooManyContainers", `The container group '${groupName}' has ${containerList.length} containers. The maximum is ${MAX_CONTAINERS}.`);
  }
  const containers = containerList.map((entry, index) => readContainer(entry, `properties.containers[${index}]`, volumeNames, true));
  const initList = properties["initContainers"] ?? [];
  if (!Array.isArray(initList)) throw invalidRequestContent("Unexpected value for 'initContainers'. Path 'properties.initContainers'");
  const initContainers = initList.map((entry, index) => readContainer(entry, `properties.initContainers[${index}]`, volumeNames, false));
  requireUniqueNames(groupName, [...containers, ...initContainers]);

  const registryCredentials = readImageRegistryCredentials(properties["imageRegistryCredentials"]);
  readIpAddress(groupName, properties["ipAddress"], containerList);
  readSubnets(groupName, properties["subnetIds"], properties["ipAddress"]);
  readDiagnostics(properties["diagnostics"]);

  const cpu = containers.reduce((sum, container) => sum + container.cpu, 0);
  const memoryInGB = containers.reduce((sum, container) => sum + container.memoryInGB, 0);
  if (cpu > MAX_GROUP_CPU || memoryInGB > MAX_GROUP_MEMORY_GB) {
    throw new ArmError(
      400,
      "ResourceRequestsExceedLimit",
      `The requested resource with '${cpu}' CPU and '${memoryInGB}' GB memory in container group '${groupName}' exceeds the maximum allowed for a Standard container group: '${MAX_GROUP_CPU}' CPU and '${MAX_GROUP_MEMORY_GB}' GB memory.`,
    );
  }

  // §5: the service fills these defaults in its responses.
  properties["initContainers"] = initList;
  properties["sku"] ??= "Standard";
  return {
    location: normalizeLocation(location),
    tags,
    ...(zones && { zones }),
    ...(identity !== undefined && { identity: cloneJson(identity) }),
    restartPolicy,
    osType: osType as "Linux" | "Windows",
    sku,
    priority: priority === "Spot" ? "Spot" : "Regular",
    containers,
    initContainers,
    cpu,
    memoryInGB,
    registryCredentials,
    azureFiles,
    properties,
  };
}

/**
 * Rules the service applies to a well-formed group: GPU, Spot (codes and messages from Microsoft's "Error codes
 * for Spot container creation" article) and registry identities. Quota and image checks need the emulator's
 * state and live in the PUT handler.
 */
function checkServiceRules(groupName: string, group: ValidatedGroup, rules: ServiceRules): void {
  const gpuContainers = group.containers.filter((container) => container.gpu !== undefined);
  if (gpuContainers.length > 0 && group.osType === "Windows") {
    // GPU resources were offered for Linux groups only (container-instances-gpu.md); the code is the emulator's choice.
    throw new ArmError(400, "GpuNotSupportedForOsType", `GPU resources are not supported for container group '${groupName}' with OS type 'Windows'. Only Linux container groups can request GPU resources.`);
  }
  if (group.priority === "Spot") {
    if (group.properties["ipAddress"] !== undefined || group.properties["subnetIds"] !== undefined) {
      throw new ArmError(400, "SpotPriorityContainerGroupNotSupportedForInboundConnectivity", "Spot Priority is not supported for container groups with inbound connectivity.");
    }
    if (group.sku !== "Standard") {
      throw new ArmError(400, "SpotPriorityContainerGroupNotSupportedInSku", `Spot Priority Container Group is not supported in '${group.sku}' Sku.`);
    }
    if (gpuContainers.length > 0) {
      throw new ArmError(400, "SpotPriorityContainerGroupWithGPUResourcesNotSupported", "Spot Priority Container Groups that include containers requesting GPU resources are not supported.");
    }
    if (!rules.spotRegions.has(group.location)) {
      // §10 names the regions; the real code for another region is not documented, so this one is the emulator's.
      throw new ArmError(
        400,
        "SpotPriorityContainerGroupNotSupportedInLocation",
        `Spot Priority Container Group is not supported in location '${group.location}'. Supported locations are '${[...rules.spotRegions].join(",")}'.`,
      );
    }
    if (group.cpu > MAX_SPOT_CPU || group.memoryInGB > MAX_SPOT_MEMORY_GB) {
      throw new ArmError(
        400,
        "ResourceRequestsExceedLimit",
        `The requested resource with '${group.cpu}' CPU and '${group.memoryInGB}' GB memory in container group '${groupName}' exceeds the maximum allowed for a Spot container group: '${MAX_SPOT_CPU}' CPU and '${MAX_SPOT_MEMORY_GB}' GB memory.`,
      );
    }
  }
  const identity = group.identity;
  const assigned = isJsonObject(identity?.["userAssignedIdentities"]) ? Object.keys(identity["userAssignedIdentities"]).map((id) => id.toLowerCase()) : [];
  for (const credential of group.registryCredentials) {
    if (credential.identity !== undefined && !assigned.includes(credential.identity.toLowerCase())) {
      // §8 lists the code (ACI standby-pool troubleshooting guide); the message is the emulator's.
      throw new ArmError(
        400,
        "InvalidImageRegistryIdentity",
        `The identity '${credential.identity}' of the image registry credential for server '${credential.server}' is not a user-assigned identity of container group '${groupName}'.`,
      );
    }
  }
}

function readContainer(entry: JsonValue | undefined, path: string, volumeNames: ReadonlySet<string>, isMain: boolean): ContainerSpec {
  if (!isJsonObject(entry)) throw invalidRequestContent(`Unexpected value for a container. Path '${path}'`);
  const name = entry["name"];
  if (typeof name !== "string") throw requiredProperty("name", path);
  if (!CONTAINER_NAME.test(name)) {
    throw new ArmError(
      400,
      "InvalidContainerName",
      `The container name '${name}' is invalid. A container name must be between 1 and 63 characters long, contain only lowercase letters, numbers and hyphens, and start and end with a lowercase letter or number.`,
    );
  }
  const properties = entry["properties"];
  if (!isJsonObject(properties)) throw requiredProperty("properties", path);
  const image = properties["image"];
  if (typeof image !== "string" || image.trim() === "") throw requiredProperty("image", `${path}.properties`);
  const command = optionalStringArray(properties["command"], `${path}.properties.command`) ?? [];
  properties["command"] = [...command];
  readEnvironmentVariables(properties, `${path}.properties`);
  readVolumeMounts(name, properties["volumeMounts"], volumeNames, `${path}.properties.volumeMounts`);
  if (!isMain) return { name, image, command, cpu: 0, memoryInGB: 0 };

  properties["ports"] = readPorts(properties["ports"], `${path}.properties.ports`);
  const resources = properties["resources"];
  if (!isJsonObject(resources)) throw requiredProperty("resources", `${path}.properties`); // required in 2023-05-01 (§5)
  const requests = resources["requests"];
  if (!isJsonObject(requests)) throw requiredProperty("requests", `${path}.properties.resources`);
  const cpu = requirePositiveNumber(requests["cpu"], "cpu", `${path}.properties.resources.requests`, name);
  const memoryInGB = requirePositiveNumber(requests["memoryInGB"], "memoryInGB", `${path}.properties.resources.requests`, name);
  const gpu = readGpu(requests["gpu"], `${path}.properties.resources.requests.gpu`, name);
  return { name, image, command, cpu, memoryInGB, ...(gpu && { gpu }) };
}

function readGpu(gpu: JsonValue | undefined, path: string, containerName: string): ContainerSpec["gpu"] {
  if (gpu === undefined) return undefined;
  if (!isJsonObject(gpu)) throw invalidRequestContent(`Unexpected value for 'gpu'. Path '${path}'`);
  const count = gpu["count"];
  if (count === undefined) throw requiredProperty("count", path); // both required in 2023-05-01 (§5)
  if (gpu["sku"] === undefined) throw requiredProperty("sku", path);
  const sku = requireEnum(gpu["sku"], GPU_SKUS, `${path}.sku`);
  if (typeof count !== "number" || !Number.isInteger(count)) throw invalidRequestContent(`Could not convert '${String(count)}' to integer. Path '${path}.count'`);
  if (!GPU_COUNTS.includes(count)) {
    throw new ArmError(400, "InvalidGpuCount", `The GPU count '${count}' of container '${containerName}' is invalid. A container can request ${GPU_COUNTS.join(", ")} GPUs.`); // emulator's code
  }
  return { count, sku };
}

function readEnvironmentVariables(properties: JsonObject, path: string): void {
  const variables = properties["environmentVariables"] ?? [];
  if (!Array.isArray(variables)) throw invalidRequestContent(`Unexpected value for 'environmentVariables'. Path '${path}.environmentVariables'`);
  for (const [index, variable] of variables.entries()) {
    if (!isJsonObject(variable) || typeof variable["name"] !== "string") throw requiredProperty("name", `${path}.environmentVariables[${index}]`);
    // §9: 1–63 characters, letters, digits and underscores, underscore neither first nor last.
    if (!ENVIRONMENT_VARIABLE_NAME.test(variable["name"])) {
      throw new ArmError(
        400,
        "InvalidEnvironmentVariableName",
        `The environment variable name '${variable["name"]}' is invalid. It must be between 1 and 63 characters long, contain only letters, numbers and underscores, and start and end with a letter or number.`,
      );
    }
  }
  properties["environmentVariables"] = variables;
}

function readVolumeMounts(containerName: string, mounts: JsonValue | undefined, volumeNames: ReadonlySet<string>, path: string): void {
  if (mounts === undefined) return;
  if (!Array.isArray(mounts)) throw invalidRequestContent(`Unexpected value for 'volumeMounts'. Path '${path}'`);
  for (const [index, mount] of mounts.entries()) {
    if (!isJsonObject(mount) || typeof mount["name"] !== "string") throw requiredProperty("name", `${path}[${index}]`);
    const mountPath = mount["mountPath"];
    if (typeof mountPath !== "string") throw requiredProperty("mountPath", `${path}[${index}]`);
    if (!volumeNames.has(mount["name"])) {
      throw new ArmError(400, "InvalidVolumeMount", `The volume mount '${mount["name"]}' of container '${containerName}' does not refer to a volume defined in the container group.`);
    }
    if (mountPath.includes(":")) {
      // §5: mountPath must not contain a colon.
      throw new ArmError(400, "InvalidVolumeMountPath", `The volume mount path '${mountPath}' of container '${containerName}' is invalid. It must not contain ':'.`);
    }
  }
}

function readVolumes(volumes: JsonValue | undefined): { names: Set<string>; azureFiles: AzureFileSpec[] } {
  const names = new Set<string>();
  const azureFiles: AzureFileSpec[] = [];
  if (volumes === undefined) return { names, azureFiles };
  if (!Array.isArray(volumes)) throw invalidRequestContent("Unexpected value for 'volumes'. Path 'properties.volumes'");
  if (volumes.length > MAX_VOLUMES) throw new ArmError(400, "TooManyVolumes", `The container group has ${volumes.length} volumes. The maximum is ${MAX_VOLUMES}.`);
  for (const [index, volume] of volumes.entries()) {
    const path = `properties.volumes[${index}]`;
    if (!isJsonObject(volume) || typeof volume["name"] !== "string") throw requiredProperty("name", path);
    const name = volume["name"];
    if (!VOLUME_NAME.test(name)) {
      throw new ArmError(
        400,
        "InvalidVolumeName",
        `The volume name '${name}' is invalid. A volume name must be between 5 and 63 characters long, contain only lowercase letters, numbers and hyphens, start and end with a lowercase letter or number, and cannot contain consecutive hyphens.`,
      );
    }
    if (names.has(name)) throw new ArmError(400, "DuplicateVolumeName", `The volume name '${name}' is used more than once in the container group.`);
    names.add(name);
    const azureFile = volume["azureFile"];
    if (azureFile !== undefined) {
      if (!isJsonObject(azureFile) || typeof azureFile["shareName"] !== "string") throw requiredProperty("shareName", `${path}.azureFile`);
      if (typeof azureFile["storageAccountName"] !== "string") throw requiredProperty("storageAccountName", `${path}.azureFile`);
      const key = azureFile["storageAccountKey"];
      azureFiles.push({
        volumeName: name,
        shareName: azureFile["shareName"],
        storageAccountName: azureFile["storageAccountName"],
        ...(typeof key === "string" && { storageAccountKey: key }),
      });
    }
    const gitRepo = volume["gitRepo"];
    if (gitRepo !== undefined && (!isJsonObject(gitRepo) || typeof gitRepo["repository"] !== "string")) throw requiredProperty("repository", `${path}.gitRepo`);
    readSecretVolume(name, volume["secret"], `${path}.secret`);
  }
  return { names, azureFiles };
}

/** §5: a secret volume maps file names to base64 contents; ACI decodes them into the files. */
function readSecretVolume(volumeName: string, secret: JsonValue | undefined, path: string): void {
  if (secret === undefined) return;
  if (!isJsonObject(secret)) throw invalidRequestContent(`Unexpected value for 'secret'. Path '${path}'`);
  for (const [file, content] of Object.entries(secret)) {
    if (typeof content !== "string") throw invalidRequestContent(`Unexpected value for secret file '${file}'. Path '${path}.${file}'`);
    if (!BASE64.test(content)) {
      // The code and message are the emulator's: the documented rule is only that the values are base64.
      throw new ArmError(400, "InvalidSecretVolumeValue", `The value of secret file '${file}' in volume '${volumeName}' must be a base64-encoded string.`);
    }
  }
}

function readDiagnostics(diagnostics: JsonValue | undefined): void {
  if (diagnostics === undefined) return;
  if (!isJsonObject(diagnostics)) throw invalidRequestContent("Unexpected value for 'diagnostics'. Path 'properties.diagnostics'");
  const logAnalytics = diagnostics["logAnalytics"];
  if (logAnalytics === undefined) return;
  const path = "properties.diagnostics.logAnalytics";
  if (!isJsonObject(logAnalytics)) throw invalidRequestContent(`Unexpected value for 'logAnalytics'. Path '${path}'`);
  // §5: workspaceId and workspaceKey are both required.
  if (typeof logAnalytics["workspaceId"] !== "string") throw requiredProperty("workspaceId", path);
  if (typeof logAnalytics["workspaceKey"] !== "string") throw requiredProperty("workspaceKey", path);
  if (logAnalytics["logType"] !== undefined) requireEnum(logAnalytics["logType"], ["ContainerInsights", "ContainerInstanceLogs"], `${path}.logType`);
}

// A subnet id (ARM resource id of Microsoft.Network/virtualNetworks/subnets).
const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/iu;

/**
 * VNet injection: each subnet id must be a subnet's resource id, and a group in a virtual network has
 * no public endpoint (Microsoft's ACI virtual network concepts article: public IP addresses and DNS name
 * labels are not supported there). The codes are the emulator's choice; the real ones are not documented.
 */
function readSubnets(groupName: string, subnetIds: JsonValue | undefined, ipAddress: JsonValue | undefined): void {
  if (subnetIds === undefined) return;
  if (!Array.isArray(subnetIds)) throw invalidRequestContent("Unexpected value for 'subnetIds'. Path 'properties.subnetIds'");
  for (const [index, subnet] of subnetIds.entries()) {
    if (!isJsonObject(subnet) || typeof subnet["id"] !== "string") throw requiredProperty("id", `properties.subnetIds[${index}]`);
    if (!SUBNET_ID.test(subnet["id"])) {
      throw new ArmError(400, "InvalidSubnetId", `The subnet id '${subnet["id"]}' of container group '${groupName}' is not the resource id of a subnet.`);
    }
  }
  if (subnetIds.length > 0 && isJsonObject(ipAddress) && (ipAddress["type"] === "Public" || ipAddress["dnsNameLabel"] !== undefined)) {
    throw new ArmError(
      400,
      "PublicIPAddressNotSupportedInVirtualNetwork",
      `The container group '${groupName}' is deployed to a virtual network, which does not support a public IP address or a DNS name label.`,
    );
  }
}

function readIpAddress(groupName: string, ipAddress: JsonValue | undefined, containers: readonly JsonValue[]): void {
  if (ipAddress === undefined) return;
  if (!isJsonObject(ipAddress)) throw invalidRequestContent("Unexpected value for 'ipAddress'. Path 'properties.ipAddress'");
  if (ipAddress["type"] === undefined) throw requiredProperty("type", "properties.ipAddress");
  requireEnum(ipAddress["type"], IP_ADDRESS_TYPES, "properties.ipAddress.type");
  if (ipAddress["ports"] === undefined) throw requiredProperty("ports", "properties.ipAddress");
  const ports = readPorts(ipAddress["ports"], "properties.ipAddress.ports");
  if (ports.length > MAX_PORTS_PER_IP) {
    throw new ArmError(400, "TooManyPorts", `The IP address of container group '${groupName}' has ${ports.length} ports. The maximum is ${MAX_PORTS_PER_IP}.`);
  }
  const label = ipAddress["dnsNameLabel"];
  if (label !== undefined && (typeof label !== "string" || !DNS_NAME_LABEL.test(label))) {
    // §8: the real message (vscode-spot issue #37); the code is not given.
    throw new ArmError(
      400,
      "InvalidDnsNameLabel",
      `The DNS name label '${String(label)}' in container group '${groupName}' is invalid. It can contain only lowercase letters, numbers and hyphens. The first character must be a letter. The last character must be a letter or number. The value must be between 5 and 63 characters long.`,
    );
  }
  const exposed = new Set(ports.map((port) => port["port"]));
  for (const container of containers) {
    const properties = isJsonObject(container) ? container["properties"] : undefined;
    const containerPorts = isJsonObject(properties) && Array.isArray(properties["ports"]) ? properties["ports"] : [];
    for (const port of containerPorts) {
      const number = isJsonObject(port) ? port["port"] : undefined;
      if (typeof number === "number" && !exposed.has(number)) {
        throw new ArmError(
          400,
          "InvalidContainerPorts",
          `The port '${number}' of container '${String(isJsonObject(container) ? container["name"] : "")}' is not in the ports of the IP address of container group '${groupName}'.`,
        );
      }
    }
  }
}

function readPorts(ports: JsonValue | undefined, path: string): JsonObject[] {
  if (ports === undefined) return [];
  if (!Array.isArray(ports)) throw invalidRequestContent(`Unexpected value for 'ports'. Path '${path}'`);
  return ports.map((port, index) => {
    if (!isJsonObject(port)) throw requiredProperty("port", `${path}[${index}]`);
    const number = port["port"];
    if (number === undefined) throw requiredProperty("port", `${path}[${index}]`);
    // §9: container ports 1–65535.
    if (typeof number !== "number" || !Number.isInteger(number) || number < 1 || number > 65535) {
      throw new ArmError(400, "InvalidPort", `The port '${String(number)}' is invalid. A port must be an integer between 1 and 65535.`);
    }
    if (port["protocol"] !== undefined) requireEnum(port["protocol"], PROTOCOLS, `${path}[${index}].protocol`);
    return port;
  });
}

function readImageRegistryCredentials(credentials: JsonValue | undefined): RegistryCredentialSpec[] {
  if (credentials === undefined) return [];
  if (!Array.isArray(credentials)) throw invalidRequestContent("Unexpected value for 'imageRegistryCredentials'. Path 'properties.imageRegistryCredentials'");
  return credentials.map((credential, index) => {
    if (!isJsonObject(credential) || typeof credential["server"] !== "string") throw requiredProperty("server", `properties.imageRegistryCredentials[${index}]`);
    const text = (key: string): Record<string, string> => (typeof credential[key] === "string" ? { [key]: credential[key] } : {});
    return { server: credential["server"], ...text("username"), ...text("password"), ...text("identity") };
  });
}

function readTags(tags: JsonValue | undefined): Record<string, string> {
  if (tags === undefined || tags === null) return {};
  if (!isJsonObject(tags)) throw invalidRequestContent("Unexpected value for 'tags'. Path 'tags'");
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== "string") throw invalidRequestContent(`Unexpected value for tag '${key}'. Path 'tags.${key}'`);
    result[key] = value;
  }
  return result;
}

function requireUniqueNames(groupName: string, containers: readonly ContainerSpec[]): void {
  const seen = new Set<string>();
  for (const { name } of containers) {
    if (seen.has(name)) throw new ArmError(400, "DuplicateContainerName", `The container name '${name}' is used more than once in container group '${groupName}'.`);
    seen.add(name);
  }
}

function requirePositiveNumber(value: JsonValue | undefined, name: string, path: string, containerName: string): number {
  if (value === undefined) throw requiredProperty(name, path);
  if (typeof value !== "number") throw invalidRequestContent(`Could not convert '${String(value)}' to double. Path '${path}.${name}'`);
  if (!(value > 0)) {
    throw new ArmError(400, "InvalidResourceRequests", `The '${name}' request of container '${containerName}' must be greater than zero.`);
  }
  return value;
}

function requireEnum<T extends string>(value: JsonValue | undefined, allowed: readonly T[], path: string): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalidRequestContent(`Error converting value ${JSON.stringify(value)} to one of ${allowed.map((a) => `'${a}'`).join(", ")}. Path '${path}'`);
}

function optionalStringArray(value: JsonValue | undefined, path: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw invalidRequestContent(`Unexpected value for an array of strings. Path '${path}'`);
  }
  return value as string[];
}

function requiredProperty(name: string, path: string): ArmError {
  return invalidRequestContent(`Required property '${name}' not found in JSON. Path '${path}'`);
}

/** Read-only fields a client may echo back from a GET; the service ignores them. */
function withoutReadOnlyFields(properties: JsonObject): JsonObject {
  delete properties["provisioningState"];
  delete properties["instanceView"];
  delete properties["isCreatedFromStandbyPool"];
  for (const key of ["containers", "initContainers"]) {
    const list = properties[key];
    if (!Array.isArray(list)) continue;
    for (const container of list) {
      if (isJsonObject(container) && isJsonObject(container["properties"])) delete container["properties"]["instanceView"];
    }
  }
  const ipAddress = properties["ipAddress"];
  if (isJsonObject(ipAddress)) delete ipAddress["fqdn"];
  return properties;
}
