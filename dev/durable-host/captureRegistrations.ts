/**
 * Captures the functions an app registers, without the Functions worker.
 *
 * `@azure/functions` lazily `require`s "@azure/functions-core", a module only the worker provides, and
 * hands it every `app.*` / `df.app.*` registration (`registerFunction(metadata, handler)`); when the
 * module is missing it switches to test mode and skips them. For the duration of `load()` this resolves
 * that name to a stand-in core (via `Module._resolveFilename` and the require cache), so the app's
 * registrations arrive here with their real metadata and handlers. This works wherever `@azure/functions`
 * is loaded by Node's CommonJS loader, which is the case under vitest (external dependency) and tsx.
 */
import Module from "node:module";
import { app } from "@azure/functions";
import type { CapturedFunction, CapturedFunctionMetadata } from "./types";

const CORE_MODULE_NAME = "@azure/functions-core";
/** Never read from disk: the require cache entry under this name is the stand-in. */
const STAND_IN_PATH = "/__in-process-durable-host__/node_modules/@azure/functions-core/index.js";

interface Disposable {
  dispose(): void;
}

/** The subset of the worker's core API that `@azure/functions` 4.x calls. */
interface FunctionsCoreApi {
  setProgrammingModel(model: unknown): void;
  registerFunction(metadata: CapturedFunctionMetadata, handler: (...args: unknown[]) => unknown): Disposable;
  registerHook(hookName: string, callback: (...args: unknown[]) => unknown): Disposable;
  log(level: string, category: string, message: string): void;
}

interface CaptureSession {
  functions: CapturedFunction[];
  /** Set when the probe hook reached the stand-in, proving `@azure/functions` talks to it. */
  probeReceived: boolean;
  probing: boolean;
}

interface ModuleInternals {
  _resolveFilename(this: unknown, request: string, ...rest: unknown[]): string;
  _cache: Record<string, unknown>;
}

interface StandInState {
  session: CaptureSession | undefined;
  core: FunctionsCoreApi;
}

/** One stand-in per process (module copies share it): `@azure/functions` keeps the first core it resolves. */
const STATE_KEY = Symbol.for("aci-jobs.durable-host.functions-core");

function standInState(): StandInState {
  const registry = globalThis as unknown as Record<symbol, StandInState | undefined>;
  const existing = registry[STATE_KEY];
  if (existing !== undefined) return existing;
  const state: StandInState = {
    session: undefined,
    core: {
      setProgrammingModel: () => {},
      // Outside a capture the stand-in drops registrations, like @azure/functions' own test mode.
      registerFunction: (metadata, handler) => {
        state.session?.functions.push({ name: metadata.name, metadata, handler });
        return { dispose: () => {} };
      },
      registerHook: () => {
        if (state.session?.probing === true) state.session.probeReceived = true;
        return { dispose: () => {} };
      },
      log: () => {},
    },
  };
  registry[STATE_KEY] = state;
  return state;
}

/**
 * Resolves "@azure/functions-core" to `core` until the returned function is called. The local Functions
 * host's worker (dev/functions-host) provides its core this way for the life of its process.
 */
export function provideFunctionsCore(core: object): () => void {
  return installResolution(core);
}

function installResolution(core: object): () => void {
  const internals = Module as unknown as ModuleInternals;
  const original = internals._resolveFilename;
  const hooked = function (this: unknown, request: string, ...rest: unknown[]): string {
    return request === CORE_MODULE_NAME ? STAND_IN_PATH : original.call(this, request, ...rest);
  };
  internals._resolveFilename = hooked;
  internals._cache[STAND_IN_PATH] = { id: STAND_IN_PATH, filename: STAND_IN_PATH, loaded: true, exports: core, children: [], paths: [] };
  return () => {
    // Another loader (tsx) may have wrapped us meanwhile; then our hook stays, harmlessly, in its chain.
    if (internals._resolveFilename === hooked) internals._resolveFilename = original;
    delete internals._cache[STAND_IN_PATH];
  };
}

/**
 * `@azure/functions` caches a missing core as "test mode" for the life of the process. Registering a
 * no-op hook shows whether it reaches the stand-in; if not, nothing could be captured.
 */
function assertCoreReachable(session: CaptureSession): void {
  session.probing = true;
  try {
    app.hook.appStart(() => {});
  } finally {
    session.probing = false;
  }
  if (!session.probeReceived) {
    throw new Error(
      "captureRegistrations: @azure/functions already switched to test mode in this process (it resolves " +
        `'${CORE_MODULE_NAME}' once and caches the result), so registrations cannot be captured. Call ` +
        "captureRegistrations before anything in the process registers functions or hooks with @azure/functions.",
    );
  }
}

/** Runs `load` (which imports the app's entry module) and returns every function it registered. */
export async function captureRegistrations(load: () => unknown): Promise<CapturedFunction[]> {
  const state = standInState();
  if (state.session !== undefined) throw new Error("captureRegistrations: a capture is already running; captures cannot overlap.");
  const session: CaptureSession = { functions: [], probeReceived: false, probing: false };
  const uninstall = installResolution(state.core);
  state.session = session;
  try {
    assertCoreReachable(session);
    await load();
  } finally {
    state.session = undefined;
    uninstall();
  }
  return session.functions;
}
