/**
 * @module
 * What a run's container is told about its run, as Airflow's templating tells a task (`{{ ds }}` in the
 * operator's `command` and `environment_variables`, its template fields): environment variables on every
 * attempt (`ACI_JOBS_*`), and placeholders in the command and in plain environment values. The run's
 * times are fixed when it starts ({@link RunTimes}, in the run's input); the orchestration fills in the
 * rest per attempt with {@link containerForAttempt}, a pure function.
 */
import type { ContainerSpec } from "./container";

/** Environment variables aci-jobs sets; a job or a caller may not set a variable with this prefix. */
export const CONTEXT_VARIABLE_PREFIX = "ACI_JOBS_";

/** The run's times, fixed when it starts (ISO 8601, UTC). Plain JSON: part of the run's input. */
export interface RunTimes {
  /** The schedule slot the run is for (a timer firing, or a request that named one); absent otherwise. */
  readonly slot?: string;
  /** Airflow's logical date: the slot, or when the run was requested. */
  readonly logicalDate: string;
  /** The logical date's calendar day in the job's time zone (UTC for a plain schedule), `YYYY-MM-DD`. */
  readonly ds: string;
  /** The data interval: from the schedule's previous slot to this one (both the logical date without a slot). */
  readonly intervalStart: string;
  readonly intervalEnd: string;
}

/**
 * Placeholders, written `{{ name }}` (spaces optional), with Airflow's names where Airflow has one. A
 * literal `{{` is written `{{ '{{' }}`, as in Jinja.
 */
export const PLACEHOLDERS = {
  ds: "the logical date's day in the job's time zone, 2026-11-27",
  ds_nodash: "the same without dashes, 20261127",
  ts: "the logical date, 2026-11-27T00:00:00Z",
  data_interval_start: "the start of the data interval (the previous slot), 2026-11-26T00:00:00Z",
  data_interval_end: "the end of the data interval (the slot), 2026-11-27T00:00:00Z",
  run_id: "the run id",
  job: "the job id",
  attempt: "the attempt number, from 1",
} as const;

export type PlaceholderName = keyof typeof PLACEHOLDERS;

const PLACEHOLDER = /\{\{\s*(.*?)\s*\}\}/gu;
const LITERAL_OPEN = "'{{'";

/** The placeholders in `text` this app does not know (each as written), for a startup or request error. */
export function unknownPlaceholders(text: string): string[] {
  const unknown: string[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? "";
    if (name !== LITERAL_OPEN && !Object.hasOwn(PLACEHOLDERS, name)) unknown.push(match[0]);
  }
  return unknown;
}

/** Why `text` cannot be used (its unknown placeholders), or undefined. */
export function placeholderProblem(text: string): string | undefined {
  const unknown = unknownPlaceholders(text);
  if (unknown.length === 0) return undefined;
  return `unknown placeholder ${unknown.map((p) => p.slice(0, 40)).join(", ")}; known: ${Object.keys(PLACEHOLDERS).map((name) => `{{ ${name} }}`).join(", ")} (a literal {{ is written {{ '{{' }})`;
}

export function fillPlaceholders(text: string, values: Readonly<Record<PlaceholderName, string>>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => (name === LITERAL_OPEN ? "{{" : Object.hasOwn(values, name) ? values[name as PlaceholderName] : whole));
}

/** What one attempt needs to fill in: the run's times (absent for runs started before they existed). */
export interface AttemptIdentity {
  readonly jobId: string;
  readonly runId: string;
  readonly attempt: number;
  readonly times?: RunTimes;
}

/**
 * The container an attempt creates: the job's, with its placeholders filled in and the context variables
 * added (ACI_JOBS_JOB, ACI_JOBS_RUN_ID, ACI_JOBS_ATTEMPT; with a slot also ACI_JOBS_SLOT,
 * ACI_JOBS_INTERVAL_START and ACI_JOBS_INTERVAL_END).
 */
export function containerForAttempt(container: ContainerSpec, identity: AttemptIdentity): ContainerSpec {
  const { times } = identity;
  const values: Record<PlaceholderName, string> | undefined = times && {
    ds: times.ds,
    ds_nodash: times.ds.replaceAll("-", ""),
    ts: times.logicalDate,
    data_interval_start: times.intervalStart,
    data_interval_end: times.intervalEnd,
    run_id: identity.runId,
    job: identity.jobId,
    attempt: String(identity.attempt),
  };
  const fill = (text: string) => (values ? fillPlaceholders(text, values) : text);
  const environment: ContainerSpec["environment"] = {};
  for (const [name, value] of Object.entries(container.environment)) environment[name] = typeof value === "string" ? fill(value) : value;
  environment[`${CONTEXT_VARIABLE_PREFIX}JOB`] = identity.jobId;
  environment[`${CONTEXT_VARIABLE_PREFIX}RUN_ID`] = identity.runId;
  environment[`${CONTEXT_VARIABLE_PREFIX}ATTEMPT`] = String(identity.attempt);
  if (times?.slot) {
    environment[`${CONTEXT_VARIABLE_PREFIX}SLOT`] = times.slot;
    environment[`${CONTEXT_VARIABLE_PREFIX}INTERVAL_START`] = times.intervalStart;
    environment[`${CONTEXT_VARIABLE_PREFIX}INTERVAL_END`] = times.intervalEnd;
  }
  return { ...container, ...(container.command ? { command: container.command.map(fill) } : {}), environment };
}
