// Checks the compiled ARM template (infra/main.bicep built by dev/infra/bicep.sh) against the code:
// the app settings match the one list of settings in src/config.ts, no setting holds a key or a secret,
// the app's only right on the jobs resource group is a custom role limited to container groups, and the
// parameters azd maps (the Key Vault operator's type, the deployer's data access, the Flex Consumption regions)
// reach the assignments they govern, and the run state container is declared as the code names it.
// test/infra/azd.test.ts checks the azd side (azure.yaml, hooks, workflow); test/infra/alerts.test.ts the alerts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SETTINGS } from "../../src/config.js";
import { RUN_STATE_CONTAINER } from "../../src/runs/runStateContainer.js";
import {
  ROOT,
  collect,
  compiledTemplate,
  resourcesOf,
  type ArmParameter,
  type ArmResource,
  type ArmTemplate,
  type DeploymentProperties,
  type Located,
} from "./armTemplate.js";

/** Settings read by the Functions host, the Durable extension, Application Insights or @azure/identity. */
const PLATFORM_SETTING = [
  /^FUNCTIONS_/u,
  /^AzureWebJobs/u,
  /^APPLICATIONINSIGHTS_/u,
  /^WEBSITE_/u,
  /^AZURE_CLIENT_ID$/u,
  /^AZURE_TOKEN_CREDENTIALS$/u,
];

const CONTAINER_GROUPS = "Microsoft.ContainerInstance/containerGroups/";

/** What the activities do: create (PUT), read state (GET, list), read logs, delete. */
const NEEDED_ACTIONS = [
  "Microsoft.ContainerInstance/containerGroups/read",
  "Microsoft.ContainerInstance/containerGroups/write",
  "Microsoft.ContainerInstance/containerGroups/delete",
  "Microsoft.ContainerInstance/containerGroups/containers/logs/read",
];

/** Built-in roles that grant far more than the app needs; none may appear anywhere in the template. */
const BROAD_BUILT_IN_ROLES: Record<string, string> = {
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
  "5d977122-f97e-4b4d-a52f-6b43003ddb4d": "Azure Container Instances Contributor Role",
  "f1a07417-d97a-45cb-824c-7a7467783830": "Managed Identity Operator",
  "17d1049b-9a84-46fb-8f53-869881c3d3ab": "Storage Account Contributor",
  "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
};

/** Built-in roles the template may grant (on the app's own storage, telemetry and vault). */
const ALLOWED_BUILT_IN_ROLES: Record<string, string> = {
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
  "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
  "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
  "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
  "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
  "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
};

const KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";

/** What the deploying principal gets when grantDeployerDataAccess is on (issue 10, item 5b). */
const DEPLOYER_ROLES = [
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner
  "974c5e8b-45b9-4653-ba55-5f855dd0fb88", // Storage Queue Data Contributor
  "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor
  "3913510d-42f4-4e42-8a64-420c390055eb", // Monitoring Metrics Publisher
  "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", // Key Vault Secrets Officer
];

let main: ArmTemplate;
let all: Located[];

let skipped: string | undefined;

beforeAll(() => {
  const compiled = compiledTemplate();
  if ("skipped" in compiled) {
    skipped = compiled.skipped;
    console.warn(`test/infra/template.test.ts: ${skipped}`);
    return;
  }
  main = compiled.template;
  all = collect(main);
}, 180_000);

beforeEach((context) => {
  if (skipped) context.skip();
});

function ofType(type: string): Located[] {
  return all.filter((l) => l.resource.type.toLowerCase() === type.toLowerCase());
}

function deployment(pathNames: string[]): Located {
  const found = all.find(
    (l) =>
      l.resource.type === "Microsoft.Resources/deployments" &&
      [...l.path, l.resource.name].join("/") === pathNames.join("/"),
  );
  if (!found) throw new Error(`No module deployment ${pathNames.join("/")} in the compiled template`);
  return found;
}

function deploymentOf(located: Located): Located {
  return deployment(located.path);
}

function parameterValue(d: Located, name: string): unknown {
  const params = (d.resource.properties as unknown as DeploymentProperties).parameters ?? {};
  expect(params, `module ${d.resource.name} receives parameter ${name}`).toHaveProperty(name);
  return params[name]!.value;
}

/** Resolves a value that is a plain `[variables('x')]` reference in the declaring template. */
function resolve(value: unknown, template: ArmTemplate): unknown {
  if (typeof value === "string") {
    const match = /^\[variables\('([^']+)'\)\]$/u.exec(value);
    if (match) return template.variables?.[match[1]!];
  }
  return value;
}

function appSettings(): { settings: Record<string, unknown>; template: ArmTemplate } {
  const configs = ofType("Microsoft.Web/sites/config").filter((l) => l.resource.name.includes("'appsettings'"));
  expect(configs, "exactly one Microsoft.Web/sites/config 'appsettings' resource").toHaveLength(1);
  const { resource, template } = configs[0]!;
  const settings = resolve(resource.properties, template);
  expect(settings, "app settings are an object of literal names").toBeTypeOf("object");
  return { settings: settings as Record<string, unknown>, template };
}

const isPlatformSetting = (name: string) => PLATFORM_SETTING.some((pattern) => pattern.test(name));
const codeSettings = new Set<string>(SETTINGS.map((s) => s.name));

describe("app settings follow SETTINGS in src/config.ts", () => {
  it("sets every required setting the code reads", () => {
    const { settings } = appSettings();
    const missing = SETTINGS.filter((s) => s.required && !(s.name in settings)).map((s) => s.name);
    expect(missing, "required settings missing from infra/app/api.bicep").toEqual([]);
  });

  it("sets nothing that neither the code nor the platform reads", () => {
    const { settings } = appSettings();
    const unknown = Object.keys(settings).filter((name) => !codeSettings.has(name) && !isPlatformSetting(name));
    expect(unknown, "settings set by the template but not listed in SETTINGS (src/config.ts)").toEqual([]);
  });

  it("uses identity-based storage connections, never the AzureWebJobsStorage connection string", () => {
    const { settings } = appSettings();
    expect(settings).not.toHaveProperty("AzureWebJobsStorage");
    expect(settings).toMatchObject({ AzureWebJobsStorage__credential: "managedidentity" });
    for (const service of ["blob", "queue", "table"]) {
      expect(settings, `Durable Functions needs the ${service} endpoint`).toHaveProperty(
        `AzureWebJobsStorage__${service}ServiceUri`,
      );
    }
    // The host, telemetry and DefaultAzureCredential all use the same user-assigned identity.
    expect(settings["AzureWebJobsStorage__clientId"]).toBeTypeOf("string");
    expect(settings["AZURE_CLIENT_ID"]).toBe(settings["AzureWebJobsStorage__clientId"]);
    expect(String(settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"])).toContain("Authorization=AAD");
  });

  it("holds no key or secret", () => {
    const { settings, template } = appSettings();
    const secureParams = Object.entries(template.parameters ?? {})
      .filter(([, p]) => p.type.toLowerCase().startsWith("secure"))
      .map(([name]) => name);
    const problems: string[] = [];
    for (const [name, raw] of Object.entries(settings)) {
      const value = typeof raw === "string" ? raw : JSON.stringify(raw);
      if (/secret|password|accountkey|sas(token)?$|_key$/iu.test(name)) problems.push(`${name}: name suggests a secret`);
      if (/\blist[A-Za-z]*\(/u.test(value)) problems.push(`${name}: reads a key with a list*() function`);
      if (/AccountKey=|SharedAccessSignature|SharedAccessKey|[?&]sig=|password=/iu.test(value)) {
        problems.push(`${name}: contains a key or signature`);
      }
      for (const p of secureParams) {
        if (value.includes(`parameters('${p}')`)) problems.push(`${name}: holds secure parameter ${p}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("keeps the Application Insights connection string free of credentials (local auth disabled)", () => {
    const { settings } = appSettings();
    if (!("APPLICATIONINSIGHTS_CONNECTION_STRING" in settings)) return;
    const components = ofType("Microsoft.Insights/components");
    expect(components.length).toBeGreaterThan(0);
    for (const c of components) {
      expect(c.resource.properties, "instrumentation key alone must not allow ingestion").toMatchObject({
        DisableLocalAuth: true,
      });
    }
  });
});

describe("the app's permissions are the least that work", () => {
  it("defines one custom role with container-group actions only", () => {
    const definitions = ofType("Microsoft.Authorization/roleDefinitions");
    expect(definitions, "exactly one custom role definition").toHaveLength(1);
    const { resource, template } = definitions[0]!;
    const props = resource.properties as {
      type: string;
      permissions: { actions: unknown; notActions?: unknown; dataActions?: unknown; notDataActions?: unknown }[];
      assignableScopes: string[];
    };
    expect(props.type).toBe("CustomRole");
    expect(props.permissions).toHaveLength(1);
    const permission = props.permissions[0]!;
    const actions = resolve(permission.actions, template) as string[];
    expect(Array.isArray(actions)).toBe(true);
    expect(actions.filter((a) => !a.startsWith(CONTAINER_GROUPS) || a.includes("*"))).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(NEEDED_ACTIONS));
    // Jobs do not run with a user-assigned identity yet, so exec/attach and identity assignment stay out.
    expect(actions.filter((a) => /exec|attach|assign/iu.test(a))).toEqual([]);
    expect(resolve(permission.notActions ?? [], template)).toEqual([]);
    expect(resolve(permission.dataActions ?? [], template)).toEqual([]);
    expect(resolve(permission.notDataActions ?? [], template)).toEqual([]);
    expect(props.assignableScopes).toHaveLength(1);
    expect(resolve(props.assignableScopes[0], template)).toMatch(
      /Microsoft\.Resources\/resourceGroups.*parameters\('jobsResourceGroupName'\)/u,
    );
  });

  it("assigns that role, and only that role, on the jobs resource group", () => {
    const definition = ofType("Microsoft.Authorization/roleDefinitions")[0]!;
    const roleModule = deploymentOf(definition);
    const rbac = deployment(["rbac"]);
    const api = deployment(["api"]);
    const jobsRg = parameterValue(rbac, "jobsResourceGroupName");
    // One jobs resource group: where the role is assignable, where it is assigned, and what the app uses.
    expect(parameterValue(roleModule, "jobsResourceGroupName")).toBe(jobsRg);
    expect(parameterValue(api, "jobsResourceGroupName")).toBe(jobsRg);
    // The assignment refers to the custom role by the same definition name.
    expect(parameterValue(rbac, "jobsRoleDefinitionName")).toBe(parameterValue(roleModule, "roleDefinitionName"));
    expect(definition.resource.name).toBe("[parameters('roleDefinitionName')]");

    // Exactly one deployment targets the jobs resource group, and it holds a single role assignment of that role.
    const atJobsRg = all.filter(
      (l) =>
        l.resource.type === "Microsoft.Resources/deployments" &&
        /jobsResourceGroupName/u.test(l.resource.resourceGroup ?? ""),
    );
    expect(atJobsRg.map((l) => [...l.path, l.resource.name].join("/"))).toEqual(["rbac/rbac-jobs-container-groups"]);
    const assignmentModule = atJobsRg[0]!;
    const inside = resourcesOf((assignmentModule.resource.properties as unknown as DeploymentProperties).template);
    expect(inside.map((r) => r.type)).toEqual(["Microsoft.Authorization/roleAssignments"]);
    expect(parameterValue(assignmentModule, "roleDefinitionId")).toBe(
      "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', parameters('jobsRoleDefinitionName'))]",
    );
    expect(parameterValue(assignmentModule, "principalType")).toBe("ServicePrincipal");
  });

  it("declares every role assignment in the rbac module, named deterministically", () => {
    const assignments = ofType("Microsoft.Authorization/roleAssignments");
    // Storage (three roles, one copy loop), telemetry, the optional vault operator, the jobs resource group.
    expect(assignments.length).toBeGreaterThanOrEqual(4);
    for (const a of assignments) {
      expect(a.path[0], `role assignment ${a.resource.name} lives in infra/app/rbac.bicep`).toBe("rbac");
      expect(a.resource.name).toMatch(/^\[guid\(/u);
    }
  });

  it("lets the app read its vault's secrets (Key Vault Secrets User on the vault itself) and tells it where the vault is", () => {
    const rbac = all.find((l) => l.path.join("/") === "rbac")!;
    const roles = (rbac.template.variables?.["roles"] ?? {}) as Record<string, string>;
    const roleKey = Object.entries(roles).find(([, id]) => id === KEY_VAULT_SECRETS_USER)?.[0];
    expect(roleKey, "rbac.bicep names the Key Vault Secrets User role").toBeDefined();
    const onVault = ofType("Microsoft.Authorization/roleAssignments").filter((a) =>
      JSON.stringify(a.resource.properties?.["roleDefinitionId"]).includes(`roles').${roleKey}`),
    );
    expect(onVault, "one Key Vault Secrets User assignment").toHaveLength(1);
    const assignment = onVault[0]!.resource as ArmResource & { scope?: string };
    expect(assignment.scope).toMatch(/Microsoft\.KeyVault\/vaults/u);
    expect(String(assignment.properties?.["principalId"])).toMatch(/userAssignedIdentities/u);
    expect(assignment.properties?.["principalType"]).toBe("ServicePrincipal");

    // KEY_VAULT_URI comes from the vault the role is granted on.
    const { settings } = appSettings();
    expect(settings["KEY_VAULT_URI"]).toBe("[parameters('keyVaultUri')]");
    expect(String(parameterValue(deployment(["api"]), "keyVaultUri"))).toMatch(/'keyvault'.*outputs\.uri\.value/u);
    expect(parameterValue(deployment(["rbac"]), "keyVaultName")).toBe(parameterValue(deployment(["keyvault"]), "name"));
  });

  it("grants only data-plane built-in roles on the app's own resources", () => {
    const text = JSON.stringify(main).toLowerCase();
    const broad = Object.entries(BROAD_BUILT_IN_ROLES)
      .filter(([id]) => text.includes(id))
      .map(([, name]) => name);
    expect(broad, "broad built-in roles referenced by the template").toEqual([]);
    const rbac = all.find((l) => l.path.join("/") === "rbac")!;
    const roles = Object.values((rbac.template.variables?.["roles"] ?? {}) as Record<string, string>);
    expect(roles.length).toBeGreaterThan(0);
    expect(roles.filter((id) => !(id in ALLOWED_BUILT_IN_ROLES))).toEqual([]);
  });
});

describe("hosting", () => {
  it("runs on Flex Consumption, Node.js 22, as a user-assigned identity", () => {
    const plans = ofType("Microsoft.Web/serverfarms");
    expect(plans).toHaveLength(1);
    expect(plans[0]!.resource).toMatchObject({ sku: { tier: "FlexConsumption", name: "FC1" } });
    const sites = ofType("Microsoft.Web/sites");
    expect(sites).toHaveLength(1);
    expect(sites[0]!.resource).toMatchObject({ identity: { type: "UserAssigned" } });
    expect(sites[0]!.resource.properties).toMatchObject({
      httpsOnly: true,
      functionAppConfig: {
        runtime: { name: "node", version: "22" },
        deployment: { storage: { type: "blobContainer", authentication: { type: "UserAssignedIdentity" } } },
      },
    });
  });

  it("disables shared-key access on storage and uses RBAC on the vault", () => {
    const accounts = ofType("Microsoft.Storage/storageAccounts");
    expect(accounts).toHaveLength(1);
    expect(accounts[0]!.resource.properties).toMatchObject({ allowSharedKeyAccess: false, allowBlobPublicAccess: false });
    const vaults = ofType("Microsoft.KeyVault/vaults");
    expect(vaults).toHaveLength(1);
    expect(vaults[0]!.resource.properties).toMatchObject({ enableRbacAuthorization: true });
  });

  it("declares the container the app keeps its run state and log archive in, private, where the app's blob role reaches it", () => {
    const containers = ofType("Microsoft.Storage/storageAccounts/blobServices/containers");
    const storage = deployment(["storage"]);
    // Each container is named by a parameter of the storage module: what main.bicep passes for it.
    const declared = containers.map((c) => {
      const parameter = /parameters\('(\w+)'\)\)\]$/u.exec(c.resource.name)?.[1];
      expect(parameter, `${c.resource.name} is named by a module parameter`).toBeDefined();
      return parameterValue(storage, parameter!);
    });
    // Named in infra/main.bicep as the code names it (src/runs/runStateContainer.ts creates it when missing).
    const names = (main.variables?.["names"] ?? {}) as Record<string, unknown>;
    expect(declared).toContain("[variables('names').runStateContainer]");
    expect(names["runStateContainer"]).toBe(RUN_STATE_CONTAINER);
    for (const c of containers) expect(c.resource.properties).toMatchObject({ publicAccess: "None" });
    // The app's Storage Blob Data Owner is assigned on the account, so it covers every container in it.
    const blobOwner = ofType("Microsoft.Authorization/roleAssignments").filter(
      (a) =>
        a.path.join("/") === "rbac" &&
        String(a.resource.properties?.["principalId"]).includes("userAssignedIdentities") &&
        grantedRoleIds(a).includes("b7e6dc6d-f1e8-4753-8033-0f276bb0955b"),
    );
    expect(blobOwner).toHaveLength(1);
    expect(blobOwner[0]!.resource.scope).toMatch(/^\[resourceId\('Microsoft\.Storage\/storageAccounts', parameters\('storageAccountName'\)\)\]$/u);
  });
});

/** The built-in role ids a role assignment in the rbac module grants (one, or one per copy of a loop). */
function grantedRoleIds(located: Located): string[] {
  const vars = located.template.variables ?? {};
  const roles = (vars["roles"] ?? {}) as Record<string, string>;
  const fromRoles = (expr: string) => roles[/variables\('roles'\)\.(\w+)/u.exec(expr)?.[1] ?? ""] ?? expr;
  const id = String(located.resource.properties?.["roleDefinitionId"]);
  const loop = /variables\('(\w+)'\)\[copyIndex\(\)\]/u.exec(id);
  if (loop) return ((vars[loop[1]!] ?? []) as string[]).map(fromRoles);
  return [fromRoles(id)];
}

function mainParameter(name: string): ArmParameter {
  expect(main.parameters, `infra/main.bicep declares parameter ${name}`).toHaveProperty(name);
  return main.parameters![name]!;
}

describe("parameters azd maps and the deployer's access", () => {
  it("takes the Key Vault operator's principal type as a parameter and passes it to the assignment", () => {
    // Without it a group's object id fails with UnmatchedPrincipalType (rbac.bicep defaulted to User).
    const type = mainParameter("vaultOperatorPrincipalType");
    expect(type.defaultValue).toBe("User");
    expect([...(type.allowedValues ?? [])].sort()).toEqual(["Group", "ServicePrincipal", "User"]);
    expect(parameterValue(deployment(["rbac"]), "vaultOperatorPrincipalType")).toBe(
      "[parameters('vaultOperatorPrincipalType')]",
    );
    const operator = ofType("Microsoft.Authorization/roleAssignments").filter(
      (a) => a.resource.properties?.["principalId"] === "[parameters('vaultOperatorPrincipalId')]",
    );
    expect(operator).toHaveLength(1);
    expect(operator[0]!.resource.properties?.["principalType"]).toBe("[parameters('vaultOperatorPrincipalType')]");
  });

  it("limits the app's region to Flex Consumption regions, and leaves the jobs' region free", () => {
    const location = mainParameter("location");
    const allowed = (location.allowedValues ?? []) as string[];
    expect(allowed.length, "location has an @allowed list of Flex Consumption regions").toBeGreaterThan(20);
    expect(allowed).toEqual(expect.arrayContaining(["eastus2", "northeurope", "swedencentral"]));
    expect(allowed.filter((r) => !/^[a-z0-9]+$/u.test(r))).toEqual([]);
    expect(new Set(allowed).size).toBe(allowed.length);
    // Container Instances is offered in other regions than Flex Consumption.
    const jobsLocation = mainParameter("jobsLocation");
    expect(jobsLocation.allowedValues).toBeUndefined();
    expect(jobsLocation.defaultValue).toBe("");
    // Where the list came from and how to refresh it.
    const bicep = readFileSync(path.join(ROOT, "infra/main.bicep"), "utf8");
    expect(bicep).toContain("Azure-Samples/functions-quickstart-typescript-azd");
    expect(bicep).toContain("az functionapp list-flexconsumption-locations");
  });

  it("gives the deployer data roles on what it deployed, as the deployer's principal type, unless turned off", () => {
    const grant = mainParameter("grantDeployerDataAccess");
    expect(grant).toMatchObject({ type: "bool", defaultValue: true });
    expect(mainParameter("deployerPrincipalId").defaultValue).toBe("[deployer().objectId]");
    const type = mainParameter("deployerPrincipalType");
    expect(type.defaultValue).toBe("User");
    expect([...(type.allowedValues ?? [])].sort()).toEqual(["ServicePrincipal", "User"]);
    const rbac = deployment(["rbac"]);
    for (const name of ["grantDeployerDataAccess", "deployerPrincipalId", "deployerPrincipalType"]) {
      expect(parameterValue(rbac, name)).toBe(`[parameters('${name}')]`);
    }

    const deployerAssignments = ofType("Microsoft.Authorization/roleAssignments").filter(
      (a) => a.resource.properties?.["principalId"] === "[parameters('deployerPrincipalId')]",
    );
    const granted = deployerAssignments.flatMap(grantedRoleIds);
    expect([...granted].sort()).toEqual([...DEPLOYER_ROLES].sort());
    for (const a of deployerAssignments) {
      expect(a.path, "in infra/app/rbac.bicep").toEqual(["rbac"]);
      expect(a.resource.properties?.["principalType"]).toBe("[parameters('deployerPrincipalType')]");
      // Conditional on the switch (directly or through a variable that reads it).
      const condition = a.resource.condition ?? "";
      const variables = [...condition.matchAll(/variables\('(\w+)'\)/gu)].map((m) => String(a.template.variables?.[m[1]!]));
      expect([condition, ...variables].join(" "), `${a.resource.name} depends on grantDeployerDataAccess`).toContain(
        "parameters('grantDeployerDataAccess')",
      );
      expect(a.resource.name).toContain("parameters('deployerPrincipalId')");
    }
    // The vault operator may be the deployer: that assignment must not be declared twice.
    const officer = deployerAssignments.filter((a) => grantedRoleIds(a).includes("b86a8fe4-44ce-4948-aee5-eccb2c155cd7"));
    expect(officer).toHaveLength(1);
    expect(officer[0]!.resource.condition).toContain("parameters('vaultOperatorPrincipalId')");
  });

  it("outputs what the postprovision hook needs to wait for storage access", () => {
    const outputs = (main as unknown as { outputs: Record<string, { type: string; value: string }> }).outputs;
    expect(outputs["AZURE_STORAGE_BLOB_ENDPOINT"]?.value).toMatch(/'storage'.*outputs\.blobEndpoint\.value/u);
    expect(outputs["AZURE_DEPLOYMENT_CONTAINER_NAME"]?.value).toBe("[variables('names').deploymentContainer]");
    expect(parameterValue(deployment(["storage"]), "deploymentContainerName")).toBe(
      "[variables('names').deploymentContainer]",
    );
    expect(outputs["AZURE_DEPLOYER_DATA_ACCESS"]?.type).toBe("bool");
    expect(outputs["AZURE_DEPLOYER_DATA_ACCESS"]?.value).toContain("parameters('grantDeployerDataAccess')");
  });
});
