/**
 * @module
 * `npm run emulator [-- --port 8443] [--image-behaviour '<image>=exit:0,duration:30s,output:hello' ...]`:
 * runs the ACI emulator until Ctrl-C (or until the `npm` that started it is stopped) and prints the
 * settings a client (the Functions host, `npm run job`, a shell) needs to use it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BUILT_IN_IMAGES } from "./builtInImages";
import { IMAGE_BEHAVIOUR_SYNTAX, parseImageBehaviourOption, type ImageBehaviourOption } from "./containerBehaviour";
import { startAciEmulator } from "./startAciEmulator";

const DEFAULT_PORT = 8443;
/** How often the emulator checks that the `npm run` that started it is still there. */
const NPM_WATCH_INTERVAL_MS = 500;

const USAGE = `Usage: npm run emulator [-- --port <n>] [--image-behaviour '${IMAGE_BEHAVIOUR_SYNTAX}' ...]

Runs the ACI emulator until Ctrl-C and prints the settings a client needs to use it.
  --port <n>                 https port (default ${DEFAULT_PORT}; 0 picks a free one)
  --image-behaviour '<spec>' how containers of an image that is not built in behave (repeatable), e.g.
                             'myorg/job:1=exit:0,duration:30s,output:hello' (fields optional; output last,
                             \\n between lines). Built-in images: ${BUILT_IN_IMAGES.join(", ")}.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string", default: String(DEFAULT_PORT) },
        "image-behaviour": { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number, got '${values.port}'.\n\n${USAGE}`);
    return 2;
  }
  const behaviours: ImageBehaviourOption[] = [];
  for (const text of values["image-behaviour"] ?? []) {
    const parsed = parseImageBehaviourOption(text);
    if (typeof parsed === "string") {
      console.error(parsed);
      return 2;
    }
    behaviours.push(parsed);
  }

  const emulator = await startAciEmulator({ port });
  for (const { image, behaviour } of behaviours) emulator.setBehaviour(image, behaviour);
  const settings: Record<string, string> = {
    ACI_ARM_ENDPOINT: emulator.url,
    ACI_ARM_AUDIENCE: "https://management.azure.com",
    // Node reads this only at process start: set it in the shell that launches the client.
    NODE_EXTRA_CA_CERTS: emulator.certPath,
    IDENTITY_ENDPOINT: emulator.identityEndpoint,
    IDENTITY_HEADER: emulator.identityHeader,
    AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential",
  };
  console.log(`ACI emulator listening on ${emulator.url}`);
  console.log("Set these in the environment of the client process:");
  for (const [name, value] of Object.entries(settings)) console.log(`  export ${name}=${value}`);
  console.log(`Built-in images: ${BUILT_IN_IMAGES.join(", ")} (sh -c with echo/sleep/exit).`);
  if (behaviours.length > 0) console.log(`Images with a behaviour: ${behaviours.map((b) => b.image).join(", ")}.`);
  console.log("Ctrl-C to stop.");

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(watch);
      emulator.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const watch = watchNpm(stop);
  });
}

/**
 * `npm run` starts the script through `sh -c`, and a SIGTERM or SIGINT sent to npm alone (a process
 * manager, an IDE's stop button, `kill`) reaches that shell, which ends without passing it on, so the
 * emulator would keep listening. Run by npm, the emulator therefore watches the processes between it
 * and npm and stops when one of them is gone. Outside npm (or where its parents cannot be read) it
 * relies on the signals alone.
 */
function watchNpm(onGone: () => void): NodeJS.Timeout | undefined {
  if (process.env.npm_lifecycle_event === undefined) return undefined;
  const watched: number[] = [];
  for (let pid: number | undefined = process.ppid; pid !== undefined && pid > 1 && watched.length < 8; pid = parentOf(pid)) {
    watched.push(pid);
    if (isNpm(pid)) {
      const timer = setInterval(() => {
        if (!watched.every(isAlive)) onGone();
      }, NPM_WATCH_INTERVAL_MS);
      timer.unref();
      return timer;
    }
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The parent of `pid` from /proc (Linux), else from `ps` (macOS); undefined when neither answers. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return Number(commandOutput("ps", ["-o", "ppid=", "-p", String(pid)])) || undefined;
  }
}

/** npm names its process after the command (`npm run emulator`); otherwise its script is npm-cli.js. */
function isNpm(pid: number): boolean {
  let command: string;
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    command = commandOutput("ps", ["-o", "command=", "-p", String(pid)]);
  }
  return /^(?:\S*\/)?npm(?:\.cmd)?\s/u.test(command) || /npm-cli\.js/u.test(command);
}

function commandOutput(file: string, args: readonly string[]): string {
  try {
    return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
