/**
 * @module
 * The emulator's self-signed TLS certificate (SAN `IP:127.0.0.1`, `DNS:localhost`, and `DNS:*.vault.localhost` for
 * the Key Vault emulator in dev/keyvault-emulator), generated once and kept in
 * `<repo>/.aci-emulator/`. Clients trust it through `NODE_EXTRA_CA_CERTS`, which Node reads only when a process
 * starts (aci-rest-api.md §13.2), so call this before launching the processes that talk to the emulator.
 */
import { execFileSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type { generate } from "selfsigned";

export interface EmulatorCertificate {
  readonly certPath: string;
  readonly keyPath: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const REPOSITORY_ROOT = findRepositoryRoot();

/** `<repo>/.aci-emulator/` (gitignored). */
export const DEFAULT_CERT_DIR = join(REPOSITORY_ROOT, ".aci-emulator");

/** DNS suffix of vaults in the Key Vault emulator (its "cloud"), like vault.azure.net in public Azure. */
export const LOCAL_VAULT_DOMAIN = "vault.localhost";

const CERT_FILE = "emulator-cert.pem";
const KEY_FILE = "emulator-key.pem";
const VALIDITY_DAYS = 90;
const RENEW_BEFORE_MS = 7 * 24 * 3600_000;
const DAY_MS = 24 * 3600_000;

/**
 * `selfsigned` 5 only generates asynchronously (WebCrypto). To keep this function synchronous, so that it can
 * run anywhere before a child process is launched, a short-lived Node process generates the pair.
 */
const GENERATE_SCRIPT = `
const [, selfsignedPath, attributes, options] = process.argv;
const parsed = JSON.parse(options);
parsed.notBeforeDate = new Date(parsed.notBeforeDate);
parsed.notAfterDate = new Date(parsed.notAfterDate);
require(selfsignedPath).generate(JSON.parse(attributes), parsed).then(
  (pems) => process.stdout.write(JSON.stringify({ cert: pems.cert, key: pems.private })),
  (error) => { console.error(error); process.exit(1); },
);`;

/**
 * Returns the cached certificate, generating a new one when it is missing, unreadable, does not cover
 * 127.0.0.1, localhost and the local vaults, or expires within 7 days.
 */
export function ensureEmulatorCertificate(dir: string = DEFAULT_CERT_DIR): EmulatorCertificate {
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);
  const cached = readUsableCertificate(certPath, keyPath);
  if (cached) return cached;

  const { cert, key } = generateCertificate();
  mkdirSync(dir, { recursive: true });
  // Write-then-rename so a concurrent reader never sees half a file.
  writeAtomically(keyPath, key, 0o600);
  writeAtomically(certPath, cert, 0o644);
  return { certPath, keyPath, certPem: cert, keyPem: key };
}

function generateCertificate(): { cert: string; key: string } {
  const notBeforeDate = new Date(Date.now() - DAY_MS); // tolerate small clock skew between processes
  const attributes: Parameters<typeof generate>[0] = [{ name: "commonName", value: "localhost" }];
  const options: Parameters<typeof generate>[1] = {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALIDITY_DAYS * DAY_MS),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }, { type: 2, value: `*.${LOCAL_VAULT_DOMAIN}` }],
      },
    ],
  };
  const selfsignedPath = createRequire(join(REPOSITORY_ROOT, "package.json")).resolve("selfsigned");
  const output = execFileSync(process.execPath, ["-e", GENERATE_SCRIPT, selfsignedPath, JSON.stringify(attributes), JSON.stringify(options)], {
    encoding: "utf8",
    // The generator needs no loaders or extra CA settings of the calling process.
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  return JSON.parse(output) as { cert: string; key: string };
}

function readUsableCertificate(certPath: string, keyPath: string): EmulatorCertificate | undefined {
  if (!existsSync(certPath) || !existsSync(keyPath)) return undefined;
  try {
    const certPem = readFileSync(certPath, "utf8");
    const keyPem = readFileSync(keyPath, "utf8");
    const certificate = new X509Certificate(certPem);
    const expiresSoon = new Date(certificate.validTo).getTime() - Date.now() < RENEW_BEFORE_MS;
    const coversHosts =
      certificate.checkIP("127.0.0.1") !== undefined &&
      certificate.checkHost("localhost") !== undefined &&
      certificate.checkHost(`any.${LOCAL_VAULT_DOMAIN}`) !== undefined;
    if (expiresSoon || !coversHosts || !certificate.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
    return { certPath, keyPath, certPem, keyPem };
  } catch {
    return undefined;
  }
}

/**
 * This file lives in `<repo>/dev/aci-emulator/`. `__dirname` exists when it runs as CommonJS (tsx, vitest); as
 * an ES module it does not, so the root is then found above the working directory.
 */
function findRepositoryRoot(): string {
  if (typeof __dirname === "string") return resolve(__dirname, "..", "..");
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "dev", "aci-emulator"))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

function writeAtomically(path: string, content: string, mode: number): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, path);
}
