/**
 * `npm start`: the app on this machine under the real Functions host. Builds (prestart), makes sure
 * local.settings.json exists, starts Azurite for storage unless one is already listening, then runs
 * `func start`. Without Azure Functions Core Tools it says how to get them instead of failing obscurely.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";

const root = join(__dirname, "..");

function hasCoreTools(): boolean {
  const probe = spawnSync("func", ["--version"], { encoding: "utf8", shell: process.platform === "win32" });
  return probe.status === 0;
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function main(): Promise<number> {
  if (!hasCoreTools()) {
    console.error(
      [
        "Azure Functions Core Tools (the `func` command, version 4) is not installed, so the host cannot start.",
        "Install it, then run `npm start` again:",
        "  npm:     npm install --global azure-functions-core-tools@4",
        "  macOS:   brew tap azure/functions && brew install azure-functions-core-tools@4",
        "  Windows: winget install Microsoft.Azure.FunctionsCoreTools",
        "  Linux:   https://learn.microsoft.com/azure/azure-functions/functions-run-local (apt package azure-functions-core-tools-4)",
        "To run a job without the host, use `npm run job -- azure_container_instances` (embedded emulator).",
      ].join("\n"),
    );
    return 1;
  }
  const settings = join(root, "local.settings.json");
  if (!existsSync(settings)) {
    copyFileSync(join(root, "local.settings.example.json"), settings);
    console.log("Created local.settings.json from local.settings.example.json; edit it to point at your subscription (docs/configuration.md).");
  }
  let azurite: ChildProcess | undefined;
  if (await portInUse(10000)) {
    console.log("Storage: something already listens on 127.0.0.1:10000; using it as Azurite.");
  } else {
    console.log("Storage: starting Azurite (blob 10000, queue 10001, table 10002) in .azurite/");
    azurite = spawn(join(root, "node_modules", ".bin", "azurite"), ["--silent", "--location", join(root, ".azurite"), "--skipApiVersionCheck"], {
      stdio: "inherit",
      shell: process.platform === "win32",
    });
  }
  const host = spawn("func", ["start"], { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  const stop = () => {
    host.kill("SIGINT");
    azurite?.kill("SIGINT");
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return new Promise((resolve) =>
    host.once("exit", (code) => {
      azurite?.kill("SIGINT");
      resolve(code ?? 0);
    }),
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
