/**
 * The instance management URLs and the 202 check-status response, shaped like the extension's
 * (`HttpApiHandler.GetClientResponseLinks`; durable-functions `DurableClient.createCheckStatusResponse`).
 */
import { HttpResponse, type HttpRequest } from "@azure/functions";
import type { HttpManagementPayload } from "durable-functions";

export interface ManagementUrlSettings {
  origin: string;
  taskHub: string;
  systemKey: string;
}

export function managementPayload(settings: ManagementUrlSettings, instanceId: string): HttpManagementPayload {
  const instanceUrl = `${settings.origin}/runtime/webhooks/durabletask/instances/${instanceId}`;
  const query = `taskHub=${encodeURIComponent(settings.taskHub)}&connection=Storage&code=${encodeURIComponent(settings.systemKey)}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${instanceUrl}?${query}`,
    sendEventPostUri: `${instanceUrl}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instanceUrl}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instanceUrl}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instanceUrl}?${query}`,
    suspendPostUri: `${instanceUrl}/suspend?reason={text}&${query}`,
    resumePostUri: `${instanceUrl}/resume?reason={text}&${query}`,
  };
}

/** Like the library: the URLs take the origin of the triggering request when there is one. */
export function requestOrigin(request: HttpRequest | undefined, fallback: string): string {
  if (request?.url === undefined) return fallback;
  try {
    return new URL(request.url).origin;
  } catch {
    return fallback;
  }
}

export function checkStatusResponse(payload: HttpManagementPayload): HttpResponse {
  return new HttpResponse({
    status: 202,
    jsonBody: payload,
    headers: { "Content-Type": "application/json", Location: payload.statusQueryGetUri, "Retry-After": "10" },
  });
}

export function jsonResponse(status: number, body: unknown): HttpResponse {
  return new HttpResponse({ status, jsonBody: body, headers: { "Content-Type": "application/json" } });
}
