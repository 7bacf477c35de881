/**
 * @module
 * What a job is. One typed module per job lives in src/jobs (as a DAG file does in Airflow); each is
 * validated once at startup by {@link parseJobDefinition}, and every problem names the job and field.
 * Defaults follow Airflow's AzureContainerInstancesOperator unless docs/jobs.md argues otherwise.
 */
import { z } from "zod";
import { containerGroupNameProblem, environmentVariableNameProblem } from "../aci/names";
import { parseDuration } from "./duration";
import { toNcrontab } from "./schedule";

const duration = (what: string) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `"${text}" is not a duration such as "90s", "5m" or "1h30m" (${what})` });
      return z.NEVER;
    }
    return ms;
  });

const schedule = z
  .string()
  .nullable()
  .transform((expression, ctx) => {
    if (expression === null) return null;
    const parsed = toNcrontab(expression);
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", message: parsed.reason });
      return z.NEVER;
    }
    return { expression, ncrontab: parsed.ncrontab };
  });

const containerGroupName = z.string().superRefine((name, ctx) => {
  const problem = containerGroupNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: `container group name "${name}" ${problem}` });
});

const environment = z.record(
  z.string().superRefine((name, ctx) => {
    const problem = environmentVariableNameProblem(name);
    if (problem) ctx.addIssue({ code: "custom", message: `environment variable "${name}" ${problem}` });
  }),
  z.string(),
);

/** The container a run starts; every field here may also be overridden for one `npm run job` run. */
export const containerSchema = z
  .object({
    /** Fixed container group name (Airflow's `name`). Omit it to get a unique name per run attempt. */
    groupName: containerGroupName.optional(),
    /** Region (Airflow's `region`); defaults to the ACI_REGION setting. */
    region: z
      .string()
      .regex(/^[a-z0-9]+$/u, { message: "region must be a region name such as eastus" })
      .optional(),
    image: z.string().trim().min(1, { message: "image is required" }),
    /** vCPUs requested; Airflow's default 1.0. ACI allows up to 31 per Standard group (aci-rest-api.md §10). */
    cpu: z.number().positive().max(31).default(1),
    /** Memory in GB; Airflow's default 2.0. Up to 240 GB per Standard group. */
    memoryInGB: z.number().positive().max(240).default(2),
    /** Exec-form command; omit to run the image's entrypoint. */
    command: z.array(z.string()).min(1).optional(),
    environment: environment.default({}),
    /** Airflow's fail_if_exists (default true): refuse to start when a group of that name exists. */
    failIfExists: z.boolean().default(true),
  })
  .strict();

export const jobDefinitionSchema = z
  .object({
    /** Also the route segment (/api/jobs/{id}) and part of function and instance names. */
    id: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/u, {
      message: "id must start with a letter and use only letters, digits and underscores (at most 63)",
    }),
    description: z.string().optional(),
    /** `@daily`, a 5-field cron or a 6-field NCRONTAB, in UTC; null for a job that only runs on request. */
    schedule: schedule.default(null),
    /** Airflow's catchup. Only false is supported: a missed slot starts one run, never a backlog. */
    catchup: z.literal(false, { message: "catchup must be false: aci-jobs never replays missed slots" }).default(false),
    /** Runs of this job that may be active at once (Airflow's max_active_runs). */
    maxActiveRuns: z.number().int().min(1).max(100).default(16),
    /** Further attempts after a failed one (Airflow's retries). */
    retries: z.number().int().min(0).max(20).default(0),
    /** Wait between attempts (Airflow's retry_delay, default 5 minutes). */
    retryDelay: duration("retryDelay").default(300_000),
    /**
     * Budget for the whole run, all attempts included (Airflow's execution_timeout). When it runs out the
     * container group is deleted and the run ends as timed out.
     */
    timeout: duration("timeout").default(86_400_000),
    container: containerSchema,
  })
  .strict()
  // Cross-field rules run even when other fields failed, so one report lists every problem.
  .superRefine(
    (job, ctx) => {
      const { container, maxActiveRuns, timeout } = job as Partial<typeof job>;
      if (container?.groupName && typeof maxActiveRuns === "number" && maxActiveRuns > 1) {
        ctx.addIssue({
          code: "custom",
          path: ["maxActiveRuns"],
          message: "a job with a fixed container.groupName can have at most 1 active run (runs would share the group)",
        });
      }
      if (typeof timeout === "number" && timeout < 60_000) {
        ctx.addIssue({ code: "custom", path: ["timeout"], message: "timeout must be at least 1m" });
      }
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  );

/** A job as its author writes it (defaults may be left out). */
export type JobDefinition = z.input<typeof jobDefinitionSchema>;
/** A validated job with every default filled in; plain JSON, so it can travel in orchestration input. */
export type JobSpec = z.output<typeof jobDefinitionSchema>;
export type ContainerSpec = JobSpec["container"];

/** Types a job module's export; validation happens at startup, where all jobs are checked together. */
export function defineJob(definition: JobDefinition): JobDefinition {
  return definition;
}

export type JobParse = { ok: true; job: JobSpec } | { ok: false; problems: string[] };

/** Validates one definition; each problem reads `job "<id>", field <path>: <reason>`. */
export function parseJobDefinition(definition: unknown, label: string): JobParse {
  const parsed = jobDefinitionSchema.safeParse(definition);
  if (parsed.success) return { ok: true, job: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((issue) => describeIssue(label, issue)) };
}

export function describeIssue(label: string, issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.join(".") : "(definition)";
  // A bad record key (an environment variable name) carries the real reason one level down.
  const message = issue.code === "invalid_key" && issue.issues[0] ? issue.issues[0].message : issue.message;
  return `job "${label}", field ${field}: ${message}`;
}
