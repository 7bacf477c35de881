/**
 * @module
 * Bench for issue 12: what listing runs costs in storage requests when many runs are stored, counted by a
 * proxy in front of Azurite (every request the Storage SDK sends, whatever it is), and how many of a
 * chatty container's lines the log archive keeps.
 */
import { BlobServiceClient } from "@azure/storage-blob";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DEV_ACCOUNT, DEV_KEY, startAzurite } from "../local/azurite";
import { BlobRunIndex, type RunListQuery } from "../../src/runs/runIndex";
import type { RunSummary } from "../../src/runs/runSummary";

export interface ListMeasurement {
  readonly name: string;
  readonly runs: number;
  readonly requests: number;
}

export interface RunListBench {
  readonly stored: number;
  readonly seedSeconds: number;
  readonly lists: readonly ListMeasurement[];
}

/** A proxy that counts the requests it forwards to `port`. */
async function countingProxy(port: number): Promise<{ server: Server; port: number; count: () => number }> {
  let count = 0;
  const server = createServer((incoming, outgoing) => {
    count++;
    const forward = httpRequest({ host: "127.0.0.1", port, path: incoming.url, method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forward.on("error", () => outgoing.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, count: () => count };
}

const STATES = ["succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "failed", "timedOut"] as const;

/**
 * Stores `total` finished runs of two jobs (nine in ten of `nightly`; one in ten failed) through the index,
 * then lists pages as the API does and counts the storage requests each list takes.
 */
export async function measureRunList(total = 10_000): Promise<RunListBench> {
  const azurite = await startAzurite({ services: "blob" });
  const proxy = await countingProxy(azurite.ports.blob);
  try {
    const connection = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${proxy.port}/${DEV_ACCOUNT};`;
    const container = BlobServiceClient.fromConnectionString(connection).getContainerClient("bench-run-index");
    await container.createIfNotExists();
    const index = new BlobRunIndex(container, async () => undefined);
    const seedStart = Date.now();
    const start = Date.parse("2026-01-01T00:00:00Z");
    const summaries: RunSummary[] = Array.from({ length: total }, (_, i) => {
      const job = i % 10 === 9 ? "weekly" : "nightly";
      const createdAt = new Date(start + i * 3_600_000).toISOString();
      return {
        runId: `${job}-${createdAt.replace(/[-:.]/gu, "").slice(0, 15)}Z-${i.toString(16).padStart(8, "0")}`,
        job,
        state: STATES[i % STATES.length]!,
        trigger: { kind: "schedule", slot: createdAt, pastDue: false },
        slot: createdAt,
        createdAt,
        startedAt: createdAt,
        finishedAt: new Date(start + i * 3_600_000 + 600_000).toISOString(),
        attempts: 1,
        exitCode: STATES[i % STATES.length] === "succeeded" ? 0 : 1,
        detail: "The container exited.",
      };
    });
    // Eight at a time: the way runs end, concurrently, without flooding one local Azurite.
    for (let i = 0; i < summaries.length; i += 8) await Promise.all(summaries.slice(i, i + 8).map((summary) => index.recordFinished(summary)));
    const seedSeconds = (Date.now() - seedStart) / 1_000;

    const lists: ListMeasurement[] = [];
    const measure = async (name: string, query: RunListQuery): Promise<string | undefined> => {
      const before = proxy.count();
      const page = await index.list(query);
      lists.push({ name, runs: page.runs.length, requests: proxy.count() - before });
      return page.continuationToken;
    };
    const token = await measure("newest 50 of job nightly", { job: "nightly", limit: 50 });
    await measure("next 50 of job nightly (continuation token)", { job: "nightly", limit: 50, ...(token ? { continuationToken: token } : {}) });
    await measure("newest 50 failed of job nightly", { job: "nightly", state: "failed", limit: 50 });
    await measure("newest 50 of every job", { limit: 50 });
    await measure("runs of job weekly since 30 days before the newest", { job: "weekly", since: new Date(start + (total - 720) * 3_600_000), limit: 100 });
    return { stored: total, seedSeconds, lists };
  } finally {
    await new Promise<void>((resolve) => proxy.server.close(() => resolve()));
    await azurite.stop();
  }
}
