// Checks the alerts in the compiled ARM template (infra/app/alerts.bicep, infra/core/monitor/log-search-alert.bicep)
// against the events the app sends (src/telemetry/events.ts): each rule watches the right event in customEvents,
// reads only fields that event has, filters on values the contract defines, splits its alerts by columns the query
// returns, and is scoped to the environment's Application Insights component; the action group exists only when an
// e-mail address is given. The queries, and those docs/deploy.md offers for workbooks, are parsed and bound to the
// customEvents schema by Microsoft's Kusto language service (dev/infra/kql.ts), which finds what Azure would refuse
// when the rule is created.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, beforeEach, describe, expect, it, type TestContext } from "vitest";
import {
  TelemetryEvents,
  type GroupNotDeletedDimensions,
  type NotificationFailedDimensions,
  type RunFinishedDimensions,
  type ScheduleSlotDimensions,
  type TelemetryEventName,
} from "../../src/telemetry/events.js";
import { APP_INSIGHTS_TABLES, loadKqlChecker, type KqlChecker } from "../../dev/infra/kql.js";
import { ROOT, collect, compiledTemplate, moduleParameters, type ArmTemplate, type Located } from "./armTemplate.js";

const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

// The fields of each event, as values. A Record over the interface's keys must name every key and no other, so
// a field added to or removed from the contract fails to compile here until the list follows.
const RUN_FINISHED: Record<keyof RunFinishedDimensions, true> = {
  job: true, runId: true, state: true, reason: true, exitCode: true, trigger: true, slot: true, attempts: true,
  startedAt: true, finishedAt: true, detail: true,
};
const GROUP_NOT_DELETED: Record<keyof GroupNotDeletedDimensions, true> = {
  job: true, runId: true, group: true, resourceGroup: true, by: true, error: true,
};
const SCHEDULE_SLOT: Record<keyof ScheduleSlotDimensions, true> = {
  job: true, slot: true, action: true, runId: true, count: true, nextSlot: true,
};
const NOTIFICATION_FAILED: Record<keyof NotificationFailedDimensions, true> = {
  job: true, runId: true, state: true, error: true,
};
const FIELDS: Record<TelemetryEventName, string[]> = {
  [TelemetryEvents.runFinished]: Object.keys(RUN_FINISHED),
  [TelemetryEvents.groupNotDeleted]: Object.keys(GROUP_NOT_DELETED),
  [TelemetryEvents.scheduleSlot]: Object.keys(SCHEDULE_SLOT),
  [TelemetryEvents.notificationFailed]: Object.keys(NOTIFICATION_FAILED),
};

/** A `where <column> in (...)` filter a rule must apply, with values typed by the contract. */
interface Filter {
  column: string;
  values: readonly string[];
}

interface ExpectedRule {
  /** The module deployment in infra/app/alerts.bicep. */
  deployment: string;
  event: TelemetryEventName;
  file: string;
  severity: number;
  dimensions: string[];
  windowSize: string;
  overrideQueryTimeRange?: string;
  filter?: Filter;
}

const FAILED_STATES = ["failed", "timedOut"] as const satisfies readonly RunFinishedDimensions["state"][];
const SKIPPED_ACTIONS = ["missed", "skippedOverlap"] as const satisfies readonly ScheduleSlotDimensions["action"][];

const RULES: ExpectedRule[] = [
  {
    deployment: "alert-run-failed",
    event: TelemetryEvents.runFinished,
    file: "run-failed.kql",
    severity: 2,
    dimensions: ["job", "runId", "state", "reason", "exitCode"],
    windowSize: "PT15M",
    filter: { column: "state", values: FAILED_STATES },
  },
  {
    deployment: "alert-group-not-deleted",
    event: TelemetryEvents.groupNotDeleted,
    file: "group-not-deleted.kql",
    severity: 1,
    dimensions: ["job", "group", "resourceGroup"],
    windowSize: "PT30M",
  },
  {
    deployment: "alert-slot-skipped",
    event: TelemetryEvents.scheduleSlot,
    file: "slot-skipped.kql",
    severity: 2,
    dimensions: ["job", "action", "slot"],
    windowSize: "PT15M",
    filter: { column: "action", values: SKIPPED_ACTIONS },
  },
  {
    deployment: "alert-slot-overdue",
    event: TelemetryEvents.scheduleSlot,
    file: "slot-overdue.kql",
    severity: 2,
    dimensions: ["job", "nextSlot"],
    windowSize: "PT5M",
    overrideQueryTimeRange: "P2D",
  },
  {
    deployment: "alert-notification-failed",
    event: TelemetryEvents.notificationFailed,
    file: "notification-failed.kql",
    severity: 3,
    dimensions: ["job", "runId", "state"],
    windowSize: "PT15M",
  },
];

/** Operators a log search alert query may not use (alerts-create-log-alert-rule, alerts-log-query on Learn). */
const UNSUPPORTED_IN_ALERTS = [/\bbag_unpack\b/u, /\bpivot\b/u, /\bnarrow\b/u, /\|\s*search\b/u, /\bunion\b/u, /\|\s*(take|limit)\b/u, /\bAggregatedValue\b/u];

let main: ArmTemplate;
let all: Located[];
let skipped: string | undefined;
let kql: KqlChecker;

beforeAll(() => {
  const compiled = compiledTemplate();
  if ("skipped" in compiled) {
    skipped = compiled.skipped;
    console.warn(`test/infra/alerts.test.ts: ${skipped}`);
  } else {
    main = compiled.template;
    all = collect(main);
  }
  kql = loadKqlChecker({ customEvents: APP_INSIGHTS_TABLES.customEvents, AppEvents: APP_INSIGHTS_TABLES.AppEvents });
}, 300_000);

/** Tests that read the compiled template skip with it (no .NET for the Bicep compiler). */
function needsTemplate(context: TestContext) {
  if (skipped) context.skip(skipped);
}

function needsKql(_context: TestContext): KqlChecker {
  return kql;
}

function deployment(pathNames: string[]): Located {
  const found = all.find(
    (l) => l.resource.type === "Microsoft.Resources/deployments" && [...l.path, l.resource.name].join("/") === pathNames.join("/"),
  );
  if (!found) throw new Error(`No module deployment ${pathNames.join("/")} in the compiled template`);
  return found;
}

function ofType(type: string): Located[] {
  return all.filter((l) => l.resource.type.toLowerCase() === type.toLowerCase());
}

/** The rule resource inside a rule's module deployment, and what the module is given. */
function rule(expected: ExpectedRule): { resource: Located; params: Record<string, unknown>; query: string } {
  const module = deployment(["alerts", expected.deployment]);
  const params = moduleParameters(module);
  const inside = all.filter((l) => l.path.join("/") === `alerts/${expected.deployment}`);
  expect(inside.map((l) => l.resource.type)).toEqual(["Microsoft.Insights/scheduledQueryRules"]);
  return { resource: inside[0]!, params, query: deployedQuery(params["query"], module.template) };
}

/**
 * The query text a rule module receives, with the grace at the template's default: either a variable holding
 * a loadTextContent() file, or (the absence rule) that variable with its `let grace = ...;` line replaced.
 */
function deployedQuery(value: unknown, template: ArmTemplate): string {
  const text = String(value);
  const variable = (name: string) => {
    const content = template.variables?.[name];
    expect(typeof content, `variable ${name} holds the query text`).toBe("string");
    return content as string;
  };
  const plain = /^\[variables\('([^']+)'\)\]$/u.exec(text);
  if (plain) return variable(plain[1]!);
  const replaced = /^\[replace\(variables\('([^']+)'\), '([^']*)', format\('([^']*)', parameters\('(\w+)'\)\)\)\]$/u.exec(text);
  if (replaced) {
    const [, name, search, format, parameter] = replaced;
    const fileText = variable(name!);
    expect(fileText.split(search!).length - 1, `the query file has "${search}" exactly once, so the template's value replaces it`).toBe(1);
    const alertsModule = deployment(["alerts"]);
    const passed = moduleParameters(alertsModule)[parameter!];
    expect(passed, `alerts.bicep's ${parameter} comes from main.bicep's parameter of the same name`).toBe(`[parameters('${parameter}')]`);
    const defaultValue = main.parameters?.[parameter!]?.defaultValue;
    return fileText.replace(search!, format!.replace("{0}", String(defaultValue)));
  }
  throw new Error(`Unexpected query expression: ${text}`);
}

/** Fields a query reads out of customDimensions (or Properties, in the workspace's AppEvents). */
function fieldsRead(query: string): string[] {
  const found = [...query.matchAll(/\b(?:customDimensions|Properties)(?:\.(\w+)|\[\s*["'](\w+)["']\s*\])/gu)].map((m) => m[1] ?? m[2]!);
  return [...new Set(found)];
}

/** Events a query selects with `name == "..."` (or `Name == "..."`). */
function eventsSelected(query: string): string[] {
  return [...query.matchAll(/\b(?:name|Name)\s*==\s*"(\w+)"/gu)].map((m) => m[1]!);
}

function kqlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```kusto\n([\s\S]*?)^```/gmu)].map((m) => m[1]!);
}

function docSection(heading: string): string {
  const parts = read("docs/deploy.md").split(/^(?=## )/mu);
  const section = parts.find((part) => part.split("\n", 1)[0] === heading);
  expect(section, `docs/deploy.md has a section "${heading}"`).toBeDefined();
  return section!;
}

describe("the alert rules", () => {
  beforeEach(needsTemplate);

  it("are one log search alert rule per alert, all in infra/app/alerts.bicep, scoped to the Application Insights component", () => {
    const rules = ofType("Microsoft.Insights/scheduledQueryRules");
    expect(rules.map((r) => r.path.join("/")).sort()).toEqual(RULES.map((r) => `alerts/${r.deployment}`).sort());
    for (const r of rules) {
      expect(r.resource).toMatchObject({ kind: "LogAlert" });
      expect(r.resource.properties?.["scopes"]).toEqual(["[resourceId('Microsoft.Insights/components', parameters('applicationInsightsName'))]"]);
    }
    // The component the rules query is the one the monitoring module creates and the app sends to.
    const passed = moduleParameters(deployment(["alerts"]))["applicationInsightsName"];
    expect(passed).toBe("[variables('names').applicationInsights]");
    expect(moduleParameters(deployment(["monitoring"]))["applicationInsightsName"]).toBe(passed);
    expect(moduleParameters(deployment(["api"]))["applicationInsightsName"]).toBe(passed);
    for (const expected of RULES) {
      expect(rule(expected).params["applicationInsightsName"]).toBe("[parameters('applicationInsightsName')]");
    }
  });

  it("count the rows the query returns, run every 5 minutes and are stateful", () => {
    for (const expected of RULES) {
      const { resource, params } = rule(expected);
      expect(resource.resource.properties, expected.deployment).toMatchObject({
        enabled: true,
        autoMitigate: true,
        skipQueryValidation: false,
        evaluationFrequency: "[parameters('evaluationFrequency')]",
        criteria: { allOf: [{ query: "[parameters('query')]", timeAggregation: "Count", operator: "GreaterThan", threshold: 0 }] },
      });
      expect(resource.template.parameters?.["evaluationFrequency"]?.defaultValue).toBe("PT5M");
      expect(params, expected.deployment).not.toHaveProperty("evaluationFrequency");
    }
  });

  it("have the severity, dimensions and time range each alert needs", () => {
    for (const expected of RULES) {
      const { params } = rule(expected);
      expect(params["severity"], expected.deployment).toBe(expected.severity);
      expect(params["dimensions"], expected.deployment).toEqual(expected.dimensions);
      expect(params["windowSize"], expected.deployment).toBe(expected.windowSize);
      expect(params["overrideQueryTimeRange"], expected.deployment).toBe(expected.overrideQueryTimeRange);
      // The notification says which job: every rule splits by it, first. At most six dimensions (Learn).
      expect(expected.dimensions[0]).toBe("job");
      expect(expected.dimensions.length).toBeLessThanOrEqual(6);
    }
  });

  it("query customEvents for their event, reading only fields that event has", () => {
    for (const expected of RULES) {
      const { query } = rule(expected);
      expect(query, expected.deployment).toMatch(/^(let [^\n]*;\n)*customEvents\n/u);
      expect(eventsSelected(query), expected.deployment).toEqual([expected.event]);
      const unknown = fieldsRead(query).filter((field) => !FIELDS[expected.event].includes(field));
      expect(unknown, `${expected.deployment} reads fields ${expected.event} does not have`).toEqual([]);
      expect(fieldsRead(query).length).toBeGreaterThan(0);
      for (const pattern of UNSUPPORTED_IN_ALERTS) expect(query, `${expected.deployment}: ${pattern}`).not.toMatch(pattern);
      if (expected.filter) {
        const values = expected.filter.values.map((v) => `"${v}"`).join(", ");
        expect(query).toContain(`| where ${expected.filter.column} in (${values})`);
        expect(query).toContain(`${expected.filter.column} = tostring(customDimensions.${expected.filter.column})`);
      }
    }
  });

  it("deploy the query files in infra/app/alerts as they are", () => {
    for (const expected of RULES) {
      const file = read(`infra/app/alerts/${expected.file}`);
      const { query } = rule(expected);
      expect(query, expected.file).toBe(file);
    }
  });

  it("find a job whose latest ScheduleSlot's nextSlot plus the grace is past, over the longest range an alert may read", () => {
    const overdue = RULES.find((r) => r.deployment === "alert-slot-overdue")!;
    const { query, params } = rule(overdue);
    // The latest event per job, its nextSlot, compared with the clock after the grace.
    expect(query).toContain("expected = todatetime(customDimensions.nextSlot)");
    expect(query).toContain("summarize arg_max(timestamp, expected");
    expect(query).toContain(") by job\n");
    expect(query).toContain("expected + grace < now()");
    // Two days: "The alert time range is limited to a maximum of two days" (alerts-create-log-alert-rule).
    expect(params["overrideQueryTimeRange"]).toBe("P2D");
    // The grace comes from main.bicep (azd: ALERT_SLOT_GRACE_MINUTES); the file's own value is the default.
    const grace = main.parameters?.["missedSlotGraceMinutes"];
    expect(grace).toMatchObject({ type: "int", defaultValue: 30, minValue: 10, maxValue: 1440 });
    expect(read("infra/app/alerts/slot-overdue.kql")).toContain("let grace = 30m;\n");
    expect(String(params["query"])).toContain("parameters('missedSlotGraceMinutes')");
    // Never split by a value that changes between evaluations: each change would be a new alert.
    expect(overdue.dimensions).not.toContain("overdueMinutes");
  });
});

describe("the action group", () => {
  beforeEach(needsTemplate);

  it("exists only when an e-mail address is given, and every rule notifies it then and nothing otherwise", () => {
    expect(main.parameters?.["alertEmail"]).toMatchObject({ type: "string", defaultValue: "", maxLength: 64 });
    expect(moduleParameters(deployment(["alerts"]))["alertEmail"]).toBe("[parameters('alertEmail')]");
    const groups = ofType("Microsoft.Insights/actionGroups");
    expect(groups).toHaveLength(1);
    const group = groups[0]!;
    expect(group.path).toEqual(["alerts"]);
    expect(group.resource.condition).toBe("[not(empty(parameters('alertEmail')))]");
    expect(group.resource.location).toBe("global");
    const props = group.resource.properties as { groupShortName: string; enabled: boolean; emailReceivers: unknown[] };
    expect(props.groupShortName.length, "an action group's short name has at most 12 characters").toBeLessThanOrEqual(12);
    expect(props.enabled).toBe(true);
    expect(props.emailReceivers).toEqual([
      { name: expect.any(String), emailAddress: "[parameters('alertEmail')]", useCommonAlertSchema: true },
    ]);

    // The rules get the group's id when there is an address, and no action group otherwise.
    const ids = String(group.template.variables?.["actionGroupIds"]);
    expect(ids).toBe(
      "[if(empty(parameters('alertEmail')), createArray(), createArray(resourceId('Microsoft.Insights/actionGroups', parameters('actionGroupName'))))]",
    );
    expect(group.resource.name).toBe("[parameters('actionGroupName')]");
    for (const expected of RULES) {
      const { resource, params } = rule(expected);
      expect(params["actionGroupIds"]).toBe("[variables('actionGroupIds')]");
      expect(resource.resource.properties?.["actions"]).toEqual({ actionGroups: "[parameters('actionGroupIds')]" });
    }
  });

  it("takes the address from azd's ALERT_EMAIL, empty unless set", () => {
    const file = JSON.parse(read("infra/main.parameters.json")) as { parameters: Record<string, { value: unknown }> };
    expect(file.parameters["alertEmail"]?.value).toBe("${ALERT_EMAIL=}");
    expect(file.parameters["missedSlotGraceMinutes"]?.value).toBe("${ALERT_SLOT_GRACE_MINUTES=30}");
  });

  it("and the rules are named like the other resources: an abbreviation and the environment's suffix", () => {
    const names = (main.variables?.["names"] ?? {}) as Record<string, unknown>;
    expect(names["actionGroup"]).toBe("[format('{0}{1}', variables('abbrs').insightsActionGroups, variables('resourceToken'))]");
    const abbrs = JSON.parse(read("infra/abbreviations.json")) as Record<string, string>;
    expect(abbrs["insightsActionGroups"]).toBe("ag-");
    const rules = names["alertRules"] as Record<string, string>;
    expect(Object.keys(rules).sort()).toEqual(["groupNotDeleted", "notificationFailed", "runFailed", "slotOverdue", "slotSkipped"]);
    for (const name of Object.values(rules)) {
      expect(name).toMatch(/^\[format\('\{0\}[a-z-]+-\{1\}', variables\('abbrs'\)\.insightsScheduledQueryRules, variables\('resourceToken'\)\)\]$/u);
    }
  });
});

describe("the queries are valid KQL", () => {
  it("the rules' queries parse and bind to customEvents, return their dimensions as strings and no datetime column", (context) => {
    const checker = needsKql(context);
    for (const expected of RULES) {
      const query = read(`infra/app/alerts/${expected.file}`);
      const { diagnostics, columns } = checker.check(query);
      expect(diagnostics, expected.file).toEqual([]);
      const types = Object.fromEntries(columns.map((c) => [c.name, c.type]));
      for (const dimension of expected.dimensions) {
        // Dimensions must be string or numeric columns (alerts-create-log-alert-rule, "Split by dimensions").
        expect(types[dimension], `${expected.file} returns ${dimension} as a string`).toBe("string");
      }
      // A datetime column in the result is what "number of violations" bins on; these rules count rows over the
      // whole range, so they return the times as text.
      expect(columns.filter((c) => c.type === "datetime").map((c) => c.name), expected.file).toEqual([]);
    }
  });

  it("the checker does find mistakes (a keyword as a name, an unknown column)", (context) => {
    const checker = needsKql(context);
    expect(checker.check('customEvents | project by = tostring(customDimensions.by)').diagnostics.length).toBeGreaterThan(0);
    expect(checker.check("customEvents | where nmae == \"RunFinished\"").diagnostics.map((d) => d.code)).toContain("KS142");
    expect(checker.check("customEvents | where name == \"RunFinished\"").diagnostics).toEqual([]);
  });
});

describe("docs/deploy.md, Alerts and where to look", () => {
  const section = () => docSection("## Alerts and where to look");

  it("says how to get the alerts by e-mail, and lists every rule", () => {
    const text = section();
    expect(text).toContain("azd env set ALERT_EMAIL ops@example.com");
    expect(text).toContain("alertEmail=");
    expect(text).toContain("ALERT_SLOT_GRACE_MINUTES");
    for (const expected of RULES) expect(text).toContain(`\`${expected.deployment}-*\``);
    for (const event of Object.values(TelemetryEvents)) expect(text).toContain(`\`${event}\``);
    expect(text).toContain("two days");
  });

  it("documents each event with the fields it has", () => {
    const text = section();
    for (const [event, fields] of Object.entries(FIELDS)) {
      const row = text.split("\n").find((line) => line.startsWith(`| \`${event}\` |`));
      expect(row, `a table row for ${event}`).toBeDefined();
      for (const field of fields) expect(row, `${event}.${field}`).toContain(`\`${field}\``);
    }
  });

  it("offers queries that parse and read only fields of the events they select", (context) => {
    const blocks = kqlBlocks(section());
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const block of blocks) {
      const events = eventsSelected(block) as TelemetryEventName[];
      expect(events.length, block).toBeGreaterThan(0);
      const allowed = new Set(events.flatMap((event) => FIELDS[event] ?? []));
      expect(fieldsRead(block).filter((field) => !allowed.has(field)), block).toEqual([]);
    }
    const checker = needsKql(context);
    for (const block of blocks) expect(checker.check(block).diagnostics, block).toEqual([]);
  });
});
