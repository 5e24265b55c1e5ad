// Shared pieces of the delivery integration tests: a recording HTTP receiver on 127.0.0.1, subscription
// records of every channel, workers with test timing, delivery messages in the evaluator's format,
// bounded waits.

import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StoredMsg,
} from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  DELIVERY_DEFAULTS,
  type SubscriptionRecord,
  type SubscriptionStats,
} from "../../src/controller/records.ts";
import type { DeliveryChannel } from "../../src/delivery/channel.ts";
import { ensureDeliveryConsumers } from "../../src/delivery/consumer-config.ts";
import { envelopeHeaders, type TriggerPayload } from "../../src/delivery/envelope.ts";
import { DeliveryWorker, type DeliveryWorkerOptions } from "../../src/delivery/worker.ts";
import { type Buckets, bootstrap } from "../../src/nats/bootstrap.ts";
import { connectNats } from "../../src/nats/connection.ts";
import {
  DELIVERIES_STREAM,
  DLQ_STREAM,
  deliveryConsumerName,
  deliverySubject,
  dlqSubject,
  type Lane,
  registryKey,
  statusKey,
} from "../../src/nats/names.ts";
import type { Channel } from "../../src/resources/types.ts";

/**
 * Worker timing for tests: a short lease (a worker that could not hand over cleanly does not hold
 * up the next test for the production TTL) and short pull requests.
 */
export const TEST_TIMING = {
  lease: { ttlMs: 3_000, renewMs: 500, pollMs: 50 },
  consumeExpiresMs: 2_000,
} as const;

/** A bound on anything that waits on a server or a worker: a limit on a hang, not a performance claim. */
export const WAIT_MS = 20_000;

export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function withDeadline<T>(what: string, p: Promise<T>, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A connection to a test nats-server, with the buckets bootstrapped. */
export interface NatsSession {
  readonly nc: NatsConnection;
  readonly buckets: Buckets;
  readonly jsm: JetStreamManager;
}

export async function connectSession(name: string, url: string): Promise<NatsSession> {
  const nc = await connectNats(name, { url });
  const buckets = await bootstrap(nc);
  return { nc, buckets, jsm: await jetstreamManager(nc) };
}

/** Runs a test's queued cleanups, newest first, and empties the queue. */
export async function runCleanups(cleanups: (() => Promise<void>)[]): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

// ---- receiver -----------------------------------------------------------------------------------

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
  /** The response status sent (undefined while held or when the connection was dropped). */
  status?: number;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Milliseconds to wait before answering. */
  readonly delayMs?: number;
  /** Never answer (until the client gives up or the server stops). */
  readonly hold?: boolean;
}

export type Responder = (req: Received, index: number) => Reply | Promise<Reply>;

export interface Receiver {
  readonly url: string;
  readonly requests: Received[];
  /** Requests being handled right now (for concurrency checks). */
  readonly active: () => number;
  readonly maxActive: () => number;
  /** TCP connections accepted so far. */
  readonly connections: () => number;
  respond: Responder;
  /** Answers every held request with this reply. */
  releaseHeld(reply: Reply): void;
  close(): Promise<void>;
}

export async function startReceiver(
  respond: Responder = () => ({ status: 200 }),
): Promise<Receiver> {
  const requests: Received[] = [];
  const held: { res: ServerResponse; rec: Received }[] = [];
  const sockets = new Set<Socket>();
  let active = 0;
  let maxActive = 0;
  let connections = 0;
  const answer = (res: ServerResponse, rec: Received, reply: Reply) => {
    if (res.destroyed || res.writableEnded) return;
    rec.status = reply.status;
    res.writeHead(reply.status, reply.headers ?? {});
    res.end(reply.body ?? "");
  };
  const receiver: Receiver = {
    url: "",
    requests,
    active: () => active,
    maxActive: () => maxActive,
    connections: () => connections,
    respond,
    releaseHeld(reply) {
      for (const { res, rec } of held.splice(0)) answer(res, rec, reply);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { res } of held.splice(0)) res.destroy();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const rec: Received = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      const index = requests.push(rec) - 1;
      active++;
      maxActive = Math.max(maxActive, active);
      res.on("close", () => {
        active--;
      });
      try {
        const reply = await receiver.respond(rec, index);
        if (reply.hold) {
          held.push({ res, rec });
          return;
        }
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        answer(res, rec, reply);
      } catch (err) {
        answer(res, rec, { status: 500, body: String(err) });
      }
    });
  });
  server.on("connection", (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  (receiver as { url: string }).url = `http://127.0.0.1:${port}`;
  return receiver;
}

// ---- records and messages -------------------------------------------------------------------------

export const NAMESPACE = "acme";

let counter = 0;
/** A fresh subscription id per test, so tests sharing a server never share consumers. */
export function newSubscriptionId(prefix = "sub"): string {
  counter++;
  return `${prefix}${process.pid}x${counter}x${Math.floor(Math.random() * 1e6)}`;
}

/** The channel block of a subscription record (`webhook`, `kinesis`, `eventHub` or `pubsub`). */
export type ChannelSettings = Pick<
  SubscriptionRecord,
  "webhook" | "kinesis" | "eventHub" | "pubsub"
>;

/** A subscription record of any channel, with short backoffs and timeouts for tests. */
export function testRecord(
  id: string,
  channel: Channel,
  settings: ChannelSettings,
  delivery: Partial<SubscriptionRecord["delivery"]> = {},
): SubscriptionRecord {
  return {
    id,
    namespace: NAMESPACE,
    name: `test-${id}`,
    channel,
    generation: 1,
    segmentIds: ["seg1"],
    events: ["enter", "exit"],
    fields: [],
    delivery: {
      ...DELIVERY_DEFAULTS,
      initialBackoffMs: 20,
      maxBackoffMs: 200,
      timeoutMs: 5_000,
      ...delivery,
    },
    ...settings,
  };
}

export function subscriptionRecord(
  id: string,
  url: string,
  overrides: {
    delivery?: Partial<SubscriptionRecord["delivery"]>;
    webhook?: Partial<NonNullable<SubscriptionRecord["webhook"]>>;
  } = {},
): SubscriptionRecord {
  return testRecord(
    id,
    "webhook",
    {
      webhook: {
        url,
        headers: { best_number: "47" },
        signingSecrets: [],
        ...overrides.webhook,
      },
    },
    overrides.delivery,
  );
}

// ---- workers ------------------------------------------------------------------------------------

export interface TestWorkerOptions
  extends Omit<DeliveryWorkerOptions, "nc" | "registry" | "status" | "channel"> {
  readonly nc: NatsConnection;
  readonly buckets: Buckets;
  readonly channel: DeliveryChannel;
  /** Where the worker's stop (and its channel's destroy) is queued for the test's cleanup. */
  readonly cleanups?: (() => Promise<void>)[];
}

export type TestWorker = DeliveryWorker & {
  /** Stops the worker, then destroys its channel. */
  stopAll(): Promise<void>;
};

/**
 * A started worker of `channel` with the test timing, zero jitter, a short bounded stop and quick
 * status writes; any other worker option overrides these.
 */
export async function startTestWorker(opts: TestWorkerOptions): Promise<TestWorker> {
  const { nc, buckets, channel, cleanups, ...options } = opts;
  const w = new DeliveryWorker({
    nc,
    registry: buckets.registry,
    status: buckets.status,
    channel,
    random: () => 0,
    ...TEST_TIMING,
    stopTimeoutMs: 2_000,
    statusFlushMs: 100,
    ...options,
  });
  await w.start();
  const stopAll = async () => {
    await w.stop();
    await channel.destroy();
  };
  cleanups?.push(stopAll);
  return Object.assign(w, { stopAll });
}

/** Registers a subscription the way the controller does: its consumers first, then the record. */
export async function putRecord(
  jsm: JetStreamManager,
  registry: KV,
  record: SubscriptionRecord,
): Promise<void> {
  await ensureDeliveryConsumers(jsm, record.channel, record.id);
  await registry.put(registryKey.subscription(record.namespace, record.id), JSON.stringify(record));
}

/** Registers `record` as the controller does and waits until `worker` consumes it. */
export async function subscribe(
  jsm: JetStreamManager,
  registry: KV,
  worker: DeliveryWorker,
  record: SubscriptionRecord,
): Promise<void> {
  await putRecord(jsm, registry, record);
  await worker.whenConsuming(record.id);
}

export function payload(subscriptionId: string, user: string, index: number): TriggerPayload {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString();
  return {
    data: {
      _created: "2026-01-01T00:00:00.000Z",
      _modified: at,
      user_id: user,
      index,
      segment_events: [
        {
          id: "seg1",
          event: index % 2 ? "exit" : "enter",
          enter: at,
          exit: index % 2 ? at : null,
          slug: "demo_segment",
        },
      ],
    },
    meta: { object: "user", source: "subscription", subscription_id: subscriptionId },
  };
}

export interface Published {
  readonly msgId: string;
  readonly user: string;
  readonly index: number;
  readonly body: string;
}

/** Publishes one message per (user, index) in order, with a bounded window of acks in flight. */
export async function publishDeliveries(
  nc: NatsConnection,
  subscriptionId: string,
  messages: readonly { user: string; index: number }[],
  lane: Lane = "live",
): Promise<Published[]> {
  const js = jetstream(nc);
  const out: Published[] = [];
  const window = 64;
  for (let i = 0; i < messages.length; i += window) {
    await Promise.all(
      messages
        .slice(i, i + window)
        .map((m) => publishOne(js, "webhook", subscriptionId, m, lane, out)),
    );
  }
  return out;
}

/**
 * Publishes one message per (user, index) on `channel`'s subject, one at a time in order; `extra`
 * fields join the profile in the payload's data.
 */
export async function publishInOrder(
  nc: NatsConnection,
  channel: Channel,
  subscriptionId: string,
  messages: readonly { user: string; index: number; extra?: Record<string, unknown> }[],
  lane: Lane = "live",
): Promise<Published[]> {
  const js = jetstream(nc);
  const out: Published[] = [];
  for (const m of messages) await publishOne(js, channel, subscriptionId, m, lane, out);
  return out;
}

/** Publishes one delivery as the evaluator does; what it sent is appended to `out`. */
async function publishOne(
  js: JetStreamClient,
  channel: Channel,
  subscriptionId: string,
  m: { user: string; index: number; extra?: Record<string, unknown> },
  lane: Lane,
  out: Published[],
): Promise<void> {
  const p = payload(subscriptionId, m.user, m.index);
  const body = JSON.stringify({ ...p, data: { ...p.data, ...m.extra } });
  const msgId = `${subscriptionId}:${m.user}:${m.index}`;
  out.push({ msgId, user: m.user, index: m.index, body });
  await js.publish(deliverySubject(channel, subscriptionId, lane), body, {
    headers: envelopeHeaders({
      msgId,
      namespace: NAMESPACE,
      subscriptionId,
      userKey: m.user,
      lane,
    }),
  });
}

/** users × perUser messages, interleaved: u0#0, u1#0, …, u0#1, u1#1, … */
export function interleaved(users: number, perUser: number): { user: string; index: number }[] {
  const out: { user: string; index: number }[] = [];
  for (let i = 0; i < perUser; i++)
    for (let u = 0; u < users; u++) out.push({ user: `user${u}`, index: i });
  return out;
}

export async function lastDeadLetter(
  jsm: JetStreamManager,
  subscriptionId: string,
  channel: Channel = "webhook",
): Promise<StoredMsg | null> {
  try {
    return await jsm.streams.getMessage(DLQ_STREAM, {
      last_by_subj: dlqSubject(channel, subscriptionId),
    });
  } catch {
    return null;
  }
}

/** The subscription's last dead letter; throws when there is none. */
export async function requireDeadLetter(
  jsm: JetStreamManager,
  subscriptionId: string,
  channel: Channel,
): Promise<StoredMsg> {
  const m = await lastDeadLetter(jsm, subscriptionId, channel);
  if (!m) throw new Error(`no dead letter for ${subscriptionId}`);
  return m;
}

export async function deadLetterCount(
  jsm: JetStreamManager,
  subscriptionId: string,
  channel: Channel = "webhook",
): Promise<number> {
  const subject = dlqSubject(channel, subscriptionId);
  const info = await jsm.streams.info(DLQ_STREAM, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

/** True when the live lane's consumer has nothing pending and nothing unacked. */
export async function laneDrained(
  jsm: JetStreamManager,
  subscriptionId: string,
  lane: Lane = "live",
): Promise<boolean> {
  const info = await jsm.consumers.info(
    DELIVERIES_STREAM,
    deliveryConsumerName(subscriptionId, lane),
  );
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

export async function readStats(
  status: KV,
  subscriptionId: string,
): Promise<SubscriptionStats | undefined> {
  const e = await status.get(statusKey.subscription(NAMESPACE, subscriptionId));
  return e && e.operation === "PUT" ? e.json<SubscriptionStats>() : undefined;
}

/** Waits until the subscription's stats (written every statusFlushMs) count `n` of `counter`. */
export function untilCounted(
  status: KV,
  subscriptionId: string,
  counter: "delivered" | "deadLettered",
  n: number,
): Promise<void> {
  return until(
    "stats written",
    async () => (await readStats(status, subscriptionId))?.[counter] === n,
  );
}

/** Per user, the indices of the requests that the receiver answered 2xx, in arrival order. */
export function deliveredOrder(requests: readonly Received[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of requests) {
    if (r.status === undefined || r.status < 200 || r.status > 299) continue;
    const p = JSON.parse(r.body) as { data: { user_id: string; index: number } };
    out.set(p.data.user_id, [...(out.get(p.data.user_id) ?? []), p.data.index]);
  }
  return out;
}
