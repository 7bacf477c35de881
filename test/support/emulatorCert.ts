import { ensureEmulatorCertificate } from "../../dev/aci-emulator";

/**
 * Path of the ACI emulator's certificate, generated on first use: the value `NODE_EXTRA_CA_CERTS` must hold
 * in every process that calls the emulator over https.
 */
export function emulatorCertPath(): string {
  return ensureEmulatorCertificate().certPath;
}
