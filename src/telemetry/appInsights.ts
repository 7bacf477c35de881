/**
 * @module
 * Custom events to Application Insights over its ingestion API (Track, v2.1), the way Azure Monitor's own
 * exporter sends them (@azure/monitor-opentelemetry-exporter: logToEnvelope, TelemetryItem serializer):
 * a JSON array of envelopes named `Microsoft.ApplicationInsights.Event` with `EventData` (ver 2) whose
 * `properties` become the event's customDimensions. With local authentication off (infra/), each request
 * carries a Microsoft Entra token for https://monitor.azure.com (Learn: azure-monitor/app/azure-ad-authentication).
 * Written here rather than taken from the exporter: it would bring the OpenTelemetry SDK (about 3,000
 * files) for one POST, and the Functions host already sends the app's logs and requests.
 */
import type { TokenCredential } from "@azure/identity";
import { hostname } from "node:os";
import type { ApplicationInsightsTarget } from "../config";
import type { Telemetry, TelemetryEvent } from "./events";

const MONITOR_SCOPE = "https://monitor.azure.com/.default";
/** A send that hangs must not hold the activity that tracks the event. */
const SEND_TIMEOUT_MS = 10_000;

export interface AppInsightsTelemetryOptions {
  readonly target: ApplicationInsightsTarget;
  /** Send with Microsoft Entra tokens from `credential` (local authentication off), else with the key alone. */
  readonly entra: boolean;
  readonly credential: TokenCredential;
  /** The `cloud_RoleName` events carry (the Function App's name in Azure). */
  readonly roleName?: string;
  /** Told when an event could not be delivered (the function log). */
  readonly onFailure?: (message: string) => void;
  readonly fetch?: typeof fetch;
}

export function createAppInsightsTelemetry(options: AppInsightsTelemetryOptions): Telemetry {
  const { target, credential } = options;
  const send = options.fetch ?? fetch;
  const url = `${target.ingestionEndpoint}/v2.1/track`;
  const roleInstance = hostname();
  return {
    async track(event: TelemetryEvent): Promise<void> {
      const envelope = {
        ver: 1,
        name: "Microsoft.ApplicationInsights.Event",
        time: new Date().toISOString(),
        sampleRate: 100,
        iKey: target.instrumentationKey,
        tags: { ...(options.roleName ? { "ai.cloud.role": options.roleName } : {}), "ai.cloud.roleInstance": roleInstance },
        data: { baseType: "EventData", baseData: { ver: 2, name: event.name, properties: { ...event.dimensions } } },
      };
      try {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (options.entra) {
          const token = await credential.getToken(MONITOR_SCOPE);
          if (!token) throw new Error("the credential gave no token for Azure Monitor");
          headers.authorization = `Bearer ${token.token}`;
        }
        const response = await send(url, { method: "POST", headers, body: JSON.stringify([envelope]), signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
        // 200: accepted; 206: some items refused (with one item, it was), anything else: not delivered.
        const answer = await response.text();
        if (response.status !== 200) throw new Error(`Application Insights answered ${response.status}: ${answer.slice(0, 300)}`);
      } catch (error) {
        options.onFailure?.(`event ${event.name} not delivered to Application Insights: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}
