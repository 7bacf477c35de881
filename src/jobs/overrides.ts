/**
 * @module
 * Per-run overrides for HTTP-triggered runs (POST /api/jobs/{job}/runs with a JSON body). The job's
 * `overrides` allow-list says what a caller may change; a request is checked against it, merged onto a
 * copy of the job, and the merged container is validated again with {@link containerSchema}, so ACI's
 * rules and the Spot limits hold for every run, not only for the definition. Every refusal names the field.
 */
import { z } from "zod";
import type { RunOverrides } from "../runs/contracts";
import { commandSchema, containerSchema, MAX_ENVIRONMENT_VALUE_BYTES, MAX_ENVIRONMENT_VARIABLES, utf8Length } from "./container";
import type { JobSpec } from "./definition";
import { isIsoInstant, isoSeconds } from "./instant";
import { isSlot, nextSlots, previousSlot } from "./schedule";

/** Fields a run request may carry; whether a job lets a caller use them is its `overrides` allow-list. */
export const RUN_REQUEST_FIELDS = ["command", "environment", "imageTag", "cpu", "memoryInGB", "slot"] as const;


// Docker's tag grammar (as definition.ts checks the allow-list): up to 128 word characters, dots and dashes.
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/u;

// The bounds of a definition (src/jobs/container.ts) apply to a request as it is read, so an oversized
// command or environment is refused before the allow-list looks at each entry; the merged container is
// then validated again with containerSchema (the job's own variables count towards the totals too).
const runRequestSchema = z
  .object(
    {
      command: commandSchema.optional(),
      environment: z
        .record(
          z.string(),
          z
            .string({ message: "must be a string (plain values only)" })
            .refine((value) => utf8Length(value) <= MAX_ENVIRONMENT_VALUE_BYTES, {
              message: `may have at most ${MAX_ENVIRONMENT_VALUE_BYTES / 1024} KiB`,
            }),
          { message: "must be an object of names and string values" },
        )
        .refine((variables) => Object.keys(variables).length <= MAX_ENVIRONMENT_VARIABLES, {
          message: `may set at most ${MAX_ENVIRONMENT_VARIABLES} variables`,
        })
        .optional(),
      imageTag: z.string({ message: "must be a string" }).regex(IMAGE_TAG, { message: "is not an image tag (up to 128 letters, digits, '_', '.' and '-')" }).optional(),
      cpu: z.number({ message: "must be a number" }).positive({ message: "must be more than 0" }).optional(),
      memoryInGB: z.number({ message: "must be a number" }).positive({ message: "must be more than 0" }).optional(),
      slot: z
        .string({ message: "must be a string" })
        .refine(isIsoInstant, { message: "is not an ISO 8601 time with its offset, such as 2026-11-27T00:00:00Z" })
        .optional(),
    },
    { message: "the request body must be a JSON object" },
  )
  .strict();

/** One reason a run request was refused; `field` is the request field (`environment.FOO`, `cpu`, …). */
export interface OverrideProblem {
  readonly field: string;
  readonly message: string;
}

export type OverridesResult =
  /** `overrides` is absent when the request changed nothing (an empty body or `{}`): a plain run. */
  | { readonly ok: true; readonly job: JobSpec; readonly overrides?: RunOverrides }
  | { readonly ok: false; readonly problems: readonly OverrideProblem[] };

/**
 * Checks a run request (the parsed JSON body; `undefined` for none) against the job's allow-list and
 * returns the job the run should use (a copy with the overrides merged in) and the overrides to record.
 * `now` bounds a requested `slot` (it may not be in the future).
 */
export function applyRunOverrides(job: JobSpec, body: unknown, now: Date = new Date()): OverridesResult {
  if (body === undefined) return { ok: true, job };
  const parsed = runRequestSchema.safeParse(body);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap(shapeProblems) };

  const request = parsed.data;
  // zod's record drops a "__proto__" key, so the allow-list sees the names exactly as sent.
  const environmentNames = request.environment ? Object.keys((body as { environment: object }).environment) : [];
  const problems = allowListProblems(job, request, environmentNames, now);
  if (problems.length > 0) return { ok: false, problems };

  const overrides = recordOf(request);
  if (!overrides) return { ok: true, job };

  const container = {
    ...job.container,
    ...(overrides.command ? { command: [...overrides.command] } : {}),
    environment: { ...job.container.environment, ...overrides.environment },
    image: overrides.imageTag ? (imageWithTag(job.container.image, overrides.imageTag) ?? job.container.image) : job.container.image,
    ...(overrides.cpu !== undefined ? { cpu: overrides.cpu } : {}),
    ...(overrides.memoryInGB !== undefined ? { memoryInGB: overrides.memoryInGB } : {}),
  };
  // The allow-list bounds what a caller may ask for; ACI's rules (and Spot's limits) bound what the
  // merged group may be. Both must hold, so the merged container is validated as a definition is.
  const revalidated = containerSchema.safeParse(container);
  if (!revalidated.success) {
    return { ok: false, problems: revalidated.error.issues.map((issue) => containerProblem(job, issue)) };
  }
  return { ok: true, job: { ...job, container: revalidated.data }, overrides };
}

/**
 * `image` with its tag replaced by `tag`, or `undefined` for an image pinned by digest (it has no tag to
 * replace). The tag is after the last colon of the last path segment, so a registry port
 * (`myregistry.azurecr.io:5000/team/app:1.2`) is not mistaken for one.
 */
export function imageWithTag(image: string, tag: string): string | undefined {
  if (image.includes("@")) return undefined;
  const lastSegment = image.lastIndexOf("/") + 1;
  const colon = image.indexOf(":", lastSegment);
  return `${colon === -1 ? image : image.slice(0, colon)}:${tag}`;
}

/** The names of the fields a run request changed (`command`, `environment.FOO`, …), for logs: never values. */
export function overriddenFields(overrides: RunOverrides | undefined): string[] {
  if (!overrides) return [];
  return RUN_REQUEST_FIELDS.flatMap((field) => {
    if (overrides[field] === undefined) return [];
    return field === "environment" ? Object.keys(overrides.environment ?? {}).map((name) => `environment.${name}`) : [field];
  });
}

type RunRequest = z.output<typeof runRequestSchema>;

function shapeProblems(issue: z.core.$ZodIssue): OverrideProblem[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      field: key,
      message: `${JSON.stringify(key)} is not a field of a run request (it may set ${RUN_REQUEST_FIELDS.join(", ")})`,
    }));
  }
  const field = issue.path.map(String).join(".");
  if (field === "") return [{ field: "(body)", message: issue.message }];
  return [{ field, message: `${field} ${issue.message}` }];
}

function allowListProblems(job: JobSpec, request: RunRequest, environmentNames: readonly string[], now: Date): OverrideProblem[] {
  const allowed = job.overrides;
  const problems: OverrideProblem[] = [];
  const refuse = (field: string, message: string) => problems.push({ field, message });

  if (request.command !== undefined && !allowed.command) refuse("command", `command is not overridable for job ${job.id}`);

  for (const name of environmentNames) {
    const field = `environment.${name}`;
    if (Object.hasOwn(job.container.environment, name) && typeof job.container.environment[name] === "object") {
      // A Key Vault reference stays one: a caller's plain value would replace the secret the job relies on.
      refuse(field, `${field} is a Key Vault reference in job ${job.id} and cannot be overridden`);
    } else if (!allowed.environment.includes(name)) {
      refuse(field, `${field} is not overridable for job ${job.id}; overridable: ${listOrNone(allowed.environment)}`);
    }
  }

  if (request.imageTag !== undefined) {
    if (allowed.imageTags.length === 0) {
      refuse("imageTag", `imageTag is not overridable for job ${job.id}`);
    } else if (!allowed.imageTags.includes(request.imageTag)) {
      refuse("imageTag", `imageTag ${JSON.stringify(request.imageTag)} is not allowed for job ${job.id}; allowed: ${allowed.imageTags.join(", ")}`);
    } else if (imageWithTag(job.container.image, request.imageTag) === undefined) {
      refuse("imageTag", `imageTag cannot be applied: job ${job.id} pins its image by digest (${job.container.image})`);
    }
  }

  for (const field of ["cpu", "memoryInGB"] as const) {
    const value = request[field];
    if (value === undefined) continue;
    const bound = allowed[field];
    if (!bound) refuse(field, `${field} is not overridable for job ${job.id}`);
    else if (value > bound.max) refuse(field, `${field} ${value} is more than job ${job.id} allows (at most ${bound.max})`);
  }

  if (request.slot !== undefined) {
    const slot = new Date(request.slot);
    if (!allowed.slot) refuse("slot", `slot is not allowed for job ${job.id} (its overrides.slot is false)`);
    else if (slot.getTime() > now.getTime()) refuse("slot", `slot ${request.slot} is in the future; a run can reprocess a past slot only`);
    else if (job.schedule && !isSlot(job.schedule, slot)) {
      const before = previousSlot(job.schedule, slot);
      const [after] = nextSlots(job.schedule, slot, 1);
      const around = [before, after].filter((at): at is Date => at !== undefined).map(isoSeconds);
      refuse("slot", `slot ${request.slot} is not a slot of job ${job.id}'s schedule (${job.schedule.expression}, ${job.schedule.timeZone})${around.length > 0 ? `; the nearest are ${around.join(" and ")}` : ""}`);
    }
  }
  return problems;
}

/** What the request changed, for RunInput.overrides; undefined when nothing. */
function recordOf(request: RunRequest): RunOverrides | undefined {
  const overrides: { -readonly [K in keyof RunOverrides]: RunOverrides[K] } = {};
  if (request.command) overrides.command = request.command;
  if (request.environment && Object.keys(request.environment).length > 0) overrides.environment = request.environment;
  if (request.imageTag !== undefined) overrides.imageTag = request.imageTag;
  if (request.cpu !== undefined) overrides.cpu = request.cpu;
  if (request.memoryInGB !== undefined) overrides.memoryInGB = request.memoryInGB;
  if (request.slot !== undefined) overrides.slot = isoSeconds(new Date(request.slot));
  return Object.keys(overrides).length > 0 ? overrides : undefined;
}

/** A problem of the merged container, named by the request field that caused it where there is one. */
function containerProblem(job: JobSpec, issue: z.core.$ZodIssue): OverrideProblem {
  const [head, ...rest] = issue.path.map(String);
  const field =
    head === "image"
      ? "imageTag"
      : head === "environment" || head === "command" || head === "cpu" || head === "memoryInGB"
        ? [head, ...rest.slice(0, head === "environment" ? 1 : 0)].join(".")
        : `container.${issue.path.map(String).join(".")}`;
  // A bad record key (an environment variable name) carries the real reason one level down.
  const reason = issue.code === "invalid_key" && issue.issues[0] ? issue.issues[0].message : issue.message;
  return { field, message: `${field}: the container this run would create is not valid for job ${job.id}: ${reason}` };
}

function listOrNone(names: readonly string[]): string {
  return names.length > 0 ? names.join(", ") : "none";
}
