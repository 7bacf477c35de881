/**
 * @module
 * The one place that talks to `@azure/arm-containerinstance`. It turns the SDK's answers into the few
 * facts the activities need and sorts every failure into transient (retry) or terminal (report).
 */
import { ContainerInstanceManagementClient, type ContainerGroup } from "@azure/arm-containerinstance";
import type { TokenCredential } from "@azure/identity";

export interface AciClientOptions {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** ARM base URL (public cloud, sovereign cloud or the local emulator). */
  readonly endpoint: string;
  /** Token audience; differs from the endpoint only for an emulator. */
  readonly audience: string;
  readonly credential: TokenCredential;
  /** The SDK's own retries (429 with Retry-After, 5xx, resets) before an error reaches the activity. */
  readonly retry?: { readonly maxRetries?: number; readonly retryDelayInMs?: number; readonly maxRetryDelayInMs?: number };
  /** How often the create poller re-reads the async operation; the activity polls only once. */
  readonly lroPollIntervalMs?: number;
}

/** A failure from ARM, sorted: transient ones are thrown so Durable retries them; terminal ones are reported. */
export class AciError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly transient: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = "AciError";
  }
}

export interface CreateResult {
  /** 201 (a new group) versus 200 (the PUT updated an existing one). */
  readonly createdNew: boolean;
  /** The async operation's status after the SDK's first poll: Pending, Creating, Succeeded or Failed. */
  readonly operationStatus: string;
  /** Why the operation failed, when it already has. */
  readonly operationError?: string;
}

export class AciClient {
  readonly resourceGroup: string;
  readonly #sdk: ContainerInstanceManagementClient;
  readonly #lroPollIntervalMs: number;

  constructor(options: AciClientOptions) {
    this.resourceGroup = options.resourceGroup;
    this.#lroPollIntervalMs = options.lroPollIntervalMs ?? 2_000;
    this.#sdk = new ContainerInstanceManagementClient(options.credential, options.subscriptionId, {
      endpoint: options.endpoint,
      // Without explicit scopes the SDK asks for a token for the endpoint itself, which for an emulator
      // is an audience no credential can issue (aci-rest-api.md §13.2).
      credentialScopes: `${options.audience}/.default`,
      retryOptions: { maxRetries: 3, ...options.retry },
    });
  }

  /** The group, or undefined when ARM says it does not exist (404 ResourceNotFound). */
  async get(name: string): Promise<ContainerGroup | undefined> {
    try {
      return await this.#sdk.containerGroups.get(this.resourceGroup, name);
    } catch (error) {
      if (isGroupNotFound(error)) return undefined;
      throw toAciError(error);
    }
  }

  /**
   * Sends the PUT and one poll of the async operation (the SDK's `beginCreateOrUpdate`), never waiting
   * for provisioning inside an activity: the orchestration watches with durable timers instead.
   */
  async create(name: string, group: ContainerGroup): Promise<CreateResult> {
    let putStatus: number | undefined;
    try {
      const poller = await this.#sdk.containerGroups.beginCreateOrUpdate(this.resourceGroup, name, group, {
        updateIntervalInMs: this.#lroPollIntervalMs,
        onResponse: (response) => {
          putStatus ??= response.status;
        },
      });
      const state = poller.getOperationState();
      return { createdNew: putStatus === 201, operationStatus: capitalise(state.status) };
    } catch (error) {
      if (putStatus !== undefined && putStatus < 300) {
        // The PUT was accepted; only the first poll failed. The group exists either way, so report it and
        // let the watch read the outcome from the group itself.
        const failure = toAciError(error);
        return failure.transient
          ? { createdNew: putStatus === 201, operationStatus: "Unknown" }
          : { createdNew: putStatus === 201, operationStatus: "Failed", operationError: failure.message };
      }
      throw toAciError(error);
    }
  }

  /**
   * The container's log with timestamps, or undefined when ACI has none yet (ContainerLogNotAvailable,
   * before the container starts; aci-rest-api.md §7).
   */
  async logs(groupName: string, containerName: string): Promise<string | undefined> {
    try {
      const logs = await this.#sdk.containers.listLogs(this.resourceGroup, groupName, containerName, { timestamps: true });
      return logs.content ?? "";
    } catch (error) {
      const failure = toAciError(error);
      if (failure.code === "ContainerLogNotAvailable") return undefined;
      throw failure;
    }
  }

  /** Deletes and waits for ARM to confirm; "notFound" when the group was already gone (204 or 404). */
  async delete(name: string): Promise<"deleted" | "notFound"> {
    let firstStatus: number | undefined;
    try {
      await this.#sdk.containerGroups.beginDeleteAndWait(this.resourceGroup, name, {
        updateIntervalInMs: this.#lroPollIntervalMs,
        onResponse: (response) => {
          firstStatus ??= response.status;
        },
      });
      return firstStatus === 204 ? "notFound" : "deleted";
    } catch (error) {
      if (isGroupNotFound(error)) return "notFound";
      throw toAciError(error);
    }
  }
}

/**
 * Only a 404 that says the group itself does not exist means "absent". A 404 ResourceGroupNotFound or
 * SubscriptionNotFound is a wrong setting, and reading it as "already deleted" would hide it.
 */
function isGroupNotFound(error: unknown): boolean {
  const code = codeOf(error);
  return statusOf(error) === 404 && (code === undefined || code === "ResourceNotFound");
}

const TRANSIENT_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "REQUEST_SEND_ERROR",
]);

/** Operation error codes that describe a server-side hiccup rather than the request (ARM async-operations). */
const TRANSIENT_OPERATION_CODES = new Set(["InternalServerError", "ServiceUnavailable", "GatewayTimeout", "TooManyRequests"]);

/**
 * Transient: throttling (429), timeouts (408), server errors (5xx but 501 and 505, as the SDK's own
 * retry policy decides), ContainerGroupTransitioning (409, "retry later"; aci-rest-api.md §8), network
 * failures and credential outages. Everything else is the request's fault and will not improve by retrying.
 */
export function toAciError(error: unknown): AciError {
  if (error instanceof AciError) return error;
  const status = statusOf(error);
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if (status !== undefined) {
    const transient =
      status === 429 ||
      status === 408 ||
      (status >= 500 && status !== 501 && status !== 505) ||
      (status === 409 && code === "ContainerGroupTransitioning");
    return new AciError(code ?? `Http${status}`, message, transient, status);
  }
  // A failed long-running operation: the operation finished, so only a server-side fault is worth retrying.
  const lroFailure = /^The long-running operation has failed\.?\s*(?:([A-Za-z]+)\.\s*)?(.*)$/su.exec(message);
  if (lroFailure) {
    const lroCode = lroFailure[1] ?? "OperationFailed";
    return new AciError(lroCode, lroFailure[2]!.trim() || message, TRANSIENT_OPERATION_CODES.has(lroCode));
  }
  if (code && TRANSIENT_NETWORK_CODES.has(code)) return new AciError(code, message, true);
  // No credential in the chain can work here (no managed identity, no `az login`): retrying will not help.
  if (error instanceof Error && error.name === "CredentialUnavailableError") return new AciError(error.name, message, false);
  // A token request that failed (the identity endpoint briefly unavailable) may well succeed next time.
  if (error instanceof Error && error.name === "AuthenticationError") return new AciError(error.name, message, true);
  return new AciError(code ?? "UnexpectedError", message, true);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.length > 0 ? code : undefined;
}

function capitalise(status: string): string {
  return status.length > 0 ? `${status[0]!.toUpperCase()}${status.slice(1)}` : status;
}
