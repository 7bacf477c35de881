/**
 * @module
 * Makes `*.localhost` names resolve to the loopback address in this process, as RFC 6761 §6.3 says they
 * should (browsers and systemd-resolved do; glibc's resolver and so Node's `dns.lookup` answer ENOTFOUND).
 * The Key Vault emulator's vaults are `<name>.vault.localhost`, so that `SecretClient`'s challenge
 * check (the vault's host must end in `.` + the challenge's resource host) passes unchanged, as it does
 * for `<name>.vault.azure.net` (docs/architecture.md, "Secrets"). Only names that would otherwise fail
 * are affected; dev/ only, never shipped.
 */
import dns from "node:dns";

let installed = false;

export function resolveLocalhostNames(): void {
  if (installed) return;
  installed = true;
  const original = dns.lookup;
  const patched = function lookup(hostname: unknown, ...rest: unknown[]): void {
    const name = typeof hostname === "string" && hostname.toLowerCase().replace(/\.$/u, "").endsWith(".localhost") ? "localhost" : hostname;
    (original as (...args: unknown[]) => void).call(dns, name, ...rest);
  };
  dns.lookup = patched as typeof dns.lookup;
}
