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
import { startAciEmulator, ensureEmulatorCertificate, type AciEmulator } from "./aci-emulator";
import { LocalHostError, startLocalFunctionsHost, type LocalFunctionsHost } from "./functions-host";
import { startKeyVaultEmulator, type KeyVaultEmulator } from "./keyvault-emulator";
import { portInUse, startAzurite, type RunningAzurite } from "./local/azurite";
import { EMULATOR_RESOURCE_GROUP, EMULATOR_SUBSCRIPTION_ID } from "./local/localApp";

const root = join(__dirname, "..");
const PLACEHOLDER_SUBSCRIPTION = /^0{8}-0{4}-0{4}-0{4}-0{12}$/u;

interface Stoppable {
  readonly name: string;
  stop(): Promise<void>;
}

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
  const started: Stoppable[] = [];
  const stopAll = async () => {
    for (const service of started.reverse()) await service.stop().catch(() => {});
  };
  try {
    const env: Record<string, string> = {};
    // Storage: Azurite's three services, on the standard ports when they are free.
    const defaults = { blob: 10000, queue: 10001, table: 10002 } as const;
    const busy = [];
    for (const [service, number] of Object.entries(defaults)) if (await portInUse(number)) busy.push(`${service} ${number}`);
    const azurite: RunningAzurite = await startAzurite({
      services: "all",
      location: join(root, ".azurite"),
      ...(busy.length === 0 ? { ports: defaults } : {}),
    });
    started.push({ name: "Azurite", stop: () => azurite.stop() });
    env.AzureWebJobsStorage = azurite.connectionString;
    console.log(
      `Storage: Azurite (blob ${azurite.ports.blob}, queue ${azurite.ports.queue}, table ${azurite.ports.table}) in .azurite/` +
        (busy.length > 0 ? `; ${busy.join(", ")} taken, so free ports were chosen` : ""),
    );

    if (useEmulators) {
      const emulator: AciEmulator = await startAciEmulator({ resourceGroups: [EMULATOR_RESOURCE_GROUP] });
      started.push({ name: "ACI emulator", stop: () => emulator.close() });
      const vault: KeyVaultEmulator = await startKeyVaultEmulator();
      started.push({ name: "Key Vault emulator", stop: () => vault.close() });
      Object.assign(env, {
        AZURE_SUBSCRIPTION_ID: EMULATOR_SUBSCRIPTION_ID,
        ACI_RESOURCE_GROUP: EMULATOR_RESOURCE_GROUP,
        ACI_REGION: settings.values.ACI_REGION?.trim() || "eastus",
        ACI_ARM_ENDPOINT: emulator.url,
        ACI_ARM_AUDIENCE: "https://management.azure.com",
        KEY_VAULT_URI: vault.vaultUri,
        IDENTITY_ENDPOINT: emulator.identityEndpoint,
        IDENTITY_HEADER: emulator.identityHeader,
        AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential",
        NODE_EXTRA_CA_CERTS: ensureEmulatorCertificate().certPath,
      });
      console.log(`ACI: the emulator at ${emulator.url} (local.settings.json names no subscription; real time, built-in images hello-world, busybox, alpine, ubuntu)`);
      console.log(`Key Vault: the emulator at ${vault.vaultUri}`);
    } else {
      console.log(`ACI: subscription ${settings.values.AZURE_SUBSCRIPTION_ID}, resource group ${settings.values.ACI_RESOURCE_GROUP} (local.settings.json), as your az login identity`);
    }
    console.log("Settings that override local.settings.json for this run:");
    for (const [name, value] of Object.entries(env)) console.log(`  ${name}=${name === "AzureWebJobsStorage" || name === "IDENTITY_HEADER" ? "(local)" : value}`);

    if (flags.func) {
      console.log("Host: Azure Functions Core Tools (`func start`)");
      const func = spawn("func", ["start", "--port", String(port)], { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
      started.push({ name: "func", stop: async () => void func.kill("SIGINT") });
      const code = await waitForSignalOrExit(new Promise<number>((resolve) => func.once("exit", (c) => resolve(c ?? 0))));
      await stopAll();
      return code;
    }

    console.log("Host: the local Functions host (real Durable Task extension on Azurite; dev/functions-host), starting...");
    const startedAt = Date.now();
    const host: LocalFunctionsHost = await startLocalFunctionsHost({ port, settingsFile: settings.file, env, verbose: flags.verbose });
    started.push({ name: "Functions host", stop: () => host.stop() });
    console.log(`Ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s. Try:`);
    console.log(`  curl -i -X POST ${host.url}/api/jobs/azure_container_instances/runs`);
    console.log(`  curl ${host.url}/api/jobs`);
    console.log(`  curl -X POST ${host.url}/admin/functions/schedule_azure_container_instances -H 'content-type: application/json' -d '{}'   (fire the timer now)`);
    console.log("Ctrl-C stops the host, the emulators and Azurite.");
    const code = await waitForSignalOrExit(host.exited);
    await stopAll();
    return code;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Resolves with the exit code, or 130 on Ctrl-C / SIGTERM (the caller then stops what it started). */
function waitForSignalOrExit(exited: Promise<number>): Promise<number> {
  return new Promise((resolve) => {
    const onSignal = () => resolve(130);
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
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
