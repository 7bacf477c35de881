/**
 * Vitest global setup: runs once in the main process before the test workers are forked.
 */
import { emulatorCertPath } from "./emulatorCert";

export default function setup(): void {
  // Forked workers inherit this environment. Node reads NODE_EXTRA_CA_CERTS only when a process starts
  // (aci-rest-api.md §13.2), so it has to be set here, before the forks, not inside a test.
  process.env.NODE_EXTRA_CA_CERTS = emulatorCertPath();
}
