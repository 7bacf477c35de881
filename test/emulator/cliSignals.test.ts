/**
 * `npm run emulator` stops when it is told to (issue 10, item 9). npm runs the script through `sh -c`, and
 * a SIGTERM sent to npm alone (a process manager, an IDE's stop button) reached only that shell, which
 * ended and left the emulator listening. Ctrl-C, which signals the whole process group, must keep working.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const REPOSITORY = join(__dirname, "..", "..");
let started: { npm: ChildProcess; tree: number[] } | undefined;

afterEach(() => {
  // A failed test must not leave an emulator behind: end what this test started, by pid, checking each
  // is still one of ours (a pid is reused once its process has exited).
  if (started === undefined) return;
  if (started.npm.exitCode === null && started.npm.signalCode === null) started.npm.kill("SIGKILL");
  for (const pid of started.tree) if (isAlive(pid) && /aci-emulator\/main\.ts|esbuild/u.test(commandOf(pid))) process.kill(pid, "SIGKILL");
  started = undefined;
});

function startEmulator(options: { ownProcessGroup?: boolean } = {}): Promise<{ npm: ChildProcess; port: number }> {
  const npm = spawn("npm", ["run", "emulator", "--", "--port", "0"], {
    cwd: REPOSITORY,
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.ownProcessGroup === true,
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /listening on https:\/\/127\.0\.0\.1:(\d+)/u.exec(output)?.[1];
      if (port === undefined || started?.npm === npm) return;
      started = { npm, tree: descendantsOf(npm.pid!) };
      resolve({ npm, port: Number(port) });
    };
    npm.stdout!.on("data", onData);
    npm.stderr!.on("data", onData);
    npm.once("exit", (code) => reject(new Error(`npm run emulator exited with ${code} before listening:\n${output}`)));
  });
}

/** Pids of every process below `root`, from `ps` (Linux and macOS). */
function descendantsOf(root: number): number[] {
  const pairs = execFileSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/u).map(Number) as [number, number]);
  const found: number[] = [];
  for (let frontier = [root]; frontier.length > 0; ) {
    const children = pairs.filter(([, ppid]) => frontier.includes(ppid)).map(([pid]) => pid);
    found.push(...children);
    frontier = children;
  }
  return found;
}

function commandOf(pid: number): string {
  try {
    return execFileSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" });
  } catch {
    return "";
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

async function expectStopped(port: number, pids: readonly number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if ((await portIsClosed(port)) && !pids.some(isAlive)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(await portIsClosed(port), `port ${port} still accepts connections`).toBe(true);
  expect(pids.filter(isAlive), "processes still running").toEqual([]);
}

describe("npm run emulator", () => {
  it("stops listening and exits when its npm process gets SIGTERM", async () => {
    const { npm, port } = await startEmulator();
    const { tree } = started!;
    expect(tree.length).toBeGreaterThan(0);
    npm.kill("SIGTERM");
    await expectStopped(port, [npm.pid!, ...tree]);
  });

  it("stops on Ctrl-C (SIGINT to the whole process group)", async () => {
    const { npm, port } = await startEmulator({ ownProcessGroup: true });
    const { tree } = started!;
    process.kill(-npm.pid!, "SIGINT");
    await expectStopped(port, [npm.pid!, ...tree]);
  });
});
