/**
 * Vitest global setup: runs once in the main process before the test workers are forked.
 */
import { startAzurite, type RunningAzurite } from "./azurite";
import { trustBundlePath } from "./emulatorCert";

let azurite: RunningAzurite | undefined;

export async function setup(): Promise<void> {
  // Forked workers inherit this environment. Node reads NODE_EXTRA_CA_CERTS only when a process starts
  // (aci-rest-api.md §13.2), so it has to be set here, before the forks, not inside a test.
  // The machine's own extra authorities stay trusted too (see trustBundlePath).
  process.env.NODE_EXTRA_CA_CERTS = trustBundlePath();
  // Run slots live in Blob storage; Azurite plays it, in memory, on a free port.
  azurite = await startAzurite();
  process.env.AZURITE_CONNECTION_STRING = azurite.connectionString;
}

export async function teardown(): Promise<void> {
  await azurite?.stop();
}
