import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ensureEmulatorCertificate } from "../../dev/aci-emulator";

/** Path of the emulators' certificate, generated on first use. */
export function emulatorCertPath(): string {
  return ensureEmulatorCertificate().certPath;
}

/**
 * The file `NODE_EXTRA_CA_CERTS` must name in every process that calls the emulators over https: their
 * certificate plus whatever extra authorities this machine already trusted that way (a proxy's CA, for
 * instance), so a test that runs `npm ci` still reaches the registry. Called once, in global setup.
 */
export function trustBundlePath(inherited = process.env.NODE_EXTRA_CA_CERTS): string {
  const { certPath, certPem } = ensureEmulatorCertificate();
  if (!inherited || inherited === certPath || !existsSync(inherited)) return certPath;
  const bundlePath = join(dirname(certPath), "trust-bundle.pem");
  if (inherited === bundlePath) return bundlePath;
  writeFileSync(bundlePath, `${readFileSync(inherited, "utf8").trimEnd()}\n${certPem.trimEnd()}\n`);
  return bundlePath;
}
