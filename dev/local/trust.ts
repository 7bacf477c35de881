/**
 * Node trusts extra certificate authorities only through NODE_EXTRA_CA_CERTS, read when the process
 * starts (aci-rest-api.md §13.2). A tool that talks to the emulator over HTTPS therefore makes sure the
 * certificate exists and, if this process was started without it, runs itself again with it set.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ensureEmulatorCertificate } from "../aci-emulator";

/**
 * The file `NODE_EXTRA_CA_CERTS` must name in every process that calls the emulators over https: their
 * certificate plus whatever extra authorities this machine already trusted that way (a proxy's CA, for
 * instance), so the same process still reaches the npm registry or Azure.
 */
export function trustBundlePath(inherited = process.env.NODE_EXTRA_CA_CERTS): string {
  const { certPath, certPem } = ensureEmulatorCertificate();
  if (!inherited || inherited === certPath || !existsSync(inherited)) return certPath;
  const bundlePath = join(dirname(certPath), "trust-bundle.pem");
  if (inherited === bundlePath) return bundlePath;
  writeFileSync(bundlePath, `${readFileSync(inherited, "utf8").trimEnd()}\n${certPem.trimEnd()}\n`);
  return bundlePath;
}

/** Resolves when this process trusts the emulator; otherwise re-runs it and exits with the child's code. */
export async function ensureEmulatorTrust(): Promise<void> {
  const bundle = trustBundlePath();
  if (process.env.NODE_EXTRA_CA_CERTS === bundle) return;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, NODE_EXTRA_CA_CERTS: bundle },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  const code = await new Promise<number>((resolve) => child.once("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
  process.exit(code);
}
