/**
 * The Application Insights sender against a local ingestion endpoint: the envelope Azure Monitor's own
 * exporter sends for a custom event (name, EventData ver 2, properties as customDimensions), an Entra
 * token for https://monitor.azure.com when local authentication is off, and no failure ever thrown.
 */
import type { AccessToken, TokenCredential } from "@azure/identity";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config";
import { createAppInsightsTelemetry } from "../../../src/telemetry/appInsights";
import { TelemetryEvents, type TelemetryEvent } from "../../../src/telemetry/events";

interface Received {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

const received: Received[] = [];
let status = 200;
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    received.push({ path: request.url ?? "", authorization: request.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
    response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ itemsReceived: 1, itemsAccepted: status === 200 ? 1 : 0, errors: [] }));
  });
});
let endpoint = "";
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const scopes: string[] = [];
const credential: TokenCredential = {
  async getToken(scope): Promise<AccessToken> {
    scopes.push(...(Array.isArray(scope) ? scope : [scope]));
    return { token: "entra-token", expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

const event: TelemetryEvent = {
  name: TelemetryEvents.runFinished,
  dimensions: {
    job: "nightly",
    runId: "nightly-scheduled-20261205T000000Z",
    state: "failed",
    reason: "exitCode",
    exitCode: "3",
    trigger: "schedule",
    slot: "2026-12-05T00:00:00.000Z",
    attempts: "2",
    startedAt: "2026-12-05T00:00:00.100Z",
    finishedAt: "2026-12-05T00:10:00.000Z",
    detail: "The container exited with code 3.",
  },
};

describe("createAppInsightsTelemetry", () => {
  it("posts the event as Azure Monitor's exporter does, with an Entra token for Azure Monitor", async () => {
    received.length = 0;
    const config = loadConfig({
      AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000000",
      ACI_RESOURCE_GROUP: "rg",
      ACI_REGION: "eastus",
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint=${endpoint}/;LiveEndpoint=https://live.example/`,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD;ClientId=66666666-7777-8888-9999-000000000000",
    });
    const telemetry = createAppInsightsTelemetry({ target: config.applicationInsights!, entra: config.applicationInsightsEntra, credential });
    await telemetry.track(event);
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe("/v2.1/track");
    expect(received[0]!.authorization).toBe("Bearer entra-token");
    expect(scopes).toEqual(["https://monitor.azure.com/.default"]);
    expect(received[0]!.body).toEqual([
      {
        ver: 1,
        name: "Microsoft.ApplicationInsights.Event",
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/u),
        sampleRate: 100,
        iKey: "11111111-2222-3333-4444-555555555555",
        tags: { "ai.cloud.roleInstance": expect.any(String) },
        data: { baseType: "EventData", baseData: { ver: 2, name: "RunFinished", properties: event.dimensions } },
      },
    ]);
  });

  it("sends without a token when the component takes its key, and never throws when delivery fails", async () => {
    received.length = 0;
    const failures: string[] = [];
    const target = { instrumentationKey: "k", ingestionEndpoint: endpoint };
    const plain = createAppInsightsTelemetry({ target, entra: false, credential, onFailure: (message) => failures.push(message) });
    await plain.track(event);
    expect(received[0]!.authorization).toBeUndefined();
    status = 400;
    await expect(plain.track(event)).resolves.toBeUndefined();
    status = 200;
    const nowhere = createAppInsightsTelemetry({ target: { instrumentationKey: "k", ingestionEndpoint: "http://127.0.0.1:9" }, entra: false, credential, onFailure: (m) => failures.push(m) });
    await expect(nowhere.track(event)).resolves.toBeUndefined();
    expect(failures).toEqual([expect.stringContaining("answered 400"), expect.stringContaining("event RunFinished not delivered")]);
  });
});

describe("Application Insights settings", () => {
  const base = { AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000000", ACI_RESOURCE_GROUP: "rg", ACI_REGION: "eastus" };

  it("takes the global endpoint when the connection string names none, and refuses a string without a key", () => {
    expect(loadConfig({ ...base, APPLICATIONINSIGHTS_CONNECTION_STRING: "InstrumentationKey=abc" }).applicationInsights).toEqual({
      instrumentationKey: "abc",
      ingestionEndpoint: "https://dc.services.visualstudio.com",
    });
    expect(() => loadConfig({ ...base, APPLICATIONINSIGHTS_CONNECTION_STRING: "IngestionEndpoint=https://x.example/" })).toThrow(/has no InstrumentationKey/u);
    expect(() => loadConfig({ ...base, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=Key" })).toThrow(/must say Authorization=AAD/u);
  });

  it("reads RUN_RETENTION_DAYS as whole days from 1 to 3650, 30 by default", () => {
    expect(loadConfig(base).runRetentionDays).toBe(30);
    expect(loadConfig({ ...base, RUN_RETENTION_DAYS: "90" }).runRetentionDays).toBe(90);
    expect(() => loadConfig({ ...base, RUN_RETENTION_DAYS: "0" })).toThrow(/at least 1/u);
    expect(() => loadConfig({ ...base, RUN_RETENTION_DAYS: "1.5" })).toThrow(/whole number/u);
    expect(() => loadConfig({ ...base, RUN_RETENTION_DAYS: "forever" })).toThrow(/whole number/u);
  });
});
