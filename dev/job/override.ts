/**
 * `--override`: a partial job definition merged onto a job for one command-line run. Objects merge two
 * levels below the definition: `{"container": {"image": "x"}}` keeps the other container fields, and
 * `{"container": {"environment": {"A": "1"}}}` adds to the job's environment variables; anything deeper, and
 * every array, replaces the job's value. The result is validated like any job definition at startup.
 */
export class OverrideError extends Error {
  override name = "OverrideError";
}

export function applyOverride(definition: unknown, overrideJson: string): unknown {
  let override: unknown;
  try {
    override = JSON.parse(overrideJson);
  } catch {
    throw new OverrideError(`--override is not valid JSON: ${overrideJson}`);
  }
  if (!isPlainObject(override)) throw new OverrideError("--override must be a JSON object, e.g. '{\"container\": {\"image\": \"busybox\"}}'");
  if ("id" in override) throw new OverrideError("--override cannot change the job's id");
  return merge(definition as Record<string, unknown>, override, 2);
}

function merge(base: Record<string, unknown>, patch: Record<string, unknown>, depth: number): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = merged[key];
    merged[key] = depth > 0 && isPlainObject(current) && isPlainObject(value) ? merge(current, value, depth - 1) : value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
