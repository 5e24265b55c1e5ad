// The Pub/Sub tests' view of the emulator, through its REST API (not the client library under test):
// topics, ordered subscriptions, pulling what arrived. Plus a loopback TCP relay in front of the
// emulator that can drop connections, to make publishes fail the way a network outage does.

import { connect, createServer, type Server, type Socket } from "node:net";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Lane } from "../../src/nats/names.ts";
import { type Published, publishInOrder, until, WAIT_MS } from "./delivery-support.ts";

export interface PulledMessage {
  readonly data: Buffer;
  readonly attributes: Record<string, string>;
  readonly orderingKey: string;
  readonly messageId: string;
}

export class EmulatorRest {
  readonly #base: string;

  constructor(host: string) {
    this.#base = `http://${host}/v1`;
  }

  async createTopic(topic: string): Promise<void> {
    await this.#call("PUT", topic, {});
  }

  /** A subscription with message ordering, as consumers of ordered triggers create it. */
  async createOrderedSubscription(subscription: string, topic: string): Promise<void> {
    await this.#call("PUT", subscription, {
      topic,
      enableMessageOrdering: true,
      ackDeadlineSeconds: 60,
    });
  }

  /** Pulls and acknowledges until `count` messages arrived (bounded wait), in arrival order. */
  async pullAll(subscription: string, count: number, ms = WAIT_MS): Promise<PulledMessage[]> {
    const out: PulledMessage[] = [];
    await until(
      `${count} messages on ${subscription}`,
      async () => {
        const res = (await this.#call("POST", `${subscription}:pull`, {
          maxMessages: 1000,
          returnImmediately: true,
        })) as {
          receivedMessages?: {
            ackId: string;
            message: {
              data?: string;
              attributes?: Record<string, string>;
              orderingKey?: string;
              messageId: string;
            };
          }[];
        };
        const received = res.receivedMessages ?? [];
        for (const r of received) {
          out.push({
            data: Buffer.from(r.message.data ?? "", "base64"),
            attributes: r.message.attributes ?? {},
            orderingKey: r.message.orderingKey ?? "",
            messageId: r.message.messageId,
          });
        }
        if (received.length > 0) {
          await this.#call("POST", `${subscription}:acknowledge`, {
            ackIds: received.map((r) => r.ackId),
          });
        }
        return out.length >= count;
      },
      ms,
    );
    return out;
  }

  async #call(method: string, path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${this.#base}/${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator ${method} ${path}: HTTP ${res.status}: ${text}`);
    return text ? JSON.parse(text) : {};
  }
}

/** Publishes deliveries on the pubsub channel's subjects, as the evaluator does. */
export function publishPubSubDeliveries(
  nc: NatsConnection,
  subscriptionId: string,
  messages: readonly { user: string; index: number }[],
  opts: { lane?: Lane; profile?: (user: string) => Record<string, unknown> } = {},
): Promise<Published[]> {
  const withProfiles = messages.map((m) => ({ ...m, extra: opts.profile?.(m.user) }));
  return publishInOrder(nc, "pubsub", subscriptionId, withProfiles, opts.lane);
}

/**
 * A loopback TCP relay to `target`. While down, it closes every connection it has and every new one
 * at once: a gRPC client sees UNAVAILABLE, as in an outage.
 */
export interface FaultyRelay {
  readonly host: string;
  /** Connections accepted so far (dropped ones included). */
  readonly connections: () => number;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number): Promise<FaultyRelay> {
  const sockets = new Set<Socket>();
  let isDown = false;
  let connections = 0;
  const server: Server = createServer((client) => {
    connections++;
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    client.on("close", () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on("close", () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on("error", () => {});
    upstream.on("error", () => {});
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    host: `127.0.0.1:${port}`,
    connections: () => connections,
    down() {
      isDown = true;
      for (const s of sockets) s.destroy();
    },
    up() {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
