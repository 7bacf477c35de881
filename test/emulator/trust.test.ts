import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureEmulatorCertificate, startAciEmulator, type AciEmulator } from "../../dev/aci-emulator";
import { emulatorCertPath } from "../support/emulatorCert";
import { armFetch, createSdkClient, RESOURCE_GROUP } from "./sdkClient";

let emulator: AciEmulator;

beforeAll(async () => {
  emulator = await startAciEmulator();
});

afterAll(async () => {
  await emulator.close();
});

describe("trusting the emulator", () => {
  it("forked test workers inherit NODE_EXTRA_CA_CERTS from global setup, naming the emulator's certificate", () => {
    const trusted = readFileSync(process.env["NODE_EXTRA_CA_CERTS"] ?? "", "utf8");
    expect(trusted).toContain(readFileSync(emulatorCertPath(), "utf8").trim());
    expect(emulator.certPath).toBe(emulatorCertPath());
  });

  it("the real SDK reaches the emulator over https with the production credential", async () => {
    const client = createSdkClient(emulator);
    const groups = [];
    for await (const group of client.containerGroups.listByResourceGroup(RESOURCE_GROUP)) groups.push(group);
    expect(groups).toEqual([]);
    expect(emulator.requests.at(-1)).toMatchObject({ method: "GET", status: 200 });
    expect(emulator.listGroups()).toEqual([]);
  });

  it("the certificate names 127.0.0.1 and localhost", () => {
    const certificate = new X509Certificate(readFileSync(emulator.certPath));
    expect(certificate.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(certificate.checkHost("localhost")).toBe("localhost");
    expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/u);
    expect(emulator.listGroups()).toEqual([]);
  });
});

describe("ensureEmulatorCertificate", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "aci-emulator-cert-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("generates once and then returns the cached pair", () => {
    const first = ensureEmulatorCertificate(dir);
    const second = ensureEmulatorCertificate(dir);
    expect(second.certPem).toBe(first.certPem);
    expect(readFileSync(first.keyPath, "utf8")).toBe(first.keyPem);
    expect(emulator.listGroups()).toEqual([]);
  });

  it("replaces a certificate that expires within 7 days", async () => {
    const expiring = await generate([{ name: "commonName", value: "localhost" }], {
      algorithm: "sha256",
      notAfterDate: new Date(Date.now() + 2 * 24 * 3600_000),
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] }],
    });
    const { certPath, keyPath } = ensureEmulatorCertificate(dir);
    writeFileSync(certPath, expiring.cert);
    writeFileSync(keyPath, expiring.private);

    const renewed = ensureEmulatorCertificate(dir);
    expect(renewed.certPem).not.toBe(expiring.cert);
    expect(new Date(new X509Certificate(renewed.certPem).validTo).getTime()).toBeGreaterThan(Date.now() + 30 * 24 * 3600_000);
    expect(emulator.listGroups()).toEqual([]);
  });
});

describe("managed-identity token endpoint", () => {
  const tokenUrl = (): string => `${emulator.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent("https://management.azure.com")}`;

  it("issues a token that echoes the requested resource", async () => {
    const response = await fetch(`${tokenUrl()}&client_id=abc`, { headers: { "x-identity-header": emulator.identityHeader } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect(body).toMatchObject({ token_type: "Bearer", resource: "https://management.azure.com", client_id: "abc" });
    expect(Number(body["expires_on"])).toBeGreaterThan(Date.now() / 1000);
    expect(body["access_token"]).toEqual(expect.any(String));
    expect(emulator.listGroups()).toEqual([]);
  });

  it("rejects a wrong identity header", async () => {
    const response = await fetch(tokenUrl(), { headers: { "x-identity-header": "not-the-secret" } });
    expect(response.status).toBe(401);
    const missing = await fetch(tokenUrl());
    expect(missing.status).toBe(401);
    expect(emulator.listGroups()).toEqual([]);
  });

  it("ARM rejects one of its tokens issued for another audience, as ARM does", async () => {
    const tokenResponse = await fetch(`${emulator.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(emulator.url)}`, {
      headers: { "x-identity-header": emulator.identityHeader },
    });
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    const response = await armFetch(emulator, `/subscriptions/s/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ContainerInstance/containerGroups`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "InvalidAuthenticationTokenAudience" } });
    expect(emulator.listGroups()).toEqual([]);
  });
});
