/**
 * @module
 * Azurite, the storage emulator, as a child process: blob only (run slots) or blob, queue and table (the
 * Durable extension's Azure Storage provider and the timer's schedule monitor need all three). In memory
 * unless a folder is given. Used by `npm start`, the local Functions host's tests and the test setup.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

/** Azurite's well-known development account (public; documented by Azurite). */
export const DEV_ACCOUNT = "devstoreaccount1";
export const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteOptions {
  /** Blob only, or blob, queue and table. */
  readonly services: "blob" | "all";
  /** Ports to use; a missing one is chosen free. */
  readonly ports?: { readonly blob?: number; readonly queue?: number; readonly table?: number };
  /** Where Azurite keeps its data; in memory when absent. */
  readonly location?: string;
}

export interface RunningAzurite {
  readonly connectionString: string;
  readonly ports: { readonly blob: number; readonly queue?: number; readonly table?: number };
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Whether something already listens on 127.0.0.1:port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(true));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
}

export async function startAzurite(options: AzuriteOptions): Promise<RunningAzurite> {
  const root = join(__dirname, "..", "..");
  const blob = options.ports?.blob ?? (await freePort());
  const storage = ["--blobHost", "127.0.0.1", "--blobPort", String(blob)];
  let queue: number | undefined;
  let table: number | undefined;
  if (options.services === "all") {
    queue = options.ports?.queue ?? (await freePort());
    table = options.ports?.table ?? (await freePort());
    storage.push("--queueHost", "127.0.0.1", "--queuePort", String(queue), "--tableHost", "127.0.0.1", "--tablePort", String(table));
  }
  const persistence = options.location ? ["--location", options.location] : ["--inMemoryPersistence"];
  const bin = join(root, "node_modules", ".bin", options.services === "all" ? "azurite" : "azurite-blob");
  const child: ChildProcess = spawn(bin, [...persistence, ...storage, "--skipApiVersionCheck", "--loose"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const expected = options.services === "all" ? 3 : 1;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if ((output.match(/successfully listen/giu) ?? []).length >= expected) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`Azurite could not be started (${bin}): ${error.message}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${code}: ${output.trim().split("\n").at(-1) ?? ""}`));
    });
  });
  child.stdout?.removeAllListeners("data");
  child.stderr?.removeAllListeners("data");
  child.stdout?.resume();
  child.stderr?.resume();
  const endpoints =
    `BlobEndpoint=http://127.0.0.1:${blob}/${DEV_ACCOUNT};` +
    (queue ? `QueueEndpoint=http://127.0.0.1:${queue}/${DEV_ACCOUNT};` : "") +
    (table ? `TableEndpoint=http://127.0.0.1:${table}/${DEV_ACCOUNT};` : "");
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};${endpoints}`,
    ports: { blob, ...(queue ? { queue } : {}), ...(table ? { table } : {}) },
    pid: child.pid,
    // A short grace for a clean exit, then kill (under vitest's teardown a SIGTERM alone left Azurite
    // closing for well over a minute).
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners("exit");
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 1_000);
        child.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}
