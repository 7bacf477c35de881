/**
 * @module
 * The one place that talks to `@azure/arm-containerinstance`. It turns the SDK's answers into the few
 * facts the activities need; every failure is sorted into transient (retried here, then by Durable) or
 * terminal (reported), errors.ts.
 */
import { ContainerInstanceManagementClient, type ContainerGroup } from "@azure/arm-containerinstance";
import type { TokenCredential } from "@azure/identity";
import { AciError, codeOf, isUnanswered, statusOf, toAciError } from "./errors";
import { withArmRetries, type RetrySettings } from "./retry";

export { AciError, toAciError };

export interface AciClientOptions {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** ARM base URL (public cloud, sovereign cloud or the local emulator). */
  readonly endpoint: string;
  /** Token audience; differs from the endpoint only for an emulator. */
  readonly audience: string;
  readonly credential: TokenCredential;
  /** Retries of each call for transient faults (retry.ts) before an error reaches the activity. */
  readonly retry?: RetrySettings;
  /** How often the create poller re-reads the async operation; the activity polls only once. */
  readonly lroPollIntervalMs?: number;
  /**
   * How long one request may wait for its answer before it counts as lost and is tried again. The SDK
   * sets none, so an answer that never comes would hold the activity until the function timeout.
   */
  readonly requestTimeoutMs?: number;
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
  readonly #retry: RetrySettings;
  readonly #requestOptions: { readonly requestOptions: { readonly timeout: number } };

  constructor(options: AciClientOptions) {
    this.resourceGroup = options.resourceGroup;
    this.#lroPollIntervalMs = options.lroPollIntervalMs ?? 2_000;
    this.#retry = options.retry ?? {};
    this.#requestOptions = { requestOptions: { timeout: options.requestTimeoutMs ?? 30_000 } };
    this.#sdk = new ContainerInstanceManagementClient(options.credential, options.subscriptionId, {
      endpoint: options.endpoint,
      // Without explicit scopes the SDK asks for a token for the endpoint itself, which for an emulator
      // is an audience no credential can issue (aci-rest-api.md §13.2).
      credentialScopes: `${options.audience}/.default`,
      // Retries are ours (retry.ts): the same budget for every transient fault, and each try visible.
      retryOptions: { maxRetries: 0 },
    });
  }

  /** The group, or undefined when ARM says it does not exist (404 ResourceNotFound). */
  async get(name: string): Promise<ContainerGroup | undefined> {
    return withArmRetries(this.#retry, async () => {
      try {
        return await this.#sdk.containerGroups.get(this.resourceGroup, name, this.#requestOptions);
      } catch (error) {
        if (isGroupNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  /** Every container group in the resource group (ARM pages through them). */
  async list(): Promise<ContainerGroup[]> {
    return withArmRetries(this.#retry, async () => {
      const groups: ContainerGroup[] = [];
      for await (const group of this.#sdk.containerGroups.listByResourceGroup(this.resourceGroup, this.#requestOptions)) groups.push(group);
      return groups;
    });
  }

  /**
   * Sends the PUT and one poll of the async operation (the SDK's `beginCreateOrUpdate`), never waiting
   * for provisioning inside an activity: the orchestration watches with durable timers instead. A PUT is
   * idempotent, so a failed one is sent again.
   */
  async create(name: string, group: ContainerGroup): Promise<CreateResult> {
    return withArmRetries(this.#retry, async () => {
      let putStatus: number | undefined;
      try {
        const poller = await this.#sdk.containerGroups.beginCreateOrUpdate(this.resourceGroup, name, group, {
          ...this.#requestOptions,
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
        throw error;
      }
    });
  }

  /**
   * The container's log with timestamps (its last `tail` lines, if given), or undefined when ACI has none yet (ContainerLogNotAvailable,
   * before the container starts; aci-rest-api.md §7).
   */
  async logs(groupName: string, containerName: string, tail?: number): Promise<string | undefined> {
    return withArmRetries(this.#retry, async () => {
      try {
        const logs = await this.#sdk.containers.listLogs(this.resourceGroup, groupName, containerName, {
          ...this.#requestOptions,
          timestamps: true,
          ...(tail === undefined ? {} : { tail }),
        });
        return logs.content ?? "";
      } catch (error) {
        if (toAciError(error).code === "ContainerLogNotAvailable") return undefined;
        throw error;
      }
    });
  }

  /**
   * Deletes and waits for ARM to confirm. "notFound" when the group was not there (204 or 404) and no
   * earlier DELETE of this call may have removed it; after a DELETE whose answer was lost, a 204 means
   * that request did the work, so it is "deleted".
   */
  async delete(name: string): Promise<"deleted" | "notFound"> {
    let accepted = false;
    let unanswered = false;
    try {
      return await withArmRetries(this.#retry, async (earlier) => {
        let firstStatus: number | undefined;
        unanswered ||= earlier.unanswered;
        const deletedByUs = () => accepted || unanswered;
        try {
          await this.#sdk.containerGroups.beginDeleteAndWait(this.resourceGroup, name, {
            ...this.#requestOptions,
            updateIntervalInMs: this.#lroPollIntervalMs,
            onResponse: (response) => {
              firstStatus ??= response.status;
              if (response.status === 200 || response.status === 202) accepted = true;
            },
          });
          return firstStatus === 204 && !deletedByUs() ? "notFound" : "deleted";
        } catch (error) {
          if (isGroupNotFound(error)) return deletedByUs() ? "deleted" : "notFound";
          if (isUnanswered(toAciError(error))) unanswered = true;
          throw error;
        }
      });
    } catch (error) {
      const failure = toAciError(error);
      failure.mayHaveBeenCarriedOut = accepted || unanswered;
      throw failure;
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

function capitalise(status: string): string {
  return status.length > 0 ? `${status[0]!.toUpperCase()}${status.slice(1)}` : status;
}
