/**
 * @module
 * The one place that talks to `@azure/arm-containerinstance`. It turns the SDK's answers into the few
 * facts the activities need; every failure is sorted into transient (retried here, then by Durable) or
 * terminal (reported), errors.ts.
 */
import { ContainerInstanceManagementClient, type ContainerGroup } from "@azure/arm-containerinstance";
import type { TokenCredential } from "@azure/identity";
import { AciError, codeOf, isUnanswered, statusOf, toAciError } from "./errors";
import { withArmRetries, type ArmRetry, type RetrySettings } from "./retry";

export { AciError, toAciError, type ArmRetry };

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
  /** How often a DELETE that ARM only accepted (202) is confirmed by reading the group again. */
  readonly lroPollIntervalMs?: number;
  /** How long to wait for an accepted DELETE to complete before it counts as failed (transient). Default 5 min. */
  readonly deleteConfirmTimeoutMs?: number;
  /**
   * How long one request may wait for its answer before it counts as lost and is tried again. The SDK
   * sets none, so an answer that never comes would hold the activity until the function timeout.
   */
  readonly requestTimeoutMs?: number;
}

export interface CreateResult {
  /** 201 (a new group) versus 200 (the PUT updated an existing one). */
  readonly createdNew: boolean;
  /** `provisioningState` in ARM's answer to the PUT (Pending for a new group), or "Unknown". */
  readonly operationStatus: string;
}

export class AciClient {
  readonly resourceGroup: string;
  readonly #sdk: ContainerInstanceManagementClient;
  readonly #lroPollIntervalMs: number;
  readonly #deleteConfirmTimeoutMs: number;
  readonly #retry: RetrySettings;
  readonly #requestOptions: { readonly requestOptions: { readonly timeout: number } };

  readonly #options: AciClientOptions;

  /** `sdk`: the SDK client of another AciClient, shared by {@link reportingRetries}. */
  constructor(options: AciClientOptions, sdk?: ContainerInstanceManagementClient) {
    this.#options = options;
    this.resourceGroup = options.resourceGroup;
    this.#lroPollIntervalMs = options.lroPollIntervalMs ?? 2_000;
    this.#deleteConfirmTimeoutMs = options.deleteConfirmTimeoutMs ?? 5 * 60_000;
    this.#retry = options.retry ?? {};
    this.#requestOptions = { requestOptions: { timeout: options.requestTimeoutMs ?? 30_000 } };
    this.#sdk = sdk ?? new ContainerInstanceManagementClient(options.credential, options.subscriptionId, {
      endpoint: options.endpoint,
      // Without explicit scopes the SDK asks for a token for the endpoint itself, which for an emulator
      // is an audience no credential can issue (aci-rest-api.md §13.2).
      credentialScopes: `${options.audience}/.default`,
      // Retries are ours (retry.ts): the same budget for every transient fault, and each try visible.
      retryOptions: { maxRetries: 0 },
    });
  }

  /** The same client (and connections), telling `onRetry` of each retry of its calls. */
  reportingRetries(onRetry: (retry: ArmRetry) => void): AciClient {
    return new AciClient({ ...this.#options, retry: { ...this.#retry, onRetry } }, this.#sdk);
  }

  /** The group, or undefined when ARM says it does not exist (404 ResourceNotFound). */
  async get(name: string): Promise<ContainerGroup | undefined> {
    return withArmRetries(this.#retry, `GET container group ${name}`, async () => {
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
    return withArmRetries(this.#retry, `list of the container groups in ${this.resourceGroup}`, async () => {
      const groups: ContainerGroup[] = [];
      for await (const group of this.#sdk.containerGroups.listByResourceGroup(this.resourceGroup, this.#requestOptions)) groups.push(group);
      return groups;
    });
  }

  /**
   * Sends the PUT and nothing else: never waiting for provisioning inside an activity (the orchestration
   * watches with durable timers and reads the group with GET), and never polling the Azure-AsyncOperation
   * URL ACI answers with. That URL is `/subscriptions/{sub}/providers/Microsoft.ContainerInstance/locations/
   * {region}/operations/{id}`, a subscription-scope resource the app's role (assignable on the jobs resource
   * group only) does not cover. The SDK's `beginCreateOrUpdate` polls it once before returning, so the call
   * is stopped as soon as the PUT is answered (see {@link stopAfterFirstAnswer}). A PUT is idempotent, so a
   * failed one is sent again.
   */
  async create(name: string, group: ContainerGroup): Promise<CreateResult> {
    return withArmRetries(this.#retry, `PUT container group ${name}`, async () => {
      const first = stopAfterFirstAnswer();
      try {
        await this.#sdk.containerGroups.beginCreateOrUpdate(this.resourceGroup, name, group, { ...this.#requestOptions, ...first.options });
      } catch (error) {
        if (!first.stoppedUs(error)) throw error;
      }
      const put = first.answer!;
      return { createdNew: put.status === 201, operationStatus: provisioningStateOf(put.body) };
    });
  }

  /**
   * The container's log with timestamps (its last `tail` lines, if given), or undefined when ACI has none yet (ContainerLogNotAvailable,
   * before the container starts; aci-rest-api.md §7).
   */
  async logs(groupName: string, containerName: string, tail?: number): Promise<string | undefined> {
    return withArmRetries(this.#retry, `log of container group ${groupName}`, async () => {
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
   * Deletes, and confirms with GET when ARM only accepted the DELETE (202), without polling an operation
   * URL (see {@link create}); ACI answers 200 and deletes synchronously (aci-rest-api.md §4.1). "notFound"
   * when the group was not there (204 or 404) and no earlier DELETE of this call may have removed it; after
   * a DELETE whose answer was lost, a 204 means that request did the work, so it is "deleted".
   */
  async delete(name: string): Promise<"deleted" | "notFound"> {
    let accepted = false;
    let unanswered = false;
    try {
      const outcome = await withArmRetries(this.#retry, `DELETE container group ${name}`, async (earlier): Promise<"deleted" | "notFound" | "accepted"> => {
        unanswered ||= earlier.unanswered;
        const deletedByUs = () => accepted || unanswered;
        const first = stopAfterFirstAnswer();
        try {
          await this.#sdk.containerGroups.beginDeleteAndWait(this.resourceGroup, name, { ...this.#requestOptions, ...first.options });
        } catch (error) {
          if (!first.stoppedUs(error)) {
            if (isGroupNotFound(error)) return deletedByUs() ? "deleted" : "notFound";
            if (isUnanswered(toAciError(error))) unanswered = true;
            throw error;
          }
        }
        const status = first.answer?.status;
        if (status === 204) return deletedByUs() ? "deleted" : "notFound";
        accepted = true;
        return status === 202 ? "accepted" : "deleted";
      });
      if (outcome !== "accepted") return outcome;
      await this.#untilGone(name);
      return "deleted";
    } catch (error) {
      const failure = toAciError(error);
      failure.mayHaveBeenCarriedOut = accepted || unanswered;
      throw failure;
    }
  }

  /**
   * Reads the group until ARM says it is gone (a DELETE answered 202 is still running), for at most
   * `deleteConfirmTimeoutMs`; then a transient failure, so the delete is tried again rather than waited on
   * until the function times out.
   */
  async #untilGone(name: string): Promise<void> {
    const deadline = Date.now() + this.#deleteConfirmTimeoutMs;
    while ((await this.get(name)) !== undefined) {
      if (Date.now() >= deadline) {
        throw new AciError("DeleteNotConfirmed", `ARM accepted the DELETE of container group ${name}, but the group was still there ${Math.round(this.#deleteConfirmTimeoutMs / 1000)} s later.`, true);
      }
      await new Promise((resolve) => setTimeout(resolve, this.#lroPollIntervalMs));
    }
  }
}

/**
 * Options that end an SDK long-running call once its first request is answered, before the poller sends
 * anything else: the poll requests carry the call's abort signal, so they are never sent. `answer` is that
 * first response; `stoppedUs` tells our own abort apart from a failure of the request itself.
 */
function stopAfterFirstAnswer() {
  const controller = new AbortController();
  let answer: { readonly status: number; readonly body: unknown } | undefined;
  return {
    options: {
      abortSignal: controller.signal,
      onResponse: (response: { status: number; parsedBody?: unknown }) => {
        if (answer !== undefined) return;
        answer = { status: response.status, body: response.parsedBody };
        if (response.status < 300) controller.abort();
      },
    },
    get answer() {
      return answer;
    },
    stoppedUs: (error: unknown) => controller.signal.aborted && answer !== undefined && answer.status < 300 && (error as { name?: unknown } | null)?.name === "AbortError",
  };
}

/** `properties.provisioningState` of a PUT's answer (Pending, Creating, Succeeded, Failed), or "Unknown". */
function provisioningStateOf(body: unknown): string {
  const state = (body as { properties?: { provisioningState?: unknown } } | null)?.properties?.provisioningState;
  return typeof state === "string" && state.length > 0 ? state : "Unknown";
}

/**
 * Only a 404 that says the group itself does not exist means "absent". A 404 ResourceGroupNotFound or
 * SubscriptionNotFound is a wrong setting, and reading it as "already deleted" would hide it.
 */
function isGroupNotFound(error: unknown): boolean {
  const code = codeOf(error);
  return statusOf(error) === 404 && (code === undefined || code === "ResourceNotFound");
}

