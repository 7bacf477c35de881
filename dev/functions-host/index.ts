/**
 * @module
 * Starts the local Functions host (dev/functions-host/LocalFunctionsHost, .NET) with its Node worker
 * (./worker.ts) for `npm start` and the tests that run the app on the real Durable extension. Builds the
 * host once into .tools/functions-host (ignored; rebuilt when its sources change) and stops it by PID.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

const ROOT = join(__dirname, "..", "..");
const PROJECT_DIR = join(__dirname, "LocalFunctionsHost");
const OUT_DIR = join(ROOT, ".tools", "functions-host", "out");
const HOST_DLL = join(OUT_DIR, "LocalFunctionsHost.dll");

/** A problem the developer can fix, said in one line. */
export class LocalHostError extends Error {
  override name = "LocalHostError";
}

export interface LocalFunctionsHostOptions {
  /** HTTP port of the host (the Functions host's 7071). */
  readonly port: number;
  /** local.settings.json to apply (its Values become environment variables unless already set). */
  readonly settingsFile?: string;
  /** Environment for the host and the worker, on top of this process's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Every line the host and the worker print. Default: this process's stdout and stderr. */
  readonly onOutput?: (line: string, stream: "stdout" | "stderr") => void;
  readonly verbose?: boolean;
  /** How long to wait for "Host started". Default 120 s. */
  readonly startTimeoutMs?: number;
}

export interface LocalFunctionsHost {
  readonly url: string;
  readonly pid: number;
  readonly exited: Promise<number>;
  stop(): Promise<void>;
}

/** Whether the .NET SDK is on PATH; the reason in one line when it is not. */
export function dotnetAvailability(): { available: true } | { available: false; reason: string } {
  const probe = spawnSync("dotnet", ["--list-sdks"], { encoding: "utf8" });
  if (probe.error) return { available: false, reason: "the .NET SDK (the `dotnet` command) is not installed or not on PATH" };
  if (probe.status !== 0 || !/^\d+\./mu.test(probe.stdout)) return { available: false, reason: "`dotnet` is installed but has no SDK (`dotnet --list-sdks` lists none)" };
  return { available: true };
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (/\.(cs|csproj|props)$/u.test(name)) newest = Math.max(newest, statSync(join(dir, name)).mtimeMs);
  }
  return newest;
}

/** Builds the host unless the last build is newer than its sources (a restore from NuGet on the first run). */
export function buildLocalFunctionsHost(log: (line: string) => void = console.log): void {
  const availability = dotnetAvailability();
  if (!availability.available) throw new LocalHostError(`The local Functions host needs .NET 10: ${availability.reason}.`);
  if (existsSync(HOST_DLL) && statSync(HOST_DLL).mtimeMs >= newestSource(PROJECT_DIR)) return;
  log("Building the local Functions host (dev/functions-host, .NET; the first build restores its NuGet packages)...");
  const build = spawnSync("dotnet", ["build", PROJECT_DIR, "-c", "Release", "-o", OUT_DIR, "--nologo", "-v", "q", "-clp:ErrorsOnly"], {
    encoding: "utf8",
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1" },
  });
  if (build.status !== 0) {
    throw new LocalHostError(`Building the local Functions host failed:\n${`${build.stdout}\n${build.stderr}`.trim()}`);
  }
}

export async function startLocalFunctionsHost(options: LocalFunctionsHostOptions): Promise<LocalFunctionsHost> {
  buildLocalFunctionsHost((line) => (options.onOutput ? options.onOutput(line, "stdout") : console.log(line)));
  const workerCommand = [process.execPath, "--import", "tsx", join(__dirname, "worker.ts")];
  const args = [HOST_DLL, "--app", ROOT, "--port", String(options.port), "--parent-pid", String(process.pid)];
  if (options.settingsFile) args.push("--settings", options.settingsFile);
  if (options.verbose) args.push("--verbose");
  const child: ChildProcess = spawn("dotnet", [...args, "--", ...workerCommand], {
    cwd: ROOT,
    env: { ...process.env, FUNCTIONS_WORKER_RUNTIME: "node", DOTNET_NOLOGO: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const emit = options.onOutput ?? ((line, stream) => (stream === "stdout" ? process.stdout : process.stderr).write(`${line}\n`));
  const exited = new Promise<number>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  let started: () => void = () => {};
  const ready = new Promise<void>((resolve) => (started = resolve));
  const lastErrors: string[] = [];
  for (const [stream, source] of [["stdout", child.stdout], ["stderr", child.stderr]] as const) {
    createInterface({ input: source! }).on("line", (line) => {
      if (stream === "stderr") {
        lastErrors.push(line);
        if (lastErrors.length > 4) lastErrors.shift();
      }
      if (line.startsWith("Host started")) started();
      emit(line, stream);
    });
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready" as const),
    exited.then((code) => ({ code })),
    new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    await stop();
    const why = outcome === "timeout" ? `did not start within ${timeoutMs / 1000} s` : `exited with code ${outcome.code}`;
    throw new LocalHostError(`The local Functions host ${why}${lastErrors.length ? `: ${lastErrors.join(" | ")}` : ""}`);
  }
  return { url: `http://127.0.0.1:${options.port}`, pid: child.pid!, exited, stop };
}
