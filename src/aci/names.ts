/**
 * ACI's naming rules, checked before anything is sent to Azure (aci-rest-api.md §9).
 */

/**
 * Container group names: 1-63 characters of lowercase letters, digits and hyphens, not starting or
 * ending with a hyphen, no consecutive hyphens (Azure templates reference for
 * microsoft.containerinstance/containergroups). Stricter than Airflow's check, which allows "--".
 */
export function containerGroupNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 63) return `must be 1-63 characters long (is ${name.length})`;
  if (!/^[a-z0-9-]+$/u.test(name)) return "may contain only lowercase letters, digits and hyphens";
  if (name.startsWith("-") || name.endsWith("-")) return "must not start or end with a hyphen";
  if (name.includes("--")) return "must not contain consecutive hyphens";
  return undefined;
}

/** Container names: 1-63 lowercase letters, digits and hyphens, hyphen not first or last. */
export function containerNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/u.test(name)) {
    return "must be 1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen";
  }
  return undefined;
}

/** Environment variable names: 1-63 letters, digits and underscores, underscore not first or last (§9). */
export function environmentVariableNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9]([A-Za-z0-9_]{0,61}[A-Za-z0-9])?$/u.test(name)) {
    return "must be 1-63 letters, digits and underscores, not starting or ending with an underscore";
  }
  return undefined;
}

/**
 * A container group name for a run whose job does not fix one: job id and run id squeezed into ACI's
 * alphabet, unique per attempt so a retry never collides with a group still being deleted.
 */
export function derivedContainerGroupName(jobId: string, runId: string, attempt: number): string {
  const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/gu, "-").replace(/^-+|-+$/gu, "");
  const suffix = `-${slug(runId).slice(-20).replace(/^-+/u, "")}-a${attempt}`;
  const head = slug(jobId).slice(0, 63 - suffix.length).replace(/-+$/u, "");
  return `${head}${suffix}`.replace(/-{2,}/gu, "-");
}
