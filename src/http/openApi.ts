/**
 * @module
 * The HTTP API described: an OpenAPI 3.1 document of every route, served at GET /api/openapi.json.
 * Schemas are JSON Schema 2020-12 (the document's `jsonSchemaDialect`). test/integration/openApi.test.ts
 * keeps it true: it validates the document, checks every registered route is in it (and every path in it
 * is registered), and checks the real handlers' responses (status, content type, headers, body) against it.
 * So describe only what the handlers do; a field or status they do not produce does not belong here.
 */

/** A JSON Schema (2020-12), as OpenAPI 3.1's Schema Object is. */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };

/** `{ "$ref": "#/components/…" }`, resolved within this document. */
export interface OpenApiReference {
  readonly $ref: string;
  readonly description?: string;
}

export interface OpenApiParameter {
  readonly name: string;
  readonly in: "path" | "query" | "header";
  readonly description?: string;
  readonly required?: boolean;
  readonly schema: JsonSchema;
}

export interface OpenApiMediaType {
  readonly schema: JsonSchema;
  readonly example?: unknown;
}

export interface OpenApiHeader {
  readonly description?: string;
  readonly required?: boolean;
  readonly schema: JsonSchema;
}

export interface OpenApiRequestBody {
  readonly description?: string;
  readonly required?: boolean;
  readonly content: Readonly<Record<string, OpenApiMediaType>>;
}

export interface OpenApiResponse {
  readonly description: string;
  readonly headers?: Readonly<Record<string, OpenApiHeader | OpenApiReference>>;
  /** Absent for a response without a body. */
  readonly content?: Readonly<Record<string, OpenApiMediaType>>;
}

export interface OpenApiOperation {
  /** The name of the function that serves it, where the function exists. */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly parameters?: readonly (OpenApiParameter | OpenApiReference)[];
  readonly requestBody?: OpenApiRequestBody;
  /** By status code; every status the handler can answer with. */
  readonly responses: Readonly<Record<string, OpenApiResponse | OpenApiReference>>;
}

export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type OpenApiPathItem = { readonly [M in HttpMethod]?: OpenApiOperation } & {
  readonly parameters?: readonly (OpenApiParameter | OpenApiReference)[];
};

export interface OpenApiSecurityScheme {
  readonly type: "apiKey";
  readonly in: "query" | "header";
  readonly name: string;
  readonly description?: string;
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly jsonSchemaDialect: string;
  readonly info: { readonly title: string; readonly version: string; readonly description?: string; readonly license?: { readonly name: string; readonly identifier?: string } };
  readonly servers: readonly {
    readonly url: string;
    readonly description?: string;
    readonly variables?: Readonly<Record<string, { readonly default: string; readonly description?: string }>>;
  }[];
  readonly security: readonly Readonly<Record<string, readonly string[]>>[];
  readonly tags: readonly { readonly name: string; readonly description?: string }[];
  readonly paths: Readonly<Record<string, OpenApiPathItem>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>;
    readonly parameters: Readonly<Record<string, OpenApiParameter>>;
    readonly headers: Readonly<Record<string, OpenApiHeader>>;
    readonly responses: Readonly<Record<string, OpenApiResponse>>;
    readonly securitySchemes: Readonly<Record<string, OpenApiSecurityScheme>>;
  };
}

const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const parameter = (name: string): OpenApiReference => ({ $ref: `#/components/parameters/${name}` });
const header = (name: string): OpenApiReference => ({ $ref: `#/components/headers/${name}` });
const response = (name: string): OpenApiReference => ({ $ref: `#/components/responses/${name}` });

const PROBLEM = "application/problem+json";
const JSON_TYPE = "application/json";

/** An error answer: problem details, with `description` saying when. */
function problem(description: string): OpenApiResponse {
  return { description, content: { [PROBLEM]: { schema: schema("Problem") } } };
}

function json(description: string, body: JsonSchema, headers?: Readonly<Record<string, OpenApiHeader | OpenApiReference>>): OpenApiResponse {
  return { description, ...(headers ? { headers } : {}), content: { [JSON_TYPE]: { schema: body } } };
}

/** The answers every handler can give whatever the request: a missing key (the host's) and a bug (ours). */
const always = { "401": response("Unauthorized"), "500": response("InternalError") };

const dateTime = { type: "string", format: "date-time" } as const;
const strings = { type: "array", items: { type: "string" } } as const;

const RUN_STATES = ["pending", "queued", "running", "canceling", "succeeded", "failed", "timedOut", "canceled", "terminated", "error"] as const;
const RUN_PHASES = ["queued", "creating", "watching", "collectingLogs", "deleting", "waitingToRetry", "finished"] as const;
const ATTEMPT_OUTCOMES = ["succeeded", "failed", "timedOut", "canceled"] as const;
const CLEANUPS = ["deleted", "alreadyGone", "notCreated", "notOurs", "kept", "failed", "unknown"] as const;
const ATTEMPT_REASONS = [
  "exitCode",
  "oomKilled",
  "imagePull",
  "provisioningFailed",
  "unhealthy",
  "deletedOutside",
  "stoppedOutside",
  "groupExists",
  "rejected",
  "capacity",
  "spotEvicted",
  "secretUnavailable",
  "credentialUnavailable",
  "forbidden",
  "activityFailed",
  "containerTimeout",
  "timedOut",
] as const;
const FAILURE_CLASSES = ["exitCode", "oomKilled", "imagePull", "provisioning", "spotEvicted", "capacity", "azureUnavailable", "containerTimeout", "groupExists"] as const;

/** The fields GET /api/jobs and GET /api/jobs/{job} share (describeJob in src/functions/jobsApi.ts, and `paused`). */
const jobProperties = {
  id: { type: "string", description: "The job's id, as in its definition and the routes." },
  description: { type: "string" },
  schedule: {
    description: "The job's schedule, or null for a job that only runs on request.",
    anyOf: [schema("JobSchedule"), { type: "null" }],
  },
  maxActiveRuns: { type: "integer", minimum: 1 },
  pauseAfterFailures: { type: "integer", minimum: 1, description: "Present when the job pauses its schedule after this many scheduled runs in a row failed." },
  retries: { type: "integer", minimum: 0 },
  retryDelay: { type: "string", description: "A duration such as `5m`." },
  timeout: { type: "string", description: "The run's time budget, a duration such as `1d`." },
  container: schema("JobContainer"),
  overrides: schema("JobOverrides"),
  paused: {
    description: "null, or since when, by whom and why the job's schedule is paused.",
    anyOf: [schema("PauseRecord"), { type: "null" }],
  },
} as const;
const jobRequired = ["id", "schedule", "maxActiveRuns", "retries", "retryDelay", "timeout", "container", "overrides", "paused"] as const;

/** Run request fields that a started run records, looser than a request (no limits re-stated). */
const runOverrideProperties = {
  command: { ...strings, description: "Replaces the container's command (exec form)." },
  environment: { type: "object", additionalProperties: { type: "string" }, description: "Plain variables set or replaced for this run." },
  imageTag: { type: "string", description: "Replaces the tag of the job's image." },
  cpu: { type: "number" },
  memoryInGB: { type: "number" },
  slot: { ...dateTime, description: "The past schedule slot the run is for." },
} as const;

const schemas: Readonly<Record<string, JsonSchema>> = {
  Problem: {
    type: "object",
    description:
      "RFC 9457 problem details. Every error reply is small whatever the request: `detail` is cut to 1,000 characters, `errors` lists at most 20 entries (`errorsNotListed` counts the rest), each string in an entry is cut to 300 characters (a cut text ends in `…`).",
    properties: {
      type: { type: "string", format: "uri-reference", description: "`about:blank`: the status says what kind of problem it is." },
      title: { type: "string", description: "The status's reason phrase, such as `Conflict`." },
      status: { type: "integer", minimum: 400, maximum: 599 },
      detail: { type: "string", maxLength: 1000, description: "One or more sentences a person can act on." },
      errors: {
        type: "array",
        maxItems: 20,
        description: "What was refused: request body fields (`field`, `message`) or query parameters (`parameter`, `problem`).",
        items: { anyOf: [schema("FieldProblem"), schema("ParameterProblem")] },
      },
      errorsNotListed: { type: "integer", minimum: 1, description: "How many more entries `errors` would have had." },
      activeRuns: { ...strings, description: "409 at the job's active-run limit: the runs that are active." },
      waitingRun: { type: "string", description: "409 with overlap bufferOne: the run that already waits in line." },
      state: {
        type: "string",
        description:
          "409: the state that refused the request: `paused`, `unscheduled` or `active` for a job's pause and resume (`unscheduled` for a backfill), or the finished run's state for a cancel.",
      },
      paused: { ...schema("PauseRecord"), description: "409 for a pause of a paused job: the pause in force." },
    },
    required: ["type", "title", "status", "detail"],
    additionalProperties: false,
  },
  FieldProblem: {
    type: "object",
    description: "One refused field of a request body (or the Idempotency-Key header); `(body)` for the body as a whole.",
    properties: { field: { type: "string", maxLength: 300 }, message: { type: "string", maxLength: 300 } },
    required: ["field", "message"],
    additionalProperties: false,
  },
  ParameterProblem: {
    type: "object",
    description: "One refused query parameter.",
    properties: { parameter: { type: "string", maxLength: 300 }, problem: { type: "string", maxLength: 300 } },
    required: ["parameter", "problem"],
    additionalProperties: false,
  },
  PauseRecord: {
    type: "object",
    properties: {
      since: dateTime,
      note: { type: "string" },
      by: { type: "string", description: "The signed-in caller who paused it, or `pauseAfterFailures`; absent when unknown (a function key names nobody)." },
    },
    required: ["since"],
    additionalProperties: false,
  },
  JobSchedule: {
    type: "object",
    properties: {
      expression: { type: "string", description: "As written in the definition (`@daily`, a cron expression)." },
      ncrontab: { type: "string", description: "The 6-field NCRONTAB it means." },
      timeZone: { type: "string", description: "`UTC`, or the IANA zone the expression is written in." },
      nextFireTimes: {
        type: "array",
        items: dateTime,
        maxItems: 10,
        description: "The next fire times (3 in the list, 10 for one job): UTC ones end in `Z`, a zoned schedule's are in its local time with the offset.",
      },
      timerSchedule: { type: "string", description: "For a zoned schedule: the UTC NCRONTAB its timer fires on." },
    },
    required: ["expression", "ncrontab", "timeZone", "nextFireTimes"],
    additionalProperties: false,
  },
  JobContainer: {
    type: "object",
    properties: {
      image: { type: "string" },
      region: { type: "string" },
      cpu: { type: "number" },
      memoryInGB: { type: "number" },
      groupName: { type: "string", description: "The fixed container group name, when the job has one." },
    },
    required: ["image", "region", "cpu", "memoryInGB"],
    additionalProperties: false,
  },
  JobOverrides: {
    type: "object",
    description: "The job's allow-list: what POST /api/jobs/{job}/runs may change for one run.",
    properties: {
      command: { type: "boolean" },
      environment: { ...strings, description: "Variables a run request may set." },
      imageTags: { ...strings, description: "Tags a run request may choose." },
      cpu: { type: "object", properties: { max: { type: "number" } }, required: ["max"], additionalProperties: false },
      memoryInGB: { type: "object", properties: { max: { type: "number" } }, required: ["max"], additionalProperties: false },
      slot: { type: "boolean", description: "Whether a run request may name a past schedule slot." },
    },
    required: ["command", "environment", "imageTags", "slot"],
    additionalProperties: false,
  },
  JobSummary: {
    type: "object",
    description: "A job as GET /api/jobs lists it (the next 3 fire times).",
    properties: jobProperties,
    required: jobRequired,
    additionalProperties: false,
  },
  JobList: {
    type: "object",
    properties: { jobs: { type: "array", items: schema("JobSummary") } },
    required: ["jobs"],
    additionalProperties: false,
  },
  Job: {
    type: "object",
    description: "One job (the next 10 fire times), with its schedule record.",
    properties: {
      ...jobProperties,
      consecutiveScheduledFailures: { type: "integer", minimum: 0, description: "For a job with `pauseAfterFailures`: scheduled runs that failed in a row." },
      scheduleRecord: { type: "array", maxItems: 10, items: schema("ScheduleAction"), description: "The newest 10 of the last 100 things the job's timer did, newest first." },
    },
    required: [...jobRequired, "scheduleRecord"],
    additionalProperties: false,
  },
  ScheduleAction: {
    description: "What the job's timer did with one slot.",
    oneOf: [
      {
        type: "object",
        description: "Started a run.",
        properties: { slot: dateTime, at: dateTime, action: { const: "started" }, runId: { type: "string" } },
        required: ["slot", "at", "action", "runId"],
        additionalProperties: false,
      },
      {
        type: "object",
        description: "Its run waits in line for a slot (overlap bufferOne, bufferAll, cancelOther).",
        properties: { slot: dateTime, at: dateTime, action: { const: "queued" }, runId: { type: "string" } },
        required: ["slot", "at", "action", "runId"],
        additionalProperties: false,
      },
      {
        type: "object",
        description: "The job's active-run limit let no run start.",
        properties: { slot: dateTime, at: dateTime, action: { const: "skippedOverlap" }, activeRunIds: strings },
        required: ["slot", "at", "action", "activeRunIds"],
        additionalProperties: false,
      },
      {
        type: "object",
        description: "The schedule was paused.",
        properties: { slot: dateTime, at: dateTime, action: { const: "skippedPaused" }, note: { type: "string" } },
        required: ["slot", "at", "action"],
        additionalProperties: false,
      },
      {
        type: "object",
        description: "Slots from `slot` to `until` (`count` of them) the timer never fired for, outside the catch-up window.",
        properties: { slot: dateTime, at: dateTime, action: { const: "missed" }, until: dateTime, count: { type: "integer", minimum: 1 } },
        required: ["slot", "at", "action", "until", "count"],
        additionalProperties: false,
      },
    ],
  },
  PauseRequest: {
    type: "object",
    properties: { note: { type: "string", minLength: 1, maxLength: 500, description: "Why (1 to 500 characters, not only spaces)." } },
    additionalProperties: false,
  },
  RunRequest: {
    type: "object",
    description: "Changes to this one run, each only as far as the job's `overrides` allow-list permits. Empty or `{}`: the job as defined.",
    properties: {
      command: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 256, description: "Exec form; at most 64 KiB in all. Needs `overrides.command`." },
      environment: {
        type: "object",
        additionalProperties: { type: "string" },
        maxProperties: 100,
        description: "Plain variables to set or replace (each value at most 32 KiB). Each name must be in `overrides.environment`; a Key Vault reference is never replaced.",
      },
      imageTag: { type: "string", pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", description: "One of `overrides.imageTags`." },
      cpu: { type: "number", exclusiveMinimum: 0, description: "At most `overrides.cpu.max`; 1 to 31 vCPU in steps of 0.1." },
      memoryInGB: { type: "number", exclusiveMinimum: 0, description: "At most `overrides.memoryInGB.max`; 1 to 240 GB in steps of 0.1." },
      slot: { ...dateTime, description: "A past slot of the job's schedule (needs `overrides.slot`)." },
    },
    additionalProperties: false,
  },
  RunStarted: {
    type: "object",
    properties: {
      runId: { type: "string" },
      job: { type: "string" },
      statusUrl: { type: "string", format: "uri", description: "GET it to follow the run (also the `Location` header)." },
      state: { const: "queued", description: "Present when the run waits in line for a slot (overlap bufferOne, bufferAll, cancelOther)." },
      canceledRuns: { ...strings, description: "With overlap cancelOther: the runs canceled for this one." },
    },
    required: ["runId", "job", "statusUrl"],
    additionalProperties: false,
  },
  RerunStarted: {
    type: "object",
    properties: {
      runId: { type: "string", description: "The new run." },
      job: { type: "string" },
      rerunOf: { type: "string", description: "The run it reruns." },
      statusUrl: { type: "string", format: "uri" },
      state: { const: "queued", description: "Present when the new run waits in line for a slot." },
      canceledRuns: { ...strings, description: "With overlap cancelOther: the runs canceled for this one." },
    },
    required: ["runId", "job", "rerunOf", "statusUrl"],
    additionalProperties: false,
  },
  BackfillRequest: {
    type: "object",
    properties: {
      from: { ...dateTime, description: "The first slot's earliest time (included); not in the future." },
      to: { ...dateTime, description: "The last slot's latest time (included); not in the future, not before `from`." },
      order: { enum: ["oldestFirst", "newestFirst"], default: "oldestFirst" },
    },
    required: ["from", "to"],
    additionalProperties: false,
  },
  BackfillAccepted: {
    type: "object",
    properties: {
      job: { type: "string" },
      order: { enum: ["oldestFirst", "newestFirst"] },
      runs: {
        type: "array",
        minItems: 1,
        maxItems: 100,
        items: {
          type: "object",
          properties: { slot: dateTime, runId: { type: "string" }, state: { enum: ["started", "queued"] } },
          required: ["slot", "runId", "state"],
          additionalProperties: false,
        },
      },
    },
    required: ["job", "order", "runs"],
    additionalProperties: false,
  },
  CancelRunRequest: {
    type: "object",
    properties: { reason: { type: "string", minLength: 1, maxLength: 500, description: "Why (1 to 500 characters, not only spaces), kept in the run's record." } },
    additionalProperties: false,
  },
  CancelAccepted: {
    type: "object",
    properties: { runId: { type: "string" }, job: { type: "string" }, state: { const: "canceling" }, statusUrl: { type: "string", format: "uri" } },
    required: ["runId", "job", "state", "statusUrl"],
    additionalProperties: false,
  },
  RunState: {
    enum: RUN_STATES,
    description:
      "`queued`: waiting in line for a slot; `canceling`: a cancel reached the run and it is deleting its group; `error`: the orchestration itself failed (a bug worth reporting).",
  },
  RunTrigger: {
    description: "What started the run.",
    oneOf: [
      { type: "object", properties: { kind: { const: "http" } }, required: ["kind"], additionalProperties: false },
      { type: "object", properties: { kind: { const: "cli" } }, required: ["kind"], additionalProperties: false },
      {
        type: "object",
        properties: { kind: { const: "schedule" }, slot: dateTime, pastDue: { type: "boolean" } },
        required: ["kind", "slot", "pastDue"],
        additionalProperties: false,
      },
      { type: "object", properties: { kind: { const: "rerun" }, rerunOf: { type: "string" } }, required: ["kind", "rerunOf"], additionalProperties: false },
      { type: "object", properties: { kind: { const: "backfill" }, slot: dateTime }, required: ["kind", "slot"], additionalProperties: false },
    ],
  },
  RunOverrides: {
    type: "object",
    description: "The run request's fields, as accepted.",
    properties: runOverrideProperties,
    additionalProperties: false,
  },
  RunTimes: {
    type: "object",
    description: "What the container is told: the slot, logical date and data interval.",
    properties: {
      slot: dateTime,
      logicalDate: dateTime,
      ds: { type: "string", format: "date" },
      intervalStart: dateTime,
      intervalEnd: dateTime,
    },
    required: ["logicalDate", "ds", "intervalStart", "intervalEnd"],
    additionalProperties: false,
  },
  CancelRequest: {
    type: "object",
    properties: {
      requestedAt: dateTime,
      by: { type: "string", description: "The signed-in caller, or the tool that asked; absent when unknown." },
      reason: { type: "string" },
    },
    required: ["requestedAt"],
    additionalProperties: false,
  },
  AttemptSummary: {
    type: "object",
    properties: {
      attempt: { type: "integer", minimum: 1 },
      outcome: { enum: ATTEMPT_OUTCOMES },
      reason: { enum: ATTEMPT_REASONS },
      exitCode: { type: "integer" },
      cleanup: { enum: CLEANUPS },
    },
    required: ["attempt", "outcome", "cleanup"],
    additionalProperties: false,
  },
  ContainerObservation: {
    type: "object",
    description: "While the run watches its container: what the watch last saw.",
    properties: { phase: { type: "string" }, provisioningState: { type: "string" }, polls: { type: "integer", minimum: 0 } },
    required: ["phase", "provisioningState", "polls"],
    additionalProperties: false,
  },
  RunProgress: {
    type: "object",
    properties: {
      phase: { enum: RUN_PHASES },
      attempt: { type: "integer", minimum: 0, description: "The current attempt (0 before the first)." },
      groupName: { type: "string" },
      nextAttemptAt: { ...dateTime, description: "While waiting to retry." },
      attempts: { type: "array", items: schema("AttemptSummary"), description: "One-line summaries of the finished attempts." },
      cancelRequested: { ...schema("CancelRequest"), description: "Once a cancel reached the run." },
      queuePosition: { type: "integer", minimum: 1, description: "While queued: its place in line (1 is next)." },
      container: schema("ContainerObservation"),
    },
    required: ["phase", "attempt", "groupName", "attempts"],
    additionalProperties: false,
  },
  PhaseTimings: {
    type: "object",
    description: "Milliseconds per phase of the attempt.",
    properties: {
      createMs: { type: "number", minimum: 0 },
      provisioningMs: { type: "number", minimum: 0 },
      runMs: { type: "number", minimum: 0 },
      logsMs: { type: "number", minimum: 0 },
      deleteMs: { type: "number", minimum: 0 },
    },
    additionalProperties: false,
  },
  AttemptRecord: {
    type: "object",
    properties: {
      attempt: { type: "integer", minimum: 1 },
      groupName: { type: "string" },
      outcome: { enum: ATTEMPT_OUTCOMES },
      reason: { enum: ATTEMPT_REASONS, description: "For `failed` and `timedOut`: why (docs/jobs.md has the table)." },
      detail: { type: "string" },
      exitCode: { type: "integer" },
      finalState: { type: "string", description: "The container's detail status or the group's provisioning state at the end." },
      restartCount: { type: "integer", minimum: 0 },
      failureClass: { enum: FAILURE_CLASSES, description: "The reason's class in the job's `retryOn`; absent for success and never-retried reasons." },
      retryable: { type: "boolean" },
      priority: { enum: ["Regular", "Spot"] },
      startedAt: dateTime,
      finishedAt: dateTime,
      timings: schema("PhaseTimings"),
      logLines: { type: "integer", minimum: 0, description: "Lines streamed." },
      logTail: { ...strings, description: "The last lines (at most 50 lines / 4,000 characters), redacted of the job's secrets." },
      logLinesMissed: { type: "boolean" },
      logArchive: {
        type: "object",
        description: "The attempt's log record in the host storage account's `aci-jobs-runs` container.",
        properties: { path: { type: "string" }, lines: { type: "integer", minimum: 0 }, unarchived: { type: "integer", minimum: 0 } },
        required: ["path", "lines", "unarchived"],
        additionalProperties: false,
      },
      events: { ...strings, description: "For failures: ACI's last few events." },
      cleanup: { enum: CLEANUPS },
      cleanupError: { type: "string" },
    },
    required: ["attempt", "groupName", "outcome", "detail", "retryable", "priority", "startedAt", "finishedAt", "timings", "logLines", "logTail", "logLinesMissed", "cleanup"],
    additionalProperties: false,
  },
  RunResult: {
    type: "object",
    properties: {
      runId: { type: "string" },
      jobId: { type: "string" },
      status: { enum: ["succeeded", "failed", "timedOut", "canceled"] },
      detail: { type: "string" },
      exitCode: { type: "integer", description: "The last attempt's." },
      trigger: schema("RunTrigger"),
      startedAt: dateTime,
      finishedAt: dateTime,
      attempts: { type: "array", items: schema("AttemptRecord"), description: "Empty for a run canceled while it waited in line." },
      logs: { ...strings, description: "The last attempt's log lines, per the job's `resultLogs` (`all` or `last`)." },
      overrides: schema("RunOverrides"),
      cancellation: {
        type: "object",
        description: "When the run was canceled: who asked, when, why, and what the run was doing when the cancel reached it.",
        properties: { requestedAt: dateTime, by: { type: "string" }, reason: { type: "string" }, phase: { enum: RUN_PHASES } },
        required: ["requestedAt", "phase"],
        additionalProperties: false,
      },
      notification: {
        description: "When the job has `notify` for this outcome: whether its webhook was told (never the webhook's URL).",
        oneOf: [
          { type: "object", properties: { delivered: { const: true }, at: dateTime }, required: ["delivered", "at"], additionalProperties: false },
          { type: "object", properties: { delivered: { const: false }, error: { type: "string" } }, required: ["delivered", "error"], additionalProperties: false },
        ],
      },
    },
    required: ["runId", "jobId", "status", "detail", "trigger", "startedAt", "finishedAt", "attempts"],
    additionalProperties: false,
  },
  RunView: {
    type: "object",
    description: "A run as the app sees it.",
    properties: {
      runId: { type: "string" },
      job: { type: "string" },
      state: schema("RunState"),
      trigger: schema("RunTrigger"),
      overrides: { ...schema("RunOverrides"), description: "Present when the run was started with a body." },
      times: { ...schema("RunTimes"), description: "Present for runs started by this version." },
      createdAt: dateTime,
      lastUpdatedAt: dateTime,
      progress: { ...schema("RunProgress"), description: "While the run is active." },
      result: { ...schema("RunResult"), description: "Once it has finished." },
      detail: { type: "string", description: "For `error` and `terminated`: what happened to the orchestration." },
    },
    required: ["runId", "job", "state", "trigger", "createdAt", "lastUpdatedAt"],
    additionalProperties: false,
  },
  RunSummary: {
    type: "object",
    description: "A run as the run lists show it.",
    properties: {
      runId: { type: "string" },
      job: { type: "string" },
      state: schema("RunState"),
      trigger: schema("RunTrigger"),
      slot: { ...dateTime, description: "The schedule slot the run is for, when it is for one." },
      createdAt: dateTime,
      startedAt: dateTime,
      finishedAt: dateTime,
      attempts: { type: "integer", minimum: 0, description: "Attempts made so far." },
      exitCode: { type: "integer" },
      reason: { type: "string" },
      detail: { type: "string" },
    },
    required: ["runId", "job", "state", "trigger", "createdAt", "attempts"],
    additionalProperties: false,
  },
  RunPage: {
    type: "object",
    properties: {
      runs: { type: "array", maxItems: 100, items: schema("RunSummary"), description: "Newest first." },
      continuationToken: {
        type: ["string", "null"],
        description: "Pass it as `continuationToken` for the next page; null on the last page.",
      },
    },
    required: ["runs", "continuationToken"],
    additionalProperties: false,
  },
  OpenApiDocument: {
    type: "object",
    description: "This document.",
    properties: { openapi: { type: "string", pattern: "^3\\.1\\.\\d+$" }, info: { type: "object" }, paths: { type: "object" } },
    required: ["openapi", "info", "paths"],
  },
};

const parameters: Readonly<Record<string, OpenApiParameter>> = {
  job: {
    name: "job",
    in: "path",
    required: true,
    description: "The job's id (GET /api/jobs lists them). An unknown id is answered 404.",
    schema: { type: "string" },
  },
  runId: {
    name: "runId",
    in: "path",
    required: true,
    description:
      "A run id of the job in the path, of one of the two shapes this app creates: `<job>-<yyyymmddThhmmssZ>-<8 lowercase hex digits>` (started on request) or `<job>-scheduled-<yyyymmddThhmmssZ>` (a schedule slot). Any other id is answered 404 without being looked up or echoed.",
    schema: { type: "string" },
  },
  state: {
    name: "state",
    in: "query",
    description: "Only runs in this state; `active` is pending, queued, running or canceling.",
    schema: { enum: ["pending", "queued", "running", "canceling", "succeeded", "failed", "timedOut", "canceled", "terminated", "error", "active"] },
  },
  since: {
    name: "since",
    in: "query",
    description: "Only runs created at or after this ISO 8601 instant (with its offset).",
    schema: dateTime,
  },
  limit: {
    name: "limit",
    in: "query",
    description: "Runs per page.",
    schema: { type: "integer", minimum: 1, maximum: 100, default: 50 },
  },
  continuationToken: {
    name: "continuationToken",
    in: "query",
    description: "The `continuationToken` of the previous page (opaque).",
    schema: { type: "string" },
  },
  attempt: {
    name: "attempt",
    in: "query",
    description: "Which attempt's log; default the run's last attempt.",
    schema: { type: "integer", minimum: 1, maximum: 1000 },
  },
  tail: {
    name: "tail",
    in: "query",
    description: "Only the last N lines.",
    schema: { type: "integer", minimum: 1, maximum: 100000 },
  },
  idempotencyKey: {
    name: "Idempotency-Key",
    in: "header",
    description:
      "Names this request for 24 hours, per job: a repeat with the same key and body answers 200 with the run the first one started and starts nothing; the same key with another body is 422. 1 to 255 printable ASCII characters, as a token or a structured-field string (`\"…\"`); anything else is 400. A UUID is a good key.",
    schema: { type: "string", minLength: 1, maxLength: 257 },
  },
};

const headers: Readonly<Record<string, OpenApiHeader>> = {
  Location: { description: "The run's URL (GET it to follow the run).", required: true, schema: { type: "string", format: "uri" } },
  RetryAfter: { description: "Seconds to wait before looking at the run.", required: true, schema: { type: "integer", minimum: 0 } },
};

const responses: Readonly<Record<string, OpenApiResponse>> = {
  Unauthorized: {
    description: "The function key is missing or wrong. The Functions host answers this, with no body, before any handler runs (`func start` on a laptop checks no keys).",
  },
  InternalError: problem("Something failed on our side (a storage or Durable call, a bug); `detail` names the invocation whose function log has the details. Never a stack trace."),
  NotFoundJob: problem("No such job."),
  NotFoundRun: problem("No such job, no such run of it, or a run id of a shape this app never gives (not echoed)."),
  ContentTooLarge: problem("The body is larger than 64 KiB (65,536 bytes): refused before it is parsed, at once when `Content-Length` says so, otherwise as soon as the bytes read pass the limit."),
  NoStorage: problem("No storage is configured (AzureWebJobsStorage or AzureWebJobsStorage__blobServiceUri)."),
};

const runListParameters = [parameter("state"), parameter("since"), parameter("limit"), parameter("continuationToken")];
const runListBadRequest = problem("A query parameter is not valid (`state`, `since`, `limit`, or a `continuationToken` this app did not give); `errors` names it (`{ \"parameter\", \"problem\" }`).");

export const OPEN_API_DOCUMENT: OpenApiDocument = {
  openapi: "3.1.0",
  jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
  info: {
    title: "aci-jobs",
    version: "0.1.0",
    description:
      "Scheduled and on-demand container jobs in Azure Container Instances. docs/api.md describes each route in prose. Errors are RFC 9457 problem details (`application/problem+json`).",
    license: { name: "MIT", identifier: "MIT" },
  },
  servers: [
    { url: "/", description: "The app this document was loaded from." },
    {
      url: "https://{app}.azurewebsites.net",
      description: "A deployed app.",
      variables: { app: { default: "your-function-app", description: "The function app's name." } },
    },
    { url: "http://localhost:7071", description: "`func start` on a laptop (it checks no keys)." },
  ],
  security: [{ functionKeyHeader: [] }, { functionKeyQuery: [] }],
  tags: [
    { name: "jobs", description: "The jobs, their schedules and pauses." },
    { name: "runs", description: "Starting, reading, rerunning and canceling runs." },
    { name: "api", description: "This document." },
  ],
  paths: {
    "/api/jobs": {
      get: {
        operationId: "listJobs",
        summary: "List the jobs",
        description: "Each job with its schedule, the next three fire times, what a caller may override for one run, and whether its schedule is paused.",
        tags: ["jobs"],
        responses: { "200": json("The jobs.", schema("JobList")), ...always },
      },
    },
    "/api/jobs/{job}": {
      get: {
        operationId: "getJob",
        summary: "Read one job",
        description: "The job as listed, with the next 10 fire times, its pause and its schedule record.",
        tags: ["jobs"],
        parameters: [parameter("job")],
        responses: { "200": json("The job.", schema("Job")), "404": response("NotFoundJob"), ...always },
      },
    },
    "/api/jobs/{job}/pause": {
      post: {
        operationId: "pauseJob",
        summary: "Pause the job's schedule",
        description: "Stops the job's timer from starting runs until resumed; runs on request still start.",
        tags: ["jobs"],
        parameters: [parameter("job")],
        requestBody: { required: false, content: { [JSON_TYPE]: { schema: schema("PauseRequest") } } },
        responses: {
          "200": json("Paused: the job as GET /api/jobs/{job} shows it.", schema("Job")),
          "400": problem("The body is not JSON, has a field other than `note`, or `note` is not a string of 1 to 500 characters; `errors` names the field."),
          "404": response("NotFoundJob"),
          "409": problem("The job is already paused (`state: \"paused\"`, with the pause in `paused`), or it has no schedule (`state: \"unscheduled\"`)."),
          "413": response("ContentTooLarge"),
          "503": problem("No storage is configured, so there is nowhere to keep the pause."),
          ...always,
        },
      },
    },
    "/api/jobs/{job}/resume": {
      post: {
        operationId: "resumeJob",
        summary: "Resume the job's schedule",
        description: "Lets the job's timer start runs again, and starts its count of failed scheduled runs afresh. No body.",
        tags: ["jobs"],
        parameters: [parameter("job")],
        responses: {
          "200": json("Resumed: the job as GET /api/jobs/{job} shows it.", schema("Job")),
          "404": response("NotFoundJob"),
          "409": problem("The job is not paused (`state: \"active\"`), or it has no schedule (`state: \"unscheduled\"`)."),
          "503": problem("No storage is configured, so there is nowhere to keep the pause."),
          ...always,
        },
      },
    },
    "/api/jobs/{job}/runs": {
      get: {
        operationId: "listJobRuns",
        summary: "List the job's runs",
        description: "The job's runs, newest first, a page at a time.",
        tags: ["runs"],
        parameters: [parameter("job"), ...runListParameters],
        responses: {
          "200": json("A page of runs.", schema("RunPage")),
          "400": runListBadRequest,
          "404": response("NotFoundJob"),
          "503": response("NoStorage"),
          ...always,
        },
      },
      post: {
        operationId: "startJobRun",
        summary: "Start a run now",
        description:
          "With an empty body or `{}` the run uses the job as defined; a JSON body can change this one run within the job's `overrides` allow-list. The merged container is validated again with the rules of a job definition.",
        tags: ["runs"],
        parameters: [parameter("job"), parameter("idempotencyKey")],
        requestBody: { required: false, content: { [JSON_TYPE]: { schema: schema("RunRequest") } } },
        responses: {
          "200": json(
            "The `Idempotency-Key` was seen before for this job with the same body: the run that request started; nothing new started.",
            schema("RunStarted"),
            { Location: header("Location") },
          ),
          "202": json("Started (or queued, `state: \"queued\"`).", schema("RunStarted"), { Location: header("Location"), "Retry-After": header("RetryAfter") }),
          "400": problem(
            "The body is not JSON, not an object, has fields a run request does not know, or asks for something the job does not allow (`errors` lists the fields as `{ \"field\", \"message\" }`); or the `Idempotency-Key` header is not 1 to 255 printable ASCII characters. Nothing is started.",
          ),
          "404": response("NotFoundJob"),
          "409": problem(
            "The job's active-run limit is reached (`activeRuns`; with overlap bufferOne also when a run already waits, `waitingRun`), or a request with this `Idempotency-Key` is still starting its run (retry in a few seconds).",
          ),
          "413": response("ContentTooLarge"),
          "422": problem("The `Idempotency-Key` was used for this job within 24 hours with a different body."),
          "503": problem("No storage is configured for run coordination (nor for idempotency keys)."),
          ...always,
        },
      },
    },
    "/api/runs": {
      get: {
        operationId: "listRuns",
        summary: "List the runs of all jobs",
        description: "Every job's runs, newest first, a page at a time.",
        tags: ["runs"],
        parameters: runListParameters,
        responses: { "200": json("A page of runs.", schema("RunPage")), "400": runListBadRequest, "503": response("NoStorage"), ...always },
      },
    },
    "/api/jobs/{job}/runs/{runId}": {
      get: {
        operationId: "getJobRun",
        summary: "Read a run",
        description: "The run's state, progress while it is active and result once it has finished.",
        tags: ["runs"],
        parameters: [parameter("job"), parameter("runId")],
        responses: { "200": json("The run.", schema("RunView")), "404": response("NotFoundRun"), ...always },
      },
    },
    "/api/jobs/{job}/runs/{runId}/logs": {
      get: {
        operationId: "getJobRunLogs",
        summary: "Read a run attempt's archived log",
        description: "The attempt's whole output as archived in the host storage account, one line per line.",
        tags: ["runs"],
        parameters: [parameter("job"), parameter("runId"), parameter("attempt"), parameter("tail")],
        responses: {
          "200": {
            description: "The archived log.",
            headers: {
              "X-Aci-Jobs-Archived-Lines": {
                description: "For a finished run's attempt: the lines its log record holds.",
                schema: { type: "integer", minimum: 0 },
              },
              "X-Aci-Jobs-Unarchived-Lines": {
                description: "For a finished run's attempt: lines a storage fault kept out of the record (they are in the function log only).",
                schema: { type: "integer", minimum: 0 },
              },
            },
            content: { "text/plain; charset=utf-8": { schema: { type: "string" } } },
          },
          "400": problem("`attempt` or `tail` is not valid; `errors` names it (`{ \"parameter\", \"problem\" }`)."),
          "404": problem("No such job or run, no such attempt, or no archive for it (archiving failed, or the run predates archiving)."),
          "503": response("NoStorage"),
          ...always,
        },
      },
    },
    "/api/jobs/{job}/backfill": {
      post: {
        operationId: "backfillJob",
        summary: "Backfill past slots of the job's schedule",
        description:
          "One run per slot from `from` to `to` (both included), oldest first or newest first, each for its slot. A backfill never skips: runs that find the job's slots taken wait in line, whatever the job's overlap policy.",
        tags: ["runs"],
        parameters: [parameter("job")],
        requestBody: { required: true, content: { [JSON_TYPE]: { schema: schema("BackfillRequest") } } },
        responses: {
          "202": json("The runs, one per slot, `started` or `queued`.", schema("BackfillAccepted")),
          "400": problem(
            "The body is not JSON; `from` or `to` is missing, not an ISO 8601 time with its offset, in the future, or reversed; `order` is not `oldestFirst` / `newestFirst`; or the range holds no slot, or more than 100. `errors` names the field.",
          ),
          "404": response("NotFoundJob"),
          "409": problem("The job has no schedule (`state: \"unscheduled\"`), or a run could not claim a place (`activeRuns`)."),
          "413": response("ContentTooLarge"),
          "503": response("NoStorage"),
          ...always,
        },
      },
    },
    "/api/jobs/{job}/runs/{runId}/rerun": {
      post: {
        operationId: "rerunJobRun",
        summary: "Rerun a run",
        description:
          "A new run with the run's own job snapshot (the definition as it was), overrides, slot, logical date and data interval. It claims a slot like any start. No body.",
        tags: ["runs"],
        parameters: [parameter("job"), parameter("runId")],
        responses: {
          "202": json("Started (or queued, `state: \"queued\"`).", schema("RerunStarted"), { Location: header("Location"), "Retry-After": header("RetryAfter") }),
          "404": response("NotFoundRun"),
          "409": problem("The job's active-run limit is reached (`activeRuns`; `waitingRun` with overlap bufferOne)."),
          "503": response("NoStorage"),
          ...always,
        },
      },
    },
    "/api/jobs/{job}/runs/{runId}/cancel": {
      post: {
        operationId: "cancelJobRun",
        summary: "Cancel a run",
        description:
          "Asks the run to stop: its container group is deleted within seconds, no retry follows, and it ends `canceled` with who asked, when and why. `202` means accepted, not done: GET the run to see how it ended.",
        tags: ["runs"],
        parameters: [parameter("job"), parameter("runId")],
        requestBody: { required: false, content: { [JSON_TYPE]: { schema: schema("CancelRunRequest") } } },
        responses: {
          "202": json("The run has the request and is stopping.", schema("CancelAccepted"), { Location: header("Location"), "Retry-After": header("RetryAfter") }),
          "400": problem("The body is not JSON, has a field other than `reason`, or `reason` is not a string of 1 to 500 characters; `errors` names the field."),
          "404": response("NotFoundRun"),
          "409": problem("The run has already finished; `state` says how."),
          "413": response("ContentTooLarge"),
          ...always,
        },
      },
    },
    "/api/openapi.json": {
      get: {
        operationId: "getOpenApiDocument",
        summary: "This document",
        description: "The OpenAPI 3.1 description of the API. Load it in Swagger UI, Postman or a client generator.",
        tags: ["api"],
        responses: { "200": json("The OpenAPI document.", schema("OpenApiDocument")), "401": response("Unauthorized") },
      },
    },
  },
  components: {
    schemas,
    parameters,
    headers,
    responses,
    securitySchemes: {
      functionKeyHeader: { type: "apiKey", in: "header", name: "x-functions-key", description: "A function or host key of the app (`authLevel: function`)." },
      functionKeyQuery: { type: "apiKey", in: "query", name: "code", description: "The same key as the `code` query parameter." },
    },
  },
};
