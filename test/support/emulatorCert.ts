import { ensureEmulatorCertificate } from "../../dev/aci-emulator";

/** Path of the emulators' certificate, generated on first use. */
export function emulatorCertPath(): string {
  return ensureEmulatorCertificate().certPath;
}

/** The emulators' certificate plus this machine's own extra authorities (see dev/local/trust.ts). */
export { trustBundlePath } from "../../dev/local/trust";
