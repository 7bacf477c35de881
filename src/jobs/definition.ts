/**
 * @module
 * What a job is. One typed module per job lives in src/jobs (as a DAG file does in Airflow); each is
 * validated once at startup by {@link parseJobDefinition}, and every problem names the job and field.
 * Defaults follow Airflow's AzureContainerInstancesOperator unless docs/jobs.md argues otherwise.
 */
import { z } from "zod";
import { environmentVariableNameProblem } from "../aci/names";
import { containerSchema, contextVariableProblem, cpuSchema, memoryInGBSchema, MAX_ENVIRONMENT_VARIABLES, secretReferencesOf, type ContainerSpec } from "./container";
import { MAX_DURATION_DIGITS, MAX_DURATION_LENGTH, readDuration } from "./duration";
import { parseJobSchedule } from "./schedule";
import { secretReferenceSchema } from "./secretReference";

/** What a job's `notify.on` may name: a run's final states, and `missed` for schedule slots that started no run. */
export const NOTIFY_EVENTS = ["succeeded", "failed", "timedOut", "canceled", "missed"] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/**
 * Longest wait between attempts (retryDelay, maxRetryDelay): 24 hours, Airflow's own cap
 * (MAX_RETRY_DELAY = [core] max_task_retry_delay, default 24 * 60 * 60 s, in apache/airflow
 * airflow/models/abstractoperator.py). A longer wait crashed the orchestration ("Invalid time value").
 */
export const MAX_RETRY_DELAY_MS = 86_400_000;
/**
 * Longest run budget (timeout, and so containerTimeout): 6 days. ACI documents no maximum lifetime for a
 * group; Durable Functions documents six days as the longest timer for JavaScript apps ("Timers in
 * Durable Functions", durable-functions.md §7). Today the deadline is watched by looks at most 3 minutes
 * apart, but a timer set at the deadline must stay valid without relying on the library's long-timer
 * splitting. A run (and its group, and its run slot) can never outlive this.
 */
export const MAX_RUN_TIMEOUT_MS = 6 * 86_400_000;
/** Longest catchupWindow: 30 days. Ours: a month of backlog is a backfill, not a catch-up. */
export const MAX_CATCHUP_WINDOW_MS = 30 * 86_400_000;

const duration = (what: string, max: { ms: number; text: string; why: string }) =>
  z.string().transform((text, ctx) => {
    const read = readDuration(text);
    if (!read.ok) {
      const shown = text.length > MAX_DURATION_LENGTH ? `${text.slice(0, MAX_DURATION_LENGTH)}…` : text;
      const reason =
        read.reason === "tooLong"
          ? `is longer than ${MAX_DURATION_LENGTH} characters`
          : read.reason === "tooManyDigits"
            ? `has a number of more than ${MAX_DURATION_DIGITS} digits`
            : `is not a duration such as "90s", "5m" or "1h30m"`;
      ctx.addIssue({ code: "custom", message: `"${shown}" ${reason} (${what})` });
      return z.NEVER;
    }
    if (read.ms > max.ms) {
      ctx.addIssue({ code: "custom", message: `${what} must be at most ${max.text} (${max.why})` });
      return z.NEVER;
    }
    return read.ms;
  });

const RETRY_DELAY_MAX = { ms: MAX_RETRY_DELAY_MS, text: "24h", why: "Airflow's cap on the wait between attempts" };

/**
 * What a start does when the job has an active run (allowAll: when it has maxActiveRuns of them):
 * skip: start nothing (Airflow's max_active_runs=1, Kubernetes' Forbid); bufferOne: wait, unless a run
 * waits already; bufferAll: wait in line; cancelOther: cancel the active run and start when it has
 * stopped (Kubernetes' Replace); allowAll: run side by side (Kubernetes' Allow), up to maxActiveRuns.
 */
export const OVERLAP_POLICIES = ["skip", "bufferOne", "bufferAll", "cancelOther", "allowAll"] as const;
type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];
/** Airflow's max_active_runs_per_dag default, for overlap allowAll. */
const DEFAULT_MAX_ACTIVE_RUNS = 16;
const RUN_TIMEOUT_MAX = { ms: MAX_RUN_TIMEOUT_MS, text: "6d", why: "the longest durable timer Durable Functions allows JavaScript" };

/** A schedule in UTC (a string) or in an IANA zone's local time (`{ cron, timeZone }`). */
const schedule = z
  .union([
    z.string(),
    z
      .object({
        /** `@daily`, a 5-field cron or a 6-field NCRONTAB, in the zone's local time. */
        cron: z.string(),
        /** An IANA time zone, e.g. "Europe/Berlin". */
        timeZone: z.string(),
      })
      .strict(),
  ])
  .nullable()
  .transform((written, ctx) => {
    if (written === null) return null;
    const [expression, timeZone] = typeof written === "string" ? [written, undefined] : [written.cron, written.timeZone];
    // The zone's offsets are read around the time the app starts (its timer must cover each of them).
    const parsed = parseJobSchedule(expression, timeZone, Date.now());
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", message: parsed.reason, ...(typeof written === "string" ? {} : { path: [parsed.field] }) });
      return z.NEVER;
    }
    return parsed.schedule;
  });

/**
 * Failure classes a job's retry policy can name (`retryOn`). Outcomes that retrying cannot fix are not
 * in the list and never retry: a definition ACI refuses, a missing secret, a group deleted or stopped
 * outside aci-jobs, the run's own timeout. docs/jobs.md has the table of reasons and their classes.
 */
export const FAILURE_CLASSES = [
  /** The container exited with a nonzero code (other than an out-of-memory kill). */
  "exitCode",
  /** Killed for running out of memory (exit code 137). */
  "oomKilled",
  /** The image could not be pulled (registry error, rate limit, missing image). */
  "imagePull",
  /** Provisioning failed or the group became unhealthy (including Spot groups that cycle Unhealthy/Repairing). */
  "provisioning",
  /** A Spot group was evicted, or Spot capacity was not available. */
  "spotEvicted",
  /** Quota or regional capacity was exhausted (ContainerGroupQuotaReached, ServiceUnavailable, 429). */
  "capacity",
  /** Azure did not answer for long enough that the attempt was given up. */
  "azureUnavailable",
  /** The attempt ran longer than the job's containerTimeout. */
  "containerTimeout",
  /** fail_if_exists: a group of that name belonged to someone else. */
  "groupExists",
] as const;

export type FailureClass = (typeof FAILURE_CLASSES)[number];

// Docker tag grammar: up to 128 word characters, dots and dashes, not starting with either.
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/u;
/** Tags an allow-list may name: ours, so GET /api/jobs stays small. */
const MAX_IMAGE_TAGS = 100;

/**
 * What a caller of POST /api/jobs/{job}/runs may change for one run. Everything else is fixed by the
 * definition; a request that touches another field is refused with 400 naming it.
 */
const overridesSchema = z
  .object({
    /** The caller may replace the command. */
    command: z.boolean().default(false),
    /** Environment variables the caller may set or replace (plain values only, never secrets). */
    environment: z
      .array(
        z.string().superRefine((name, ctx) => {
          const problem = contextVariableProblem(name) ?? environmentVariableNameProblem(name);
          if (problem) ctx.addIssue({ code: "custom", message: `environment variable "${name}" ${problem}` });
        }),
      )
      // A container has at most this many variables (src/jobs/container.ts), so listing more is a mistake.
      .max(MAX_ENVIRONMENT_VARIABLES, { message: `at most ${MAX_ENVIRONMENT_VARIABLES} environment variables` })
      .default([]),
    /** Tags of the job's image repository the caller may choose from. */
    imageTags: z
      .array(z.string().regex(IMAGE_TAG, { message: "an image tag is up to 128 letters, digits, '_', '.' and '-'" }))
      .max(MAX_IMAGE_TAGS, { message: `at most ${MAX_IMAGE_TAGS} image tags` })
      .default([]),
    /** The caller may choose the vCPUs up to this many (a value ACI accepts: 1 to 31 in steps of 0.1). */
    cpu: z.object({ max: cpuSchema }).strict().optional(),
    /** The caller may choose the memory in GB up to this much (1 to 240 in steps of 0.1). */
    memoryInGB: z.object({ max: memoryInGBSchema }).strict().optional(),
    /** The caller may name a past schedule slot for the run (`slot`), to reprocess that day. */
    slot: z.boolean().default(false),
  })
  .strict();

export type OverridesSpec = z.output<typeof overridesSchema>;

export const jobDefinitionSchema = z
  .object({
    /** Also the route segment (/api/jobs/{id}) and part of function and instance names. */
    id: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/u, {
      message: "id must start with a letter and use only letters, digits and underscores (at most 63)",
    }),
    description: z.string().optional(),
    /**
     * `@daily`, a 5-field cron or a 6-field NCRONTAB, in UTC; or `{ cron, timeZone }` in an IANA zone's local
     * time; null for a job that only runs on request.
     */
    schedule: schedule.default(null),
    /** Airflow's catchup. Only false is supported: use catchupWindow to run slots missed during downtime. */
    catchup: z.literal(false, { message: "catchup must be false: set catchupWindow to run the slots missed while the app was down" }).default(false),
    /**
     * After downtime, the missed slots this recent are run, oldest first (Temporal's catchup window);
     * older ones are recorded as missed. Default none: only the latest slot runs, as with Airflow's catchup=False.
     */
    catchupWindow: duration("catchupWindow", { ms: MAX_CATCHUP_WINDOW_MS, text: "30d", why: "a month of backlog is a backfill, not a catch-up" }).optional(),
    /**
     * Pause the schedule after this many scheduled runs in a row failed or timed out (Airflow's
     * max_consecutive_failed_dag_runs); resume with POST /api/jobs/{job}/resume. Needs a schedule.
     */
    pauseAfterFailures: z.number().int().min(1).max(1_000).optional(),
    /**
     * What a start does when a run of the job is active (Temporal's overlap policies, Kubernetes'
     * concurrencyPolicy): skip it, queue one or all, cancel the active run, or allow up to maxActiveRuns.
     * Default skip; a job that sets maxActiveRuns above 1 without it gets allowAll.
     */
    overlap: z.enum(OVERLAP_POLICIES, { message: `overlap must be one of ${OVERLAP_POLICIES.join(", ")}` }).optional(),
    /** With overlap allowAll: runs of this job that may be active at once (Airflow's max_active_runs; default 16). Otherwise 1. */
    maxActiveRuns: z.number().int().min(1).max(100).optional(),
    /** Further attempts after a failed one (Airflow's retries). */
    retries: z.number().int().min(0).max(20).default(0),
    /** Wait between attempts (Airflow's retry_delay, default 5 minutes). */
    retryDelay: duration("retryDelay", RETRY_DELAY_MAX).default(300_000),
    /** Double the wait after each failed attempt (Airflow's retry_exponential_backoff). */
    retryExponentialBackoff: z.boolean().default(false),
    /** Upper bound of the wait between attempts (Airflow's max_retry_delay; Airflow's own cap is 24h). */
    maxRetryDelay: duration("maxRetryDelay", RETRY_DELAY_MAX).default(86_400_000),
    /** Which failure classes use up a retry; the rest end the run at once. Default: all of them, as Airflow retries any failure. */
    retryOn: z.array(z.enum(FAILURE_CLASSES)).default([...FAILURE_CLASSES]),
    /** After a Spot eviction or a Spot capacity refusal, run the next attempt at Regular priority. */
    spotFallback: z.boolean().default(false),
    /**
     * Budget for the whole run, all attempts included (Airflow's execution_timeout). When it runs out the
     * container group is deleted and the run ends as timed out.
     */
    timeout: duration("timeout", RUN_TIMEOUT_MAX).default(86_400_000),
    /**
     * Longest one attempt's container group may exist, from create to exit (the `container_timeout` Airflow
     * documents but never implemented). Past it the group is deleted and the attempt fails as containerTimeout.
     */
    containerTimeout: duration("containerTimeout", RUN_TIMEOUT_MAX).optional(),
    /** Delete the group after a successful attempt (Airflow's remove_on_success). Kept, its log stays readable in ACI. */
    removeOnSuccess: z.boolean().default(true),
    /** Delete the group after a failed attempt (Airflow's remove_on_error). */
    removeOnError: z.boolean().default(true),
    /** Log lines in the run result (Airflow's xcom_all): "all", "last" (the last line) or "none" (only the bounded tail). */
    resultLogs: z.enum(["none", "last", "all"]).default("none"),
    /**
     * Post a JSON summary to a webhook (Slack, Teams or your own) when a run ends in one of `on`, or a
     * slot is missed. The URL is a Key Vault secret: it grants posting, and must stay out of history.
     */
    notify: z
      .object({
        webhook: secretReferenceSchema,
        on: z.array(z.enum(NOTIFY_EVENTS, { message: `notify.on entries must be ${NOTIFY_EVENTS.join(", ")}` })).min(1).default(["failed", "timedOut", "missed"]),
      })
      .strict()
      .optional(),
    /** What a caller may change for one HTTP-triggered run. */
    overrides: overridesSchema.default({ command: false, environment: [], imageTags: [], slot: false }),
    container: containerSchema,
  })
  .strict()
  // Cross-field rules run even when other fields failed, so one report lists every problem.
  .superRefine(
    (job, ctx) => {
      const { container, maxActiveRuns, timeout, overlap } = job as Partial<typeof job>;
      if (overlap && overlap !== "allowAll" && typeof maxActiveRuns === "number" && maxActiveRuns > 1) {
        ctx.addIssue({
          code: "custom",
          path: ["maxActiveRuns"],
          message: `maxActiveRuns above 1 needs overlap allowAll: with overlap ${overlap} one run is active at a time`,
        });
      }
      if (container?.groupName && (overlap === "allowAll" || (typeof maxActiveRuns === "number" && maxActiveRuns > 1))) {
        ctx.addIssue({
          code: "custom",
          path: ["maxActiveRuns"],
          message: "a job with a fixed container.groupName can have at most 1 active run (runs would share the group)",
        });
      }
      if (typeof timeout === "number" && timeout < 60_000) {
        ctx.addIssue({ code: "custom", path: ["timeout"], message: "timeout must be at least 1m" });
      }
      const { containerTimeout, spotFallback, overrides, pauseAfterFailures, schedule } = job as Partial<typeof job>;
      if (pauseAfterFailures !== undefined && schedule === null) {
        ctx.addIssue({ code: "custom", path: ["pauseAfterFailures"], message: "pauseAfterFailures needs a schedule: it pauses the job's timer" });
      }
      if (typeof containerTimeout === "number") {
        if (containerTimeout < 60_000) ctx.addIssue({ code: "custom", path: ["containerTimeout"], message: "containerTimeout must be at least 1m" });
        if (typeof timeout === "number" && containerTimeout > timeout) {
          ctx.addIssue({ code: "custom", path: ["containerTimeout"], message: "containerTimeout must not be longer than the run's timeout" });
        }
      }
      if (spotFallback === true && container && container.priority !== "Spot") {
        ctx.addIssue({ code: "custom", path: ["spotFallback"], message: "spotFallback needs container.priority Spot" });
      }
      if (overrides?.cpu && container?.priority === "Spot" && overrides.cpu.max > 4) {
        ctx.addIssue({ code: "custom", path: ["overrides", "cpu", "max"], message: "Spot container groups get at most 4 vCPU" });
      }
      if (overrides?.memoryInGB && container?.priority === "Spot" && overrides.memoryInGB.max > 16) {
        ctx.addIssue({ code: "custom", path: ["overrides", "memoryInGB", "max"], message: "Spot container groups get at most 16 GB" });
      }
      if (overrides?.command === true && container && secretReferencesOf(container).length > 0) {
        // A caller who chooses the command can print the job's secrets in any encoding redaction cannot see.
        ctx.addIssue({
          code: "custom",
          path: ["overrides", "command"],
          message: "a job that uses Key Vault secrets cannot let callers replace its command: the command could reveal them",
        });
      }
      overrides?.environment.forEach((name, index) => {
        const value = container?.environment?.[name];
        if (value !== undefined && typeof value !== "string") {
          ctx.addIssue({
            code: "custom",
            path: ["overrides", "environment", index],
            message: `${name} is a Key Vault reference: a caller must not replace a secret with a plain value`,
          });
        }
      });
      if (overrides && overrides.imageTags.length > 0 && container && /@sha256:/u.test(container.image)) {
        ctx.addIssue({ code: "custom", path: ["overrides", "imageTags"], message: "an image pinned by digest has no tag to override" });
      }
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  )
  .transform((job) => {
    // A job that allowed several runs before overlap existed keeps doing so.
    const overlap: OverlapPolicy = job.overlap ?? ((job.maxActiveRuns ?? 1) > 1 ? "allowAll" : "skip");
    return { ...job, overlap, maxActiveRuns: overlap === "allowAll" ? (job.maxActiveRuns ?? DEFAULT_MAX_ACTIVE_RUNS) : 1 };
  });

/** A job as its author writes it (defaults may be left out). */
export type { OverlapPolicy };
export type JobDefinition = z.input<typeof jobDefinitionSchema>;
/** A validated job with every default filled in; plain JSON, so it can travel in orchestration input. */
export type JobSpec = z.output<typeof jobDefinitionSchema>;
export type { ContainerSpec };

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
