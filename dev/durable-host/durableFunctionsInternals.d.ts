/**
 * Types for the one durable-functions module the host imports by deep path. The package ships no
 * declarations for it; the signature is that of `lib/src/util/testingUtils.js` in durable-functions 3.5.0,
 * where `createOrchestrator` is what `df.app.orchestration` passes to `app.generic` as the handler.
 */
declare module "durable-functions/lib/src/util/testingUtils.js" {
  import type { InvocationContext } from "@azure/functions";
  import type { OrchestrationHandler } from "durable-functions";

  export function createOrchestrator(fn: OrchestrationHandler): (orchestrationTrigger: unknown, context: InvocationContext) => Promise<unknown>;
}
