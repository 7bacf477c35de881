/**
 * Registers the orchestrations and activities with the Durable extension.
 */
import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { runJob } from "../orchestrations/runJob";
import { watchContainerGroup } from "../orchestrations/watchContainerGroup";
import { Orchestrations } from "../runs/contracts";

type ActivityHandler = (input: never, context: InvocationContext) => Promise<unknown>;

export function registerDurableFunctions(activities: Readonly<Record<string, ActivityHandler>>): void {
  df.app.orchestration(Orchestrations.runJob, runJob);
  df.app.orchestration(Orchestrations.watchContainerGroup, watchContainerGroup);
  for (const [name, handler] of Object.entries(activities)) {
    df.app.activity(name, { handler: (input: unknown, context: InvocationContext) => handler(input as never, context) });
  }
}
