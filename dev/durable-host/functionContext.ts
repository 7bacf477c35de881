/**
 * A real `InvocationContext` per invocation, as the Functions worker creates one, whose log methods feed
 * the host's log. Orchestrator lines are forwarded on every replay, as the worker does; apps filter with
 * `context.df.isReplaying`, which is recorded on each line.
 */
import { randomUUID } from "node:crypto";
import { format } from "node:util";
import { InvocationContext, type LogLevel } from "@azure/functions";
import type { Clock } from "../clock";
import type { HostLogRecord } from "./types";

export interface FunctionContextFields {
  functionName: string;
  functionKind: "orchestrator" | "activity";
  instanceId: string;
  clock: Clock;
  log: (record: HostLogRecord) => void;
}

const TRIGGER_TYPE = { orchestrator: "orchestrationTrigger", activity: "activityTrigger" } as const;

/** Reads `context.df.isReplaying`, which durable-functions attaches to the orchestrator's context. */
function replayFlag(context: InvocationContext): boolean | undefined {
  const df: unknown = (context as unknown as { df?: unknown }).df;
  if (typeof df !== "object" || df === null) return undefined;
  const flag = (df as { isReplaying?: unknown }).isReplaying;
  return typeof flag === "boolean" ? flag : undefined;
}

export function createFunctionContext(fields: FunctionContextFields): InvocationContext {
  const invocationId = randomUUID();
  const context: InvocationContext = new InvocationContext({
    functionName: fields.functionName,
    invocationId,
    options: { trigger: { type: TRIGGER_TYPE[fields.functionKind], name: "context" } },
    logHandler: (level: LogLevel, ...args: unknown[]) => {
      fields.log({
        time: fields.clock.now(),
        level,
        category: "function",
        functionName: fields.functionName,
        functionKind: fields.functionKind,
        instanceId: fields.instanceId,
        invocationId,
        ...(fields.functionKind === "orchestrator" ? { isReplaying: replayFlag(context) } : {}),
        message: format(...args),
      });
    },
  });
  return context;
}
