// The compiled ARM template (infra/main.bicep built by dev/infra/bicep.sh into .tools/infra/main.json) and the
// walk over its nested module deployments, shared by test/infra/template.test.ts and test/infra/alerts.test.ts.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
const TEMPLATE_PATH = path.join(ROOT, ".tools/infra/main.json");

/** The subset of the ARM template JSON schema these checks read. */
export interface ArmTemplate {
  parameters?: Record<string, ArmParameter>;
  variables?: Record<string, unknown>;
  resources: ArmResource[] | Record<string, ArmResource>;
}

export interface ArmParameter {
  type: string;
  defaultValue?: unknown;
  allowedValues?: unknown[];
  minValue?: number;
  maxValue?: number;
  maxLength?: number;
}

export interface ArmResource {
  type: string;
  name: string;
  condition?: string;
  resourceGroup?: string;
  scope?: string;
  location?: string;
  kind?: string;
  /** A reference to a resource deployed elsewhere (Bicep `existing`, in templates of languageVersion 2.0). */
  existing?: boolean;
  properties?: Record<string, unknown>;
}

/** A resource together with the chain of module deployments that contains it. */
export interface Located {
  resource: ArmResource;
  /** Names of the enclosing Microsoft.Resources/deployments, outermost first ([] for main.bicep itself). */
  path: string[];
  /** The template that declares the resource (for its variables and parameters). */
  template: ArmTemplate;
}

export interface DeploymentProperties {
  template: ArmTemplate;
  parameters?: Record<string, { value: unknown }>;
}

/** Newest modification time of the sources under infra/, to tell a stale compiled template from a current one. */
function newestBicepSource(dir = path.join(ROOT, "infra")): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? newestBicepSource(full) : statSync(full).mtimeMs;
    }),
  );
}

/**
 * Compiles the templates when the compiled one is missing or older than the sources. Without any Bicep
 * toolchain (bicep, az bicep or the .NET SDK; the script exits 2) a developer's run skips these checks
 * with a note; CI, which installs the toolchain, never does.
 */
export function compiledTemplate(): { template: ArmTemplate } | { skipped: string } {
  if (!existsSync(TEMPLATE_PATH) || statSync(TEMPLATE_PATH).mtimeMs < newestBicepSource()) {
    const build = spawnSync("bash", [path.join(ROOT, "dev/infra/bicep.sh")], { cwd: ROOT, encoding: "utf8" });
    if (build.status === 2 && process.env.CI !== "true") {
      return { skipped: `no Bicep toolchain here, so the compiled template could not be checked:\n${build.stderr || build.stdout}` };
    }
    if (build.status !== 0) {
      throw new Error(`bash dev/infra/bicep.sh failed (exit ${build.status}):\n${build.stdout}\n${build.stderr}`);
    }
  }
  return { template: JSON.parse(readFileSync(TEMPLATE_PATH, "utf8")) as ArmTemplate };
}

export function resourcesOf(template: ArmTemplate): ArmResource[] {
  return Array.isArray(template.resources) ? template.resources : Object.values(template.resources);
}

/**
 * Every resource the template and the modules it deploys declare, depth first. References to existing
 * resources (which modules with user-defined types compile to) are left out: they deploy nothing.
 */
export function collect(template: ArmTemplate, at: string[] = []): Located[] {
  return resourcesOf(template).flatMap((resource) => {
    if (resource.existing === true) return [];
    const here: Located = { resource, path: at, template };
    if (resource.type !== "Microsoft.Resources/deployments") return [here];
    const nested = (resource.properties as unknown as DeploymentProperties).template;
    return [here, ...collect(nested, [...at, resource.name])];
  });
}

/** The value a module deployment passes for one of its parameters (an ARM expression or a literal). */
export function moduleParameters(deployment: Located): Record<string, unknown> {
  const params = (deployment.resource.properties as unknown as DeploymentProperties).parameters ?? {};
  return Object.fromEntries(Object.entries(params).map(([name, { value }]) => [name, value]));
}
