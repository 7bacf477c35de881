/**
 * Instance status as the client sees it: the extension's status payload (`HttpApiHandler.ConvertFrom`:
 * times with second precision, input/output/customStatus parsed from JSON) and its friendlier history
 * format for `showHistory` (event types as names, scheduling events folded into their completions).
 */
import type { DurableOrchestrationStatus, OrchestrationRuntimeStatus } from "durable-functions";
import { EventType, EventTypeName, OrchestrationStatusCode, type HistoryEvent } from "./historyEvents";

export interface StatusSource {
  name: string;
  instanceId: string;
  createdAt: number;
  lastUpdatedAt: number;
  runtimeStatus: OrchestrationRuntimeStatus;
  serializedInput: string | null;
  /** The stored output: JSON for completed instances, the reason text for failed/terminated ones. */
  serializedOutput: string | null;
  customStatus: unknown;
  history: readonly HistoryEvent[];
}

export interface StatusOptions {
  showHistory?: boolean;
  showHistoryOutput?: boolean;
  showInput?: boolean;
}

/** The extension's `ParseToJToken`: JSON when it parses, otherwise the text itself. */
export function parseJsonOrText(value: string | null): unknown {
  if (value === null) return null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** `DateTime.ToString("s") + "Z"`: the status API reports whole seconds. */
function toStatusTime(time: number): Date {
  return new Date(Math.floor(time / 1000) * 1000);
}

export function toStatus(source: StatusSource, options: StatusOptions = {}): DurableOrchestrationStatus {
  const status: DurableOrchestrationStatus = {
    name: source.name,
    instanceId: source.instanceId,
    createdTime: toStatusTime(source.createdAt),
    lastUpdatedTime: toStatusTime(source.lastUpdatedAt),
    input: options.showInput === false ? null : parseJsonOrText(source.serializedInput),
    output: parseJsonOrText(source.serializedOutput),
    runtimeStatus: source.runtimeStatus,
    customStatus: source.customStatus ?? null,
    ...(options.showHistory === true ? { history: statusHistory(source.history, options.showHistoryOutput === true) } : {}),
  };
  return status;
}

const ORCHESTRATION_STATUS_NAME: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(OrchestrationStatusCode).map(([name, value]) => [value, name]),
);

function scheduledBy(events: readonly HistoryEvent[], type: number, eventId: unknown): HistoryEvent | undefined {
  return events.find((event) => event.EventType === type && event.EventId === eventId);
}

/** The `historyEvents` list of the status API, built from the raw history. */
export function statusHistory(events: readonly HistoryEvent[], showOutput: boolean): Record<string, unknown>[] {
  const folded = new Set<HistoryEvent>();
  const rows: { source: HistoryEvent; row: Record<string, unknown> }[] = [];
  for (const event of events) {
    const raw = event as unknown as Record<string, unknown>;
    const row: Record<string, unknown> = { ...raw, EventType: EventTypeName[event.EventType] ?? event.EventType };
    delete row.EventId;
    delete row.IsPlayed;
    switch (event.EventType) {
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
        continue;
      case EventType.ExecutionStarted:
        row.FunctionName = raw.Name;
        for (const key of ["Name", "OrchestrationInstance", "ParentInstance", "Version", "Tags"]) delete row[key];
        if (showOutput) row.Input = parseJsonOrText(raw.Input as string | null);
        else delete row.Input;
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const schedulingType =
          event.EventType === EventType.TaskCompleted || event.EventType === EventType.TaskFailed
            ? EventType.TaskScheduled
            : EventType.SubOrchestrationInstanceCreated;
        const scheduled = scheduledBy(events, schedulingType, raw.TaskScheduledId);
        if (scheduled) {
          folded.add(scheduled);
          row.FunctionName = (scheduled as unknown as Record<string, unknown>).Name;
          row.ScheduledTime = scheduled.Timestamp;
        }
        delete row.TaskScheduledId;
        if ("Result" in row) {
          if (showOutput) row.Result = parseJsonOrText(raw.Result as string | null);
          else delete row.Result;
        }
        break;
      }
      case EventType.ExecutionCompleted:
      case EventType.ContinueAsNew:
        row.OrchestrationStatus = ORCHESTRATION_STATUS_NAME[raw.OrchestrationStatus as number] ?? raw.OrchestrationStatus;
        if (showOutput) row.Result = parseJsonOrText(raw.Result as string | null);
        else delete row.Result;
        break;
      case EventType.TimerFired:
        delete row.TimerId;
        break;
      case EventType.EventRaised:
      case EventType.ExecutionTerminated:
        if (showOutput) row.Input = parseJsonOrText(raw.Input as string | null);
        else delete row.Input;
        break;
      default:
        break;
    }
    rows.push({ source: event, row });
  }
  // Scheduling events that have a completion are represented by it (FunctionName + ScheduledTime).
  return rows.filter(({ source }) => !folded.has(source)).map(({ row }) => row);
}
