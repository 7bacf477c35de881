/**
 * @module
 * Azure RBAC as ARM applies it to the caller of the emulator: with a role assignment configured, a request
 * whose action the role does not grant at the request's scope is answered 403 AuthorizationFailed, before
 * the resource provider sees it. The app's own role (infra/app/jobs-role.bicep, on the jobs resource group)
 * is enforced wherever the app runs on the emulator, so every test run proves that each ARM call the app
 * makes is allowed in Azure.
 *
 * The action of a request is the resource type's operation: `{provider}/{type}/read` for GET, `/write` for
 * PUT and PATCH, `/delete` for DELETE, `/{action}/action` for POST (the Microsoft.ContainerInstance operation
 * list: `az provider operation show --namespace Microsoft.ContainerInstance`). The scope is the request's
 * path; a role assigned on a resource group covers that group and everything under it, nothing above it.
 * Message: ARM's AuthorizationFailed wording (learn.microsoft.com/azure/role-based-access-control/troubleshooting).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { ArmError } from "./ArmError";

export interface RoleAssignment {
  /** The role's `actions`; `*` matches any run of characters, case-insensitively, as in Azure. */
  readonly actions: readonly string[];
  /** The resource groups the role is assigned on (in any subscription). */
  readonly resourceGroups: readonly string[];
}

const PROVIDER = "Microsoft.ContainerInstance";

/** The RBAC action of a request to the ACI provider, or undefined for a path the emulator does not route. */
export function actionOf(method: string, requestPath: string): string | undefined {
  const segments = requestPath.split("/").filter(Boolean);
  const providers = segments.findIndex((s) => s.toLowerCase() === "providers");
  if (providers < 0 || segments[providers + 1]?.toLowerCase() !== PROVIDER.toLowerCase()) return undefined;
  // Types and names alternate after the namespace: containerGroups/{name}/containers/{name}/logs.
  const rest = segments.slice(providers + 2);
  const types = rest.filter((_, index) => index % 2 === 0);
  const verb = method.toUpperCase();
  if (verb === "POST") {
    const action = types.pop();
    return `${PROVIDER}/${types.join("/")}/${action}/action`;
  }
  const operation = verb === "GET" ? "read" : verb === "DELETE" ? "delete" : "write";
  return `${PROVIDER}/${types.join("/")}/${operation}`;
}

function granted(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/gu, "\\$&")).join(".*")}$`, "iu");
  return regex.test(action);
}

/** Throws ARM's 403 AuthorizationFailed when the assignment does not allow this request. */
export function authorize(assignment: RoleAssignment, method: string, requestPath: string, principalId: string | undefined): void {
  const action = actionOf(method, requestPath);
  if (action === undefined) return;
  const resourceGroup = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)/iu.exec(requestPath)?.[1];
  const inScope = resourceGroup !== undefined && assignment.resourceGroups.some((name) => name.toLowerCase() === decodeURIComponent(resourceGroup).toLowerCase());
  if (inScope && assignment.actions.some((pattern) => granted(pattern, action))) return;
  const client = principalId ?? "00000000-0000-0000-0000-000000000000";
  throw new ArmError(
    403,
    "AuthorizationFailed",
    `The client '${client}' with object id '${client}' does not have authorization to perform action '${action}' over scope '${requestPath}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

const JOBS_ROLE = path.resolve(__dirname, "../../infra/app/jobs-role.bicep");

/** The actions of the app's custom role, read from infra/app/jobs-role.bicep (the template Azure deploys). */
export function appRoleActions(file = JOBS_ROLE): string[] {
  const block = /^var actions = \[([\s\S]*?)^\]/mu.exec(readFileSync(file, "utf8"))?.[1];
  if (block === undefined) throw new Error(`${file}: no "var actions = [ ... ]" block`);
  return [...block.matchAll(/'([^']+)'/gu)].map((match) => match[1]!);
}

/** The app's role, assigned on its jobs resource group, as infra/main.bicep assigns it. */
export function appRoleAssignment(resourceGroup: string): RoleAssignment {
  return { actions: appRoleActions(), resourceGroups: [resourceGroup] };
}
