/**
 * `npm start`: the app on this machine under a Functions host, on the real Durable Task extension.
 *
 * By default it runs the local Functions host (dev/functions-host: the WebJobs SDK with the real Durable
 * and timer extensions, and a Node worker that loads the app as the Functions Node worker does), so it
 * needs the .NET SDK but not Azure Functions Core Tools. `npm start -- --func` runs Core Tools' `func
 * start` instead. Either way it builds first (prestart), starts Azurite, and, unless local.settings.json
 * names a real subscription, the ACI and Key Vault emulators; it prints the URLs and settings, and stops
 * everything it started on Ctrl-C.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LocalHostError } from "./functions-host";
import { startLocalStack } from "./functions-host/localStack";
import { portInUse, startAzurite } from "./local/azurite";

const root = join(__dirname, "..");
const PLACEHOLDER_SUBSCRIPTION = /^0{8}-0{4}-0{4}-0{4}-0{12}$/u;

function localSettings(): { file: string; values: Record<string, string> } {
  const file = join(root, "local.settings.json");
  if (!existsSync(file)) {
    copyFileSync(join(root, "local.settings.example.json"), file);
    console.log("Created local.settings.json from local.settings.example.json (docs/configuration.md).");
  }
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { Values?: Record<string, string> };
  return { file, values: parsed.Values ?? {} };
}

async function main(): Promise<number> {
  const { values: flags } = parseArgs({
    options: { func: { type: "boolean", default: false }, port: { type: "string", default: "7071" }, verbose: { type: "boolean", default: false } },
  });
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new LocalHostError(`--port must be a port number, got '${flags.port}'.`);
  if (flags.func && spawnSync("func", ["--version"]).status !== 0) {
    throw new LocalHostError("--func needs Azure Functions Core Tools v4 (`func`), which is not installed; run `npm start` without --func to use the local Functions host.");
  }
  if (await portInUse(port)) {
    throw new LocalHostError(`Port ${port} is taken (another Functions host?); stop it or choose another with \`npm start -- --port <n>\`.`);
  }
  const settings = localSettings();
  const useEmulators = !settings.values.AZURE_SUBSCRIPTION_ID?.trim() || PLACEHOLDER_SUBSCRIPTION.test(settings.values.AZURE_SUBSCRIPTION_ID.trim());
  const defaults = { blob: 10000, queue: 10001, table: 10002 } as const;
  const busy: string[] = [];
  for (const [service, number] of Object.entries(defaults)) if (await portInUse(number)) busy.push(`${service} ${number}`);
  const azurite = { location: join(root, ".azurite"), ...(busy.length === 0 ? { ports: defaults } : {}) };

  if (flags.func) {
    // Core Tools runs its own host with local.settings.json as it is; only storage comes from here.
    const started: { stop(): Promise<unknown> }[] = [];
    try {
      const storage = await startAzurite({ ...azurite, services: "all" });
      started.push(storage);
      console.log(`Storage: Azurite (blob ${storage.ports.blob}, queue ${storage.ports.queue}, table ${storage.ports.table}) in .azurite/`);
      console.log("Host: Azure Functions Core Tools (`func start`), with local.settings.json as it is");
      const func = spawn("func", ["start", "--port", String(port)], { cwd: root, stdio: "inherit", env: { ...process.env, AzureWebJobsStorage: storage.connectionString } });
      started.push({ stop: async () => void func.kill("SIGINT") });
      return await waitForSignalOrExit(new Promise<number>((resolve) => func.once("exit", (code) => resolve(code ?? 0))));
    } finally {
      for (const service of started.reverse()) await service.stop().catch(() => {});
    }
  }

  console.log("Host: the local Functions host (real Durable Task extension on Azurite; dev/functions-host), starting...");
  const startedAt = Date.now();
  const stack = await startLocalStack({
    port,
    settingsFile: settings.file,
    verbose: flags.verbose,
    azurite,
    emulators: useEmulators,
    region: settings.values.ACI_REGION?.trim() || "eastus",
    onStarted: (service) => {
      if (service.kind === "azurite") {
        const { ports } = service.azurite;
        console.log(`Storage: Azurite (blob ${ports.blob}, queue ${ports.queue}, table ${ports.table}) in .azurite/${busy.length > 0 ? `; ${busy.join(", ")} taken, so free ports were chosen` : ""}`);
      } else if (service.kind === "emulators") {
        console.log(`ACI: the emulator at ${service.aci.url} (local.settings.json names no subscription; real time; images hello-world, busybox, alpine, ubuntu)`);
        console.log(`Key Vault: the emulator at ${service.keyVault.vaultUri}`);
      }
    },
  });
  try {
    if (!useEmulators) {
      console.log(`ACI: subscription ${settings.values.AZURE_SUBSCRIPTION_ID}, resource group ${settings.values.ACI_RESOURCE_GROUP} (local.settings.json), with your az login identity`);
    }
    console.log("Settings given to the host on top of local.settings.json:");
    for (const [name, value] of Object.entries(stack.settings)) {
      console.log(`  ${name}=${name === "AzureWebJobsStorage" || name === "IDENTITY_HEADER" ? "(local only, not shown)" : value}`);
    }
    const url = stack.host.url;
    console.log(`Ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s. Try:`);
    console.log(`  curl -i -X POST ${url}/api/jobs/azure_container_instances/runs`);
    console.log(`  curl ${url}/api/jobs/azure_container_instances/runs/<runId>     (the Location of the answer above)`);
    console.log(`  curl -X POST ${url}/admin/functions/schedule_azure_container_instances -H 'content-type: application/json' -d '{}'   (fire the timer now)`);
    console.log("Ctrl-C stops the host, the emulators and Azurite.");
    return await waitForSignalOrExit(stack.host.exited);
  } finally {
    await stack.stop();
  }
}

/**
 * Resolves with the exit code, or 130 on Ctrl-C / SIGTERM (the caller then stops what it started). Later
 * signals are absorbed while that happens: a terminal's Ctrl-C reaches npm, tsx and this process alike,
 * and a second one must not cut the stopping short and leave the host running.
 */
function waitForSignalOrExit(exited: Promise<number>): Promise<number> {
  return new Promise((resolve) => {
    let signalled = false;
    const onSignal = () => {
      if (signalled) return;
      signalled = true;
      console.log("Stopping the host, the emulators and Azurite...");
      resolve(130);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    void exited.then(resolve);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof LocalHostError ? `npm start: ${error.message}` : error);
    process.exit(1);
  },
);
