/**
 * Node trusts extra certificate authorities only through NODE_EXTRA_CA_CERTS, read when the process
 * starts (aci-rest-api.md §13.2). A tool that talks to the emulator over HTTPS therefore makes sure the
 * certificate exists and, if this process was started without it, runs itself again with it set.
 */
import { spawn } from "node:child_process";
import { ensureEmulatorCertificate } from "../aci-emulator";

/** Resolves when this process trusts the emulator; otherwise re-runs it and exits with the child's code. */
export async function ensureEmulatorTrust(): Promise<void> {
  const { certPath } = ensureEmulatorCertificate();
  if (process.env.NODE_EXTRA_CA_CERTS === certPath) return;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  const code = await new Promise<number>((resolve) => child.once("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
  process.exit(code);
}
