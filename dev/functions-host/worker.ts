/**
 * @module
 * The Node worker of the local Functions host (dev/ only, never deployed). It does what the Functions
 * Node worker does for a v4-model app, over the host's JSON-lines channel instead of gRPC:
 * - provides `@azure/functions-core`, loads the app from package.json "main" (so `src/index.ts` runs as
 *   compiled, settings validated and functions registered exactly as in Azure), and reports each
 *   registration's metadata to the host (worker indexing);
 * - runs appStart hooks once loaded, and for each invocation: the programming model's invocation model
 *   (`getArguments`), preInvocation hooks, `invokeFunction`, postInvocation hooks, `getResponse`;
 * - forwards `context.log` lines to the host, and reports a thrown error as a failed invocation with its
 *   message and stack, which the host turns into the script host's RpcException.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { provideFunctionsCore } from "../durable-host/captureRegistrations";
import { journalEpisodes } from "../durable-host/episodeJournal";
import type { OrchestrationHandler } from "../durable-host/types";
import { resolveLocalhostNames } from "../keyvault-emulator/resolveLocalhostNames";

interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: string | Uint8Array;
  http?: Record<string, unknown>;
  int?: number;
  double?: number;
}

interface RegisteredFunction {
  metadata: { name: string; bindings: Record<string, { type: string; direction: string }> } & Record<string, unknown>;
  handler: (...args: unknown[]) => unknown;
}

interface InvocationModel {
  getArguments(): Promise<{ context: { invocationId: string }; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: (...args: unknown[]) => unknown): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<{ returnValue?: unknown; outputData?: unknown[] }>;
}

interface ProgrammingModel {
  getInvocationModel(coreContext: unknown): InvocationModel;
}

type HookCallback = (context: Record<string, unknown>) => unknown;

const functions = new Map<string, RegisteredFunction>();
const hooks = new Map<string, HookCallback[]>();
const appHookData: Record<string, unknown> = {};
let programmingModel: ProgrammingModel | undefined;
let channel: Socket;

function send(message: Record<string, unknown>): void {
  channel.write(`${JSON.stringify(message, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value))}\n`);
}

function hostLog(level: string, category: string, message: string, invocationId?: string): void {
  send({ type: "log", level, category, message, ...(invocationId ? { invocationId } : {}) });
}

/** The part of the worker's `@azure/functions-core` API that `@azure/functions` 4.x uses. */
const core = {
  setProgrammingModel(model: ProgrammingModel) {
    programmingModel = model;
  },
  registerFunction(metadata: RegisteredFunction["metadata"], handler: RegisteredFunction["handler"]) {
    if (functions.has(metadata.name)) throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
    functions.set(metadata.name, { metadata, handler: withJournal(metadata, handler) });
    return { dispose: () => functions.delete(metadata.name) };
  },
  registerHook(hookName: string, callback: HookCallback) {
    const list = hooks.get(hookName) ?? [];
    list.push(callback);
    hooks.set(hookName, list);
    return { dispose: () => list.splice(list.indexOf(callback), 1) };
  },
  log(level: string, category: string, message: string) {
    hostLog(level, category, message);
  },
};

/**
 * For the conformance tests: with ACI_JOBS_EPISODE_JOURNAL set, each orchestrator episode is appended to
 * that file as a JSON line (dev/durable-host/episodeJournal.ts), exactly as the in-process host records it.
 */
function withJournal(metadata: RegisteredFunction["metadata"], handler: RegisteredFunction["handler"]): RegisteredFunction["handler"] {
  const file = process.env.ACI_JOBS_EPISODE_JOURNAL;
  const isOrchestration = Object.values(metadata.bindings).some((binding) => binding.type === "orchestrationTrigger");
  if (!file || !isOrchestration) return handler;
  return journalEpisodes(metadata.name, handler as OrchestrationHandler, (record) => appendFileSync(file, `${JSON.stringify(record)}\n`)) as RegisteredFunction["handler"];
}

async function runHooks(name: string, context: Record<string, unknown>): Promise<void> {
  for (const hook of hooks.get(name) ?? []) await hook(context);
}

/** Binary fields arrive base64-encoded on the JSON channel; the invocation model expects bytes. */
function decodeTypedData(data: RpcTypedData | undefined): RpcTypedData | undefined {
  if (!data) return data;
  if (typeof data.bytes === "string") return { ...data, bytes: Buffer.from(data.bytes, "base64") };
  if (data.http) {
    const body = data.http.body as RpcTypedData | null | undefined;
    return { http: { ...data.http, body: body ? decodeTypedData(body) : undefined } };
  }
  return data;
}

interface InvocationRequest {
  requestId: string;
  functionId: string;
  invocationId: string;
  inputData: { name: string; data: RpcTypedData }[];
  triggerMetadata: Record<string, RpcTypedData>;
}

async function invoke(request: InvocationRequest): Promise<void> {
  const registered = functions.get(request.functionId);
  if (!registered || !programmingModel) {
    send({ type: "invocationResponse", requestId: request.requestId, result: { status: "failure", exception: { message: `Function ${request.functionId} is not registered.` } } });
    return;
  }
  const coreContext = {
    invocationId: request.invocationId,
    request: {
      invocationId: request.invocationId,
      functionId: request.functionId,
      inputData: request.inputData.map(({ name, data }) => ({ name, data: decodeTypedData(data) })),
      triggerMetadata: request.triggerMetadata,
    },
    metadata: registered.metadata,
    state: undefined as string | undefined,
    log: (level: string, category: string, message: string) => hostLog(level, category, message, request.invocationId),
  };
  try {
    const model = programmingModel.getInvocationModel(coreContext);
    const { context, inputs } = await model.getArguments();
    const hookData: Record<string, unknown> = {};
    coreContext.state = "preInvocationHooks";
    const pre = { invocationContext: context, inputs, functionCallback: registered.handler, hookData, appHookData };
    await runHooks("preInvocation", pre);
    coreContext.state = "invocation";
    let result: unknown;
    let error: unknown;
    try {
      result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
    } catch (thrown) {
      error = thrown;
    }
    coreContext.state = "postInvocationHooks";
    const post = { invocationContext: context, inputs: pre.inputs, result, error, hookData, appHookData };
    await runHooks("postInvocation", post);
    if (post.error !== undefined) throw post.error;
    const response = await model.getResponse(context, post.result);
    send({ type: "invocationResponse", requestId: request.requestId, result: { status: "success" }, returnValue: response.returnValue, outputData: response.outputData });
  } catch (thrown) {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    send({
      type: "invocationResponse",
      requestId: request.requestId,
      result: { status: "failure", exception: { message: error.message, stackTrace: error.stack ?? "" } },
    });
  }
}

/**
 * The app's entry point as the worker finds it: package.json "main", relative to the app's folder.
 * ACI_JOBS_WORKER_ENTRY replaces it for tests that load the app with job definitions of their own.
 */
function entryPoint(appRoot: string): string {
  if (process.env.ACI_JOBS_WORKER_ENTRY) return resolve(appRoot, process.env.ACI_JOBS_WORKER_ENTRY);
  const pkg = JSON.parse(readFileSync(join(appRoot, "package.json"), "utf8")) as { main?: string };
  if (!pkg.main) throw new Error(`package.json in ${appRoot} has no "main"; the worker cannot find the app's entry point.`);
  return resolve(appRoot, pkg.main);
}

async function main(): Promise<void> {
  const address = process.env.ACI_JOBS_WORKER_CHANNEL;
  if (!address) throw new Error("ACI_JOBS_WORKER_CHANNEL is not set; the worker is started by the local Functions host.");
  const [host, port] = address.split(":");
  channel = createConnection({ host: host!, port: Number(port) });
  await new Promise<void>((resolveConnect, reject) => channel.once("connect", resolveConnect).once("error", reject));
  // The local Key Vault emulator's vaults are *.vault.localhost (dev/keyvault-emulator).
  resolveLocalhostNames();
  provideFunctionsCore(core);

  const appRoot = process.cwd();
  try {
    // The Node worker loads a CommonJS entry point with require, as this app's compiled main is.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(entryPoint(appRoot));
    await runHooks("appStart", { hookData: {}, appHookData, functionAppDirectory: appRoot });
  } catch (thrown) {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    send({ type: "functionMetadataResponse", error: `${error.name === "Error" ? "" : `${error.name}: `}${error.message}` });
    channel.end();
    return;
  }
  send({
    type: "functionMetadataResponse",
    functions: [...functions.values()].map(({ metadata }) => ({ name: metadata.name, bindings: metadata.bindings })),
  });

  const lines = createInterface({ input: channel });
  lines.on("line", (line) => {
    const message = JSON.parse(line) as { type: string } & InvocationRequest;
    if (message.type === "invocationRequest") void invoke(message);
    if (message.type === "workerTerminate") {
      void runHooks("appTerminate", { hookData: {}, appHookData }).finally(() => process.exit(0));
    }
  });
  lines.on("close", () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
