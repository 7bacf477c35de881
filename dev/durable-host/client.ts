/**
 * `host.client`: a `DurableClient` whose operations go straight to the in-process host instead of the
 * extension's HTTP API, with the library's signatures, status codes turned into the same results and
 * errors (`lib/src/durableClient/DurableClient.js`).
 */
import type { HttpRequest, HttpResponse } from "@azure/functions";
import {
  OrchestrationRuntimeStatus,
  type DurableClient,
  type DurableOrchestrationStatus,
  type EntityId,
  type EntityStateResponse,
  type GetStatusOptions,
  type HttpManagementPayload,
  type OrchestrationFilter,
  type PurgeHistoryResult,
  type StartNewOptions,
  type TaskHubOptions,
  type WaitForCompletionOptions,
} from "durable-functions";
import { checkStatusResponse, jsonResponse, managementPayload, requestOrigin, type ManagementUrlSettings } from "./httpManagement";
import type { StatusOptions } from "./statusView";

/** What the client needs from the host. */
export interface ClientBackend {
  readonly urls: ManagementUrlSettings;
  startInstance(name: string, instanceId: string | undefined, input: unknown): string;
  status(instanceId: string, options?: StatusOptions): DurableOrchestrationStatus | undefined;
  /** Filters on the exact creation times (the status objects only show whole seconds). */
  statuses(filter?: OrchestrationFilter): DurableOrchestrationStatus[];
  raiseEvent(instanceId: string, eventName: string, data: unknown): "accepted" | "gone" | "notFound";
  terminate(instanceId: string, reason: string): "accepted" | "gone" | "notFound";
  purge(instanceId: string): boolean;
}

/** The message `DurableClient.getStatus` throws when the extension answers 404. */
export function statusNotFoundMessage(instanceId: string): string {
  return (
    `DurableClient error: Durable Functions extension replied with HTTP 404 response. ` +
    `This usually means we could not find any data associated with the instanceId provided: ${instanceId}.`
  );
}

/** `DurableClient.createGenericError`, for operations the extension answers with an unexpected status. */
export function genericClientError(status: number, details: unknown): Error {
  return new Error(`The operation failed with an unexpected status code: ${status}. Details: ${JSON.stringify(details)}`);
}

function notSupported(operation: string): Promise<never> {
  return Promise.reject(new Error(`DurableClient.${operation} is not supported by the in-process host`));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const FINISHED = new Set<string>([
  OrchestrationRuntimeStatus.Completed,
  OrchestrationRuntimeStatus.Failed,
  OrchestrationRuntimeStatus.Terminated,
  OrchestrationRuntimeStatus.Canceled,
]);

export class InProcessDurableClient implements DurableClient {
  readonly taskHubName: string;
  readonly uniqueWebhookOrigins: string[];

  constructor(private readonly backend: ClientBackend) {
    this.taskHubName = backend.urls.taskHub;
    this.uniqueWebhookOrigins = [backend.urls.origin];
  }

  createCheckStatusResponse(request: HttpRequest | undefined, instanceId: string): HttpResponse {
    return checkStatusResponse(this.#payload(request, instanceId));
  }

  createHttpManagementPayload(instanceId: string): HttpManagementPayload {
    return this.#payload(undefined, instanceId);
  }

  async getStatus(instanceId: string, options: GetStatusOptions = {}): Promise<DurableOrchestrationStatus> {
    const status = this.backend.status(instanceId, options);
    if (status === undefined) throw new Error(statusNotFoundMessage(instanceId));
    return status;
  }

  async getStatusAll(): Promise<DurableOrchestrationStatus[]> {
    return this.backend.statuses();
  }

  async getStatusBy(filter: OrchestrationFilter): Promise<DurableOrchestrationStatus[]> {
    return this.backend.statuses(filter);
  }

  async purgeInstanceHistory(instanceId: string): Promise<PurgeHistoryResult> {
    return { instancesDeleted: this.backend.purge(instanceId) ? 1 : 0 };
  }

  async purgeInstanceHistoryBy(filter: OrchestrationFilter): Promise<PurgeHistoryResult> {
    const matching = this.backend.statuses(filter).filter((status) => FINISHED.has(status.runtimeStatus));
    return { instancesDeleted: matching.filter((status) => this.backend.purge(status.instanceId)).length };
  }

  async raiseEvent(instanceId: string, eventName: string, eventData: unknown, _options: TaskHubOptions = {}): Promise<void> {
    if (!eventName) throw new Error("eventName must be a valid string.");
    // 410 Gone (instance finished) resolves like 202, as in the library.
    if (this.backend.raiseEvent(instanceId, eventName, eventData) === "notFound") {
      throw new Error(`No instance with ID '${instanceId}' found.`);
    }
  }

  readEntityState<T>(_entityId: EntityId, _options?: TaskHubOptions): Promise<EntityStateResponse<T>> {
    return notSupported("readEntityState");
  }

  rewind(_instanceId: string, _reason: string, _options?: TaskHubOptions): Promise<void> {
    return notSupported("rewind");
  }

  signalEntity(_entityId: EntityId, _operationName?: string, _operationContent?: unknown, _options?: TaskHubOptions): Promise<void> {
    return notSupported("signalEntity");
  }

  async startNew(orchestratorFunctionName: string, options?: StartNewOptions): Promise<string> {
    if (!orchestratorFunctionName) throw new Error("orchestratorFunctionName must be a valid string.");
    return this.backend.startInstance(orchestratorFunctionName, options?.instanceId || undefined, options?.input);
  }

  async terminate(instanceId: string, reason: string): Promise<void> {
    if (this.backend.terminate(instanceId, reason) === "notFound") {
      throw new Error(`No instance with ID '${instanceId}' found.`);
    }
  }

  suspend(_instanceId: string, _reason: string): Promise<void> {
    return notSupported("suspend");
  }

  resume(_instanceId: string, _reason: string): Promise<void> {
    return notSupported("resume");
  }

  /** Same polling loop and responses as the library (200 with output, 200/500 with the status, else 202). */
  async waitForCompletionOrCreateCheckStatusResponse(
    request: HttpRequest,
    instanceId: string,
    waitOptions: WaitForCompletionOptions = {},
  ): Promise<HttpResponse> {
    const timeoutMs = waitOptions.timeoutInMilliseconds ?? 10_000;
    const intervalMs = waitOptions.retryIntervalInMilliseconds ?? 1_000;
    if (intervalMs > timeoutMs) {
      throw new Error(`Total timeout ${timeoutMs} (ms) should be bigger than retry timeout ${intervalMs} (ms)`);
    }
    const startedAt = Date.now();
    for (;;) {
      const status = await this.getStatus(instanceId);
      switch (status.runtimeStatus) {
        case OrchestrationRuntimeStatus.Completed:
          return jsonResponse(200, status.output);
        case OrchestrationRuntimeStatus.Canceled:
        case OrchestrationRuntimeStatus.Terminated:
          return jsonResponse(200, status);
        case OrchestrationRuntimeStatus.Failed:
          return jsonResponse(500, status);
        default:
          break;
      }
      const elapsed = Date.now() - startedAt;
      if (elapsed >= timeoutMs) return this.createCheckStatusResponse(request, instanceId);
      await sleep(Math.min(intervalMs, timeoutMs - elapsed));
    }
  }

  #payload(request: HttpRequest | undefined, instanceId: string): HttpManagementPayload {
    const origin = requestOrigin(request, this.backend.urls.origin);
    return managementPayload({ ...this.backend.urls, origin }, instanceId);
  }
}
