/**
 * Azurite's blob service for the tests that need storage (run slots). Started once per test run by
 * the global setup on a free loopback port, in memory, and stopped at the end.
 */
import { startAzurite as start, type RunningAzurite } from "../../dev/local/azurite";

export type { RunningAzurite };

export function startAzurite(): Promise<RunningAzurite> {
  return start({ services: "blob" });
}
