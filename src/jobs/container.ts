/**
 * @module
 * The container group a run creates: every parameter of Airflow's AzureContainerInstancesOperator
 * (shared/reference/airflow-operator.md §2), checked by ACI's own rules (aci-rest-api.md §5, §9, §10)
 * so a definition ACI would refuse fails at startup, naming the field. Secrets are Key Vault references.
 */
import { z } from "zod";
import { containerGroupNameProblem, environmentVariableNameProblem } from "../aci/names";
import { CONTEXT_VARIABLE_PREFIX, placeholderProblem } from "./runContext";
import { secretKey, secretReferenceSchema, type SecretReference } from "./secretReference";

/** Tag keys aci-jobs sets on every group it creates (src/aci/containerGroup.ts); a job may not set them. */
export const RESERVED_TAG_PREFIX = "aci-jobs-";

const containerGroupName = z.string().superRefine((name, ctx) => {
  const problem = containerGroupNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: `container group name "${name}" ${problem}` });
});

const variableName = z.string().superRefine((name, ctx) => {
  const problem = contextVariableProblem(name) ?? environmentVariableNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: `environment variable "${name}" ${problem}` });
});

/** Variables named like the ones aci-jobs sets on every run (ACI_JOBS_RUN_ID, …) are its own. */
export function contextVariableProblem(name: string): string | undefined {
  return name.toUpperCase().startsWith(CONTEXT_VARIABLE_PREFIX) ? `is reserved: aci-jobs sets the ${CONTEXT_VARIABLE_PREFIX}* variables itself (docs/jobs.md, The run's logical date)` : undefined;
}

/*
 * Size bounds. ACI documents no limit on the count or size of environment variables or command
 * arguments; what bounds them is the request: ARM takes a template of at most 4 MB with each resource
 * definition at most 1 MB ("Resolve errors for job size exceeded", Azure Resource Manager docs), and the
 * container's process gets them through execve(2), which refuses one argument or NAME=value string over
 * 128 KiB (MAX_ARG_STRLEN) and all of them together over a quarter of the stack limit (2 MB by default).
 * The bounds below are ours, well inside all of these, so the whole group stays far under 1 MB and a run's
 * input stays small in Durable's history. Sizes are UTF-8 bytes, as they travel.
 */
/** Environment variables in one container (plain and Key Vault references together). */
export const MAX_ENVIRONMENT_VARIABLES = 100;
/** Bytes of one plain environment value. */
export const MAX_ENVIRONMENT_VALUE_BYTES = 32 * 1024;
/** Bytes of all plain variables together, names included (a Key Vault value is sized by Key Vault). */
export const MAX_ENVIRONMENT_BYTES = 128 * 1024;
/** Arguments of the exec-form command. */
export const MAX_COMMAND_ARGUMENTS = 256;
/** Bytes of all command arguments together. */
export const MAX_COMMAND_BYTES = 64 * 1024;

/** Length of `text` in UTF-8 bytes, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** The exec-form command, bounded in argument count and total size (see the bounds above). */
export const commandSchema = z
  .array(z.string({ message: "each argument must be a string" }), { message: "must be an array of strings (exec form)" })
  .min(1, { message: "must have at least one element" })
  .max(MAX_COMMAND_ARGUMENTS, { message: `may have at most ${MAX_COMMAND_ARGUMENTS} arguments` })
  .refine((args) => args.reduce((sum, arg) => sum + utf8Length(arg), 0) <= MAX_COMMAND_BYTES, {
    message: `may have at most ${MAX_COMMAND_BYTES / 1024} KiB of arguments in all`,
  });

/**
 * Environment variables: a string is a plain value; a Key Vault reference is sent as ACI's secureValue
 * (Airflow's `secured_variables`), never shown by ARM and redacted from captured logs.
 */
const environment = z
  .record(
    variableName,
    z.union([z.string(), secretReferenceSchema], {
      message: 'an environment value is a string, or a Key Vault reference such as keyVaultSecret("db-password") for a secret',
    }),
  )
  .superRefine((variables, ctx) => environmentSizeProblems(variables).forEach((issue) => ctx.addIssue({ code: "custom", ...issue })));

/** Count and size problems of a set of environment variables; values are never quoted. */
export function environmentSizeProblems(variables: Readonly<Record<string, unknown>>): Array<{ path: string[]; message: string }> {
  const names = Object.keys(variables);
  const problems: Array<{ path: string[]; message: string }> = [];
  if (names.length > MAX_ENVIRONMENT_VARIABLES) {
    problems.push({ path: [], message: `at most ${MAX_ENVIRONMENT_VARIABLES} environment variables (this has ${names.length})` });
  }
  let total = 0;
  for (const name of names) {
    const value = variables[name];
    if (typeof value !== "string") continue;
    const bytes = utf8Length(value);
    total += utf8Length(name) + bytes;
    if (bytes > MAX_ENVIRONMENT_VALUE_BYTES) {
      problems.push({ path: [name], message: `an environment value may have at most ${MAX_ENVIRONMENT_VALUE_BYTES / 1024} KiB (this one has ${bytes} bytes)` });
    }
  }
  if (total > MAX_ENVIRONMENT_BYTES) {
    problems.push({ path: [], message: `the plain environment variables may have at most ${MAX_ENVIRONMENT_BYTES / 1024} KiB in all, names included (these have ${total} bytes)` });
  }
  return problems;
}

/** ARM resource id of a user-assigned managed identity. */
const userAssignedIdentityId = z
  .string()
  .regex(/^\/subscriptions\/[^/]+\/resource[Gg]roups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/u, {
    message: "must be the resource id of a user-assigned identity (/subscriptions/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>)",
  });

/** Registry host without a protocol, as ACI wants it (aci-rest-api.md §5: "server (req; no protocol)"). */
const registryServer = z.string().regex(/^(?!https?:\/\/)[A-Za-z0-9.-]+(?::\d+)?$/u, {
  message: "must be a registry host such as myregistry.azurecr.io (no https://, no path)",
});

/**
 * One registry login. With `identity`, ACI pulls with that managed identity (recommended for ACR: no
 * password exists anywhere); otherwise a username and a Key Vault reference for the password.
 */
const registryCredential = z.union(
  [
    z.object({ server: registryServer, identity: userAssignedIdentityId }).strict(),
    z.object({ server: registryServer, username: z.string().min(1), password: secretReferenceSchema }).strict(),
  ],
  {
    message:
      'a registry credential is { server, identity } (a managed identity) or { server, username, password: keyVaultSecret("name") }; a password is never written in a job',
  },
);

// aci-rest-api.md §9: 5-63 lowercase letters, digits and hyphens, no "--", letter or digit at both ends.
const VOLUME_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{3,61}[a-z0-9]$/u;

const volume = z
  .object({
    name: z.string().regex(VOLUME_NAME, {
      message: "a volume name is 5-63 lowercase letters, digits and hyphens, without -- and not starting or ending with a hyphen",
    }),
    /** An Azure Files share; its account key comes from Key Vault. */
    azureFile: z
      .object({
        shareName: z.string().min(3).max(63),
        storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/u, { message: "a storage account name is 3-24 lowercase letters and digits" }),
        storageAccountKey: secretReferenceSchema,
        readOnly: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /** Scratch space shared by the group's containers, gone with the group. */
    emptyDir: z.object({}).strict().optional(),
    /** Files whose contents come from Key Vault secrets (file name → secret). */
    secret: z
      .record(z.string().regex(/^[A-Za-z0-9._-]{1,253}$/u, { message: "a secret file name is letters, digits, '.', '_' and '-'" }), secretReferenceSchema)
      .refine((files) => Object.keys(files).length > 0, { message: "a secret volume needs at least one file" })
      .optional(),
    /** A git repository cloned into the volume when the group starts. */
    gitRepo: z
      .object({ repository: z.string().url(), directory: z.string().min(1).optional(), revision: z.string().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const kinds = (["azureFile", "emptyDir", "secret", "gitRepo"] as const).filter((kind) => spec[kind] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: "custom", message: `volume "${spec.name}" must have exactly one of azureFile, emptyDir, secret or gitRepo (has ${kinds.length === 0 ? "none" : kinds.join(", ")})` });
    }
  });

const volumeMount = z
  .object({
    /** The name of a volume in `volumes`. */
    name: z.string(),
    mountPath: z
      .string()
      .min(1)
      // aci-rest-api.md §5: mountPath must not contain a colon.
      .refine((path) => !path.includes(":"), { message: "a mount path must not contain ':'" }),
    readOnly: z.boolean().default(false),
  })
  .strict();

const port = z
  .object({
    // aci-rest-api.md §9: ports 1-65535.
    port: z.number().int().min(1).max(65535),
    protocol: z.enum(["TCP", "UDP"]).default("TCP"),
  })
  .strict();

// aci-rest-api.md §8/§9: the DNS name label rule, as ACI words it.
const DNS_NAME_LABEL = /^[a-z][a-z0-9-]{3,61}[a-z0-9]$/u;

const ipAddress = z
  .object({
    type: z.enum(["Public", "Private"]).default("Public"),
    /** Ports open on the IP. Omitted: the container's ports (port 80 if it has none, as Airflow does). */
    ports: z.array(port).min(1).max(5).optional(),
    dnsNameLabel: z
      .string()
      .regex(DNS_NAME_LABEL, { message: "a DNS name label is 5-63 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen" })
      .optional(),
    autoGeneratedDomainNameLabelScope: z.enum(["Unsecure", "TenantReuse", "SubscriptionReuse", "ResourceGroupReuse", "Noreuse"]).optional(),
  })
  .strict();

const subnetId = z
  .object({
    id: z.string().regex(/^\/subscriptions\/[^/]+\/resource[Gg]roups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/u, {
      message: "must be the resource id of a subnet (/subscriptions/…/virtualNetworks/<vnet>/subnets/<subnet>)",
    }),
    name: z.string().optional(),
  })
  .strict();

const dnsConfig = z
  .object({
    nameServers: z.array(z.string().min(1)).min(1),
    searchDomains: z.string().optional(),
    options: z.string().optional(),
  })
  .strict();

const diagnostics = z
  .object({
    logAnalytics: z
      .object({
        workspaceId: z.string().uuid({ message: "workspaceId is the workspace's customer id (a GUID)" }),
        workspaceKey: secretReferenceSchema,
        logType: z.enum(["ContainerInsights", "ContainerInstanceLogs"]).optional(),
        metadata: z.record(z.string(), z.string()).optional(),
        workspaceResourceId: z.string().optional(),
      })
      .strict(),
  })
  .strict();

const identity = z
  .object({
    // Airflow's _ensure_identity also accepts "SystemAssigned,UserAssigned" without the space; ARM's value has it.
    type: z.union(
      [
        z.enum(["SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned"]),
        z.literal("SystemAssigned,UserAssigned").transform(() => "SystemAssigned, UserAssigned" as const),
      ],
      { message: 'identity.type must be SystemAssigned, UserAssigned or "SystemAssigned, UserAssigned"' },
    ),
    /** Resource ids of the user-assigned identities (Airflow's `resource_ids`). */
    userAssignedIdentities: z.array(userAssignedIdentityId).default([]),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const needsUserAssigned = spec.type !== "SystemAssigned";
    if (needsUserAssigned && spec.userAssignedIdentities.length === 0) {
      ctx.addIssue({ code: "custom", path: ["userAssignedIdentities"], message: `identity type ${spec.type} needs at least one user-assigned identity` });
    }
    if (!needsUserAssigned && spec.userAssignedIdentities.length > 0) {
      ctx.addIssue({ code: "custom", path: ["userAssignedIdentities"], message: "identity type SystemAssigned takes no user-assigned identities" });
    }
  });

// GPU SKUs of api-version 2023-05-01 (aci-rest-api.md §5). ACI retired its GPU SKUs on 14 July 2025
// (§10); the field exists for parity and for subscriptions that still have GPU quota.
// ACI offered 1, 2 or 4 GPUs per container (the GPU resources article of the ACI docs).
const gpu = z
  .object({
    count: z.union([z.literal(1), z.literal(2), z.literal(4)], { message: "gpu.count must be 1, 2 or 4" }),
    sku: z.enum(["K80", "P100", "V100"], { message: "gpu.sku must be K80, P100 or V100" }),
  })
  .strict();

/** Spot limits (aci-rest-api.md §10): 4 vCPU / 16 GB per group. */
const SPOT_MAX_CPU = 4;
const SPOT_MAX_MEMORY_GB = 16;

/*
 * Resources of the group (one container per group here). At least 1 vCPU and 1 GB: "Allocate a minimum
 * of 1 CPU and 1 GB of memory to a container group" (ACI docs, container-instances-container-groups.md,
 * "Minimum and maximum allocation"). At most 31 vCPU / 240 GB per Standard group (aci-rest-api.md §10).
 * In steps of 0.1: ACI refuses other memory values ("The memory requirement should be times of 0.1 GB",
 * quoted in Azure/azure-cli#7355) and az container create takes both "accurate to one decimal place"
 * (Azure/azure-cli, command_modules/container/_params.py). zod's number already refuses Infinity and NaN.
 */
export const MIN_CPU = 1;
export const MAX_CPU = 31;
export const MIN_MEMORY_GB = 1;
export const MAX_MEMORY_GB = 240;

const inTenths = (value: number) => Math.abs(value * 10 - Math.round(value * 10)) < 1e-9;

/** vCPUs of a group: 1 to 31 in steps of 0.1. */
export const cpuSchema = z
  .number({ message: "cpu must be a number" })
  .min(MIN_CPU, { message: `cpu must be at least ${MIN_CPU} vCPU (ACI's minimum for a container group)` })
  .max(MAX_CPU, { message: `cpu must be at most ${MAX_CPU} vCPU (ACI's maximum for a Standard container group)` })
  .refine(inTenths, { message: "cpu must be a multiple of 0.1 vCPU" });

/** Memory of a group in GB: 1 to 240 in steps of 0.1. */
export const memoryInGBSchema = z
  .number({ message: "memoryInGB must be a number" })
  .min(MIN_MEMORY_GB, { message: `memoryInGB must be at least ${MIN_MEMORY_GB} GB (ACI's minimum for a container group)` })
  .max(MAX_MEMORY_GB, { message: `memoryInGB must be at most ${MAX_MEMORY_GB} GB (ACI's maximum for a Standard container group)` })
  .refine(inTenths, { message: "memoryInGB must be a multiple of 0.1 GB (ACI refuses other values)" });

export const containerSchema = z
  .object({
    /** Fixed container group name (Airflow's `name`). Omit it to get a unique name per run attempt. */
    groupName: containerGroupName.optional(),
    /** Region (Airflow's `region`); defaults to the ACI_REGION setting. */
    region: z.string().regex(/^[a-z0-9]+$/u, { message: "region must be a region name such as eastus" }).optional(),
    image: z.string().trim().min(1, { message: "image is required" }),
    /** vCPUs requested; Airflow's default 1.0. 1 to 31 in steps of 0.1 (see cpuSchema). */
    cpu: cpuSchema.default(1),
    /** Memory in GB; Airflow's default 2.0. 1 to 240 in steps of 0.1 (see memoryInGBSchema). */
    memoryInGB: memoryInGBSchema.default(2),
    /** Exec-form command (Airflow's `command`); omit to run the image's entrypoint. */
    command: commandSchema.optional(),
    gpu: gpu.optional(),
    environment: environment.default({}),
    /** Airflow's `registry_conn_id`, without a stored password: a managed identity or a Key Vault reference. */
    registryCredentials: z.array(registryCredential).default([]),
    volumes: z.array(volume).max(20).default([]),
    volumeMounts: z.array(volumeMount).default([]),
    /** Tags on the container group (Airflow's `tags`), next to the ownership tags aci-jobs adds. */
    tags: z
      .record(
        z.string().min(1).max(512).refine((key) => !key.toLowerCase().startsWith(RESERVED_TAG_PREFIX), { message: `tag names starting with "${RESERVED_TAG_PREFIX}" are reserved for aci-jobs` }),
        z.string().max(256),
      )
      .refine((tags) => Object.keys(tags).length <= 45, { message: "at most 45 tags (ARM allows 50; aci-jobs uses up to 5)" })
      .default({}),
    osType: z.enum(["Linux", "Windows"], { message: "osType must be Linux or Windows" }).default("Linux"),
    /**
     * Airflow's default, Never, is the only policy under which a job's exit ends its run; with OnFailure
     * ACI reruns a failing container in place until it exits 0 or the run's time runs out; with Always
     * the first exit (any code) ends the attempt, as in Airflow. docs/jobs.md explains.
     */
    restartPolicy: z.enum(["Never", "OnFailure", "Always"], { message: "restartPolicy must be Never, OnFailure or Always" }).default("Never"),
    ipAddress: ipAddress.optional(),
    /** Ports the container listens on; 80 when an IP address is requested without ports (as in Airflow). */
    ports: z.array(port).max(5).default([]),
    /** VNet injection (Airflow's `subnet_ids`). */
    subnetIds: z.array(subnetId).max(1, { message: "ACI takes one subnet" }).default([]),
    dnsConfig: dnsConfig.optional(),
    /** Log Analytics (Airflow's `diagnostics`): the full log, beyond ACI's 16 KB / 1,000 lines after stop. */
    diagnostics: diagnostics.optional(),
    /** Regular, or Spot: cheaper, may be evicted, and limited to 4 vCPU / 16 GB without network or GPU. */
    priority: z.enum(["Regular", "Spot"], { message: "priority must be Regular or Spot" }).default("Regular"),
    identity: identity.optional(),
    /** Airflow's fail_if_exists (default true): refuse to start when a group of that name exists. */
    failIfExists: z.boolean().default(true),
  })
  .strict()
  .superRefine((container, ctx) => {
    const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });

    // Placeholders ({{ ds }}, …) are filled in per attempt; one this app does not know is a mistake now, not at 02:00.
    container.command?.forEach((argument, index) => {
      const unknown = placeholderProblem(argument);
      if (unknown) problem(["command", index], unknown);
    });
    for (const [name, value] of Object.entries(container.environment)) {
      const unknown = typeof value === "string" ? placeholderProblem(value) : undefined;
      if (unknown) problem(["environment", name], unknown);
    }

    const declared = new Set<string>();
    container.volumes.forEach((v, index) => {
      if (declared.has(v.name)) problem(["volumes", index, "name"], `volume name "${v.name}" is used twice`);
      declared.add(v.name);
      if (container.osType === "Windows" && (v.azureFile || v.secret || v.gitRepo)) {
        problem(["volumes", index], "Azure Files, secret and gitRepo volumes are available to Linux containers only");
      }
    });
    const paths = new Set<string>();
    container.volumeMounts.forEach((mount, index) => {
      if (!declared.has(mount.name)) problem(["volumeMounts", index, "name"], `mount "${mount.name}" refers to no volume in volumes`);
      if (paths.has(mount.mountPath)) problem(["volumeMounts", index, "mountPath"], `mount path ${mount.mountPath} is used twice`);
      paths.add(mount.mountPath);
    });

    if (container.ipAddress) {
      // Check the ports that will be sent, Airflow's port-80 default included.
      const sent = effectivePorts(container);
      const open = new Set(sent.ipAddress.map((p) => p.port));
      sent.container.forEach((p, index) => {
        if (open.has(p.port)) return;
        if (container.ports.length > 0) problem(["ports", index, "port"], `port ${p.port} is not among ipAddress.ports, so ACI would refuse the group`);
        else problem(["ports"], "the container gets port 80 by default, which ipAddress.ports does not open; list the container's ports");
      });
      if (container.ipAddress.type === "Private" && container.subnetIds.length === 0) {
        problem(["ipAddress", "type"], "a Private IP address needs subnetIds (the group must be in a virtual network)");
      }
      if (container.ipAddress.type === "Public" && container.subnetIds.length > 0) {
        problem(["ipAddress", "type"], "a group in a virtual network (subnetIds) can only have a Private IP address");
      }
      if (container.ipAddress.dnsNameLabel && container.ipAddress.type !== "Public") {
        problem(["ipAddress", "dnsNameLabel"], "a DNS name label needs a Public IP address");
      }
    }

    const userAssigned = new Set(container.identity?.userAssignedIdentities.map((id) => id.toLowerCase()) ?? []);
    container.registryCredentials.forEach((credential, index) => {
      if ("identity" in credential && !userAssigned.has(credential.identity.toLowerCase())) {
        problem(["registryCredentials", index, "identity"], "the pull identity must also be listed in identity.userAssignedIdentities");
      }
    });

    if (container.gpu && container.osType === "Windows") problem(["gpu"], "GPU resources are available to Linux containers only");

    if (container.priority === "Spot") {
      // Error codes for Spot container creation (Microsoft troubleshooting article): no inbound
      // connectivity, no GPU; aci-rest-api.md §10: at most 4 vCPU / 16 GB.
      if (container.ipAddress || container.subnetIds.length > 0) problem(["priority"], "Spot container groups cannot have an IP address or a subnet (SpotPriorityContainerGroupNotSupportedForInboundConnectivity)");
      if (container.gpu) problem(["priority"], "Spot container groups cannot have GPUs (SpotPriorityContainerGroupWithGPUResourcesNotSupported)");
      if (container.cpu > SPOT_MAX_CPU) problem(["cpu"], `Spot container groups get at most ${SPOT_MAX_CPU} vCPU`);
      if (container.memoryInGB > SPOT_MAX_MEMORY_GB) problem(["memoryInGB"], `Spot container groups get at most ${SPOT_MAX_MEMORY_GB} GB`);
    }
  });

export type ContainerDefinition = z.input<typeof containerSchema>;
export type ContainerSpec = z.output<typeof containerSchema>;
export type VolumeSpec = ContainerSpec["volumes"][number];
export type RegistryCredentialSpec = ContainerSpec["registryCredentials"][number];
export type PortSpec = ContainerSpec["ports"][number];

/**
 * The container's ports and the IP's ports after Airflow's default: an IP address without ports means
 * port 80. ACI needs every container port to be open on the IP (aci-rest-api.md §15.2).
 */
export function effectivePorts(container: ContainerSpec): { container: PortSpec[]; ipAddress: PortSpec[] } {
  if (!container.ipAddress) return { container: [...container.ports], ipAddress: [] };
  const containerPorts = container.ports.length > 0 ? [...container.ports] : [{ port: 80, protocol: "TCP" as const }];
  return { container: containerPorts, ipAddress: container.ipAddress.ports ? [...container.ipAddress.ports] : containerPorts };
}

/** Every Key Vault reference a container definition makes: what the create activity resolves, and what logs are redacted of. */
/** The registry user names of the container's credentials: a password also travels as base64 of `user:password`. */
export function registryUsernamesOf(container: ContainerSpec): string[] {
  return container.registryCredentials.flatMap((credential) => ("username" in credential ? [credential.username] : []));
}

export function secretReferencesOf(container: ContainerSpec): SecretReference[] {
  const references: SecretReference[] = [];
  for (const value of Object.values(container.environment)) if (typeof value !== "string") references.push(value);
  for (const credential of container.registryCredentials) if ("password" in credential) references.push(credential.password);
  for (const v of container.volumes) {
    if (v.azureFile) references.push(v.azureFile.storageAccountKey);
    if (v.secret) references.push(...Object.values(v.secret));
  }
  if (container.diagnostics) references.push(container.diagnostics.logAnalytics.workspaceKey);
  const seen = new Set<string>();
  return references.filter((reference) => !seen.has(secretKey(reference)) && seen.add(secretKey(reference)));
}
