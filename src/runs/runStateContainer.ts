/**
 * @module
 * The blob container in the host storage account where aci-jobs keeps its run state: run slots
 * (runSlots.ts) and the runs' log records (logArchive.ts).
 */
import { BlobServiceClient, type BlockBlobClient, type ContainerClient } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/identity";
import type { RunStateStorage } from "../config";

export const RUN_STATE_CONTAINER = "aci-jobs-runs";

/**
 * The container, and a function that creates it once on first use (again after a failed attempt).
 * `containerName` is for tests that share one Azurite and must not see each other's runs.
 */
export function runStateContainer(
  storage: RunStateStorage,
  credential: TokenCredential,
  containerName: string = RUN_STATE_CONTAINER,
): { container: ContainerClient; ensure: () => Promise<unknown> } {
  const service =
    storage.kind === "connectionString"
      ? BlobServiceClient.fromConnectionString(storage.connectionString)
      : new BlobServiceClient(storage.blobServiceUri, credential);
  const container = service.getContainerClient(containerName);
  let ready: Promise<unknown> | undefined;
  const ensure = () => {
    ready ??= container.createIfNotExists().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
  return { container, ensure };
}

/**
 * A JSON blob and the ETag of exactly that content (one download gives both), or undefined when there is
 * no such blob.
 */
export async function readJsonBlob<T>(blob: BlockBlobClient): Promise<{ value: T; etag: string } | undefined> {
  try {
    const response = await blob.download();
    const chunks: Buffer[] = [];
    for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.from(chunk as Buffer));
    const value = JSON.parse(Buffer.concat(chunks).toString("utf8")) as T;
    return response.etag ? { value, etag: response.etag } : undefined;
  } catch (error) {
    if (storageStatusOf(error) === 404) return undefined;
    throw error;
  }
}

/** The HTTP status of a storage failure (409, 412, 404 are answers, not faults, for conditional writes). */
export function storageStatusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}
