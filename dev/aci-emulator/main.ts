/**
 * @module
 * `npm run emulator [-- --port 8443]`: runs the ACI emulator until Ctrl-C and prints the settings a client
 * (the Functions host, `npm run job`, a shell) needs to use it.
 */
import { parseArgs } from "node:util";
import { startAciEmulator } from "./startAciEmulator";

const DEFAULT_PORT = 8443;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: "string", default: String(DEFAULT_PORT) } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got '${values.port}'.`);

  const emulator = await startAciEmulator({ port });
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
  console.log("Built-in images: hello-world, busybox, alpine, ubuntu (sh -c with echo/sleep/exit). Ctrl-C to stop.");

  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
