/**
 * A webhook on a local port that keeps what it receives and answers as a test tells it: a status per
 * request in turn (the last one repeats), like a Slack or Teams incoming webhook that may be down.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface WebhookReceiver {
  /** The webhook URL (with a path that stands for its token). */
  readonly url: string;
  /** Bodies received, parsed as JSON, in order (refused ones too). */
  readonly received: unknown[];
  /** Statuses to answer, in turn; the last repeats. Default 200. */
  answer(...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: unknown[] = [];
  let statuses = [200];
  let served = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      const status = statuses[Math.min(served++, statuses.length - 1)]!;
      response.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/webhook-token-0123456789`,
    received,
    answer(...next) {
      statuses = next;
      served = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
