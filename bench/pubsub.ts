// Benchmark: deliveries per second of the Pub/Sub worker (consume from JetStream → publish with an
// ordering key → ack) to the Pub/Sub emulator of the machine's Google Cloud CLI, against the same
// client library publishing the same messages with the same keys and concurrency straight to the same
// emulator, in the same run. The emulator is a JVM on this machine: the absolute rates say more about
// it than about Pub/Sub; the ratio says what the worker adds. A real nats-server (the test harness's)
// holds the deliveries.

import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ConsumerManager } from "../src/controller/consumers.ts";
import { DELIVERY_DEFAULTS, type SubscriptionRecord } from "../src/controller/records.ts";
import { ensureDeliveryConsumers } from "../src/delivery/consumer-config.ts";
import { PUBSUB_DEFAULTS } from "../src/delivery/defaults.ts";
import { envelopeHeaders } from "../src/delivery/envelope.ts";
import { createPubSubChannel } from "../src/delivery/pubsub.ts";
import { DeliveryWorker } from "../src/delivery/worker.ts";
import { bootstrap } from "../src/nats/bootstrap.ts";
import { connectNats } from "../src/nats/connection.ts";
import { deliverySubject, registryKey } from "../src/nats/names.ts";
import { startNatsServer } from "../test/harness/nats.ts";
import { pubsubEmulatorLauncher, startPubSubEmulator } from "../test/harness/pubsub-emulator.ts";
import { environment, median, writeResult } from "./harness.ts";

const NAMESPACE = "bench";
const PROJECT = "segwatch-bench";
const USERS = 1_000;

export interface PubSubBenchOptions {
  readonly rounds: number;
  /** Deliveries per round. */
  readonly messages: number;
  /** The subscription's maxInFlight, and the raw client's publishes in flight. */
  readonly concurrency?: number;
}

export interface PubSubBenchResult {
  readonly messages: number;
  readonly concurrency: number;
  readonly users: number;
  readonly payloadBytes: number;
  readonly deliveriesPerSecond: {
    readonly worker: number;
    readonly rawClient: number;
    /** worker ÷ raw client. */
    readonly ratio: number;
  };
  readonly cpuMsPer1k: { readonly worker: number; readonly rawClient: number };
  readonly rounds: {
    readonly workerMs: number[];
    readonly rawMs: number[];
    readonly workerCpuMs: number[];
    readonly rawCpuMs: number[];
  };
}

function payload(subscriptionId: string, user: string, i: number): string {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString();
  return JSON.stringify({
    data: {
      _created: "2026-01-01T00:00:00.000Z",
      _modified: at,
      email: `${user}@example.com`,
      user_id: user,
      plan: "pro",
      paying_user: "t",
      segment_events: [
        {
          id: "d3d8f15855b6b067709577342fe72db9",
          event: "enter",
          enter: at,
          exit: null,
          slug: "demo_segment",
        },
      ],
    },
    meta: { object: "user", source: "subscription", subscription_id: subscriptionId },
  });
}

async function publishRound(
  nc: NatsConnection,
  subscriptionId: string,
  messages: number,
): Promise<void> {
  const js = jetstream(nc);
  const subject = deliverySubject("pubsub", subscriptionId, "live");
  const window = 256;
  for (let i = 0; i < messages; i += window) {
    const acks = [];
    for (let j = i; j < Math.min(messages, i + window); j++) {
      const user = `user${j % USERS}`;
      acks.push(
        js.publish(subject, payload(subscriptionId, user, j), {
          headers: envelopeHeaders({
            msgId: `${subscriptionId}:${j}`,
            namespace: NAMESPACE,
            subscriptionId,
            userKey: user,
            lane: "live",
          }),
        }),
      );
    }
    await Promise.all(acks);
  }
}

async function createTopic(host: string, topic: string): Promise<void> {
  const res = await fetch(`http://${host}/v1/${topic}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  if (!res.ok) throw new Error(`creating ${topic}: HTTP ${res.status}: ${await res.text()}`);
}

/** Why the benchmark cannot run here (no emulator), or undefined. */
export function pubsubBenchSkipReason(): string | undefined {
  try {
    pubsubEmulatorLauncher();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1_000;
}

export async function runPubSubBench(opts: PubSubBenchOptions): Promise<PubSubBenchResult> {
  const concurrency = opts.concurrency ?? DELIVERY_DEFAULTS.maxInFlight;
  const emulator = await startPubSubEmulator();
  const server = await startNatsServer().catch(async (err) => {
    await emulator.stop();
    throw err;
  });
  const nc = await connectNats("bench-pubsub", { url: server.url });
  const channel = createPubSubChannel({ apiEndpoint: emulator.host });
  let delivered = 0;
  let target = 0;
  let done: (() => void) | undefined;
  let failed: ((err: Error) => void) | undefined;
  const buckets = await bootstrap(nc);
  const worker = new DeliveryWorker({
    nc,
    ...buckets,
    channel,
    observer: {
      delivered: () => {
        if (++delivered === target) done?.();
      },
      deadLettered: (_r, _l, _e, error) =>
        failed?.(new Error(`bench delivery dead-lettered: ${error}`)),
    },
  });
  const jsm = await jetstreamManager(nc);
  await worker.start();
  // The baseline: the same library, the same publisher settings as the channel's.
  const { PubSub } = await import("@google-cloud/pubsub");
  const rawClient = new PubSub({
    projectId: PROJECT,
    apiEndpoint: emulator.host,
    clientOptions: { universeDomain: "googleapis.com" },
  });
  const sample = payload("0".repeat(32), "user0", 0);

  let round = 0;
  const workerRound = async (messages: number): Promise<{ ms: number; cpu: number }> => {
    const id = `b${process.pid}r${round++}x`.padEnd(32, "0");
    const topic = `projects/${PROJECT}/topics/t-${id}`;
    await createTopic(emulator.host, topic);
    await ensureDeliveryConsumers(jsm, "pubsub", id);
    await publishRound(nc, id, messages);
    const record: SubscriptionRecord = {
      id,
      namespace: NAMESPACE,
      name: id,
      channel: "pubsub",
      generation: 1,
      segmentIds: ["seg"],
      events: ["enter", "exit"],
      fields: [],
      delivery: { ...DELIVERY_DEFAULTS, maxInFlight: concurrency },
      pubsub: { projectId: PROJECT, topic },
    };
    delivered = 0;
    target = messages;
    const all = new Promise<void>((resolve, reject) => {
      done = resolve;
      failed = reject;
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await buckets.registry.put(registryKey.subscription(NAMESPACE, id), JSON.stringify(record));
    await all;
    const ms = performance.now() - t0;
    const cpu = cpuMs(cpu0);
    await buckets.registry.delete(registryKey.subscription(NAMESPACE, id));
    await until(() => !worker.isConsuming(id));
    await new ConsumerManager(jsm).remove(id, { purge: true });
    return { ms, cpu };
  };
  const raw = async (messages: number): Promise<{ ms: number; cpu: number }> => {
    const name = `projects/${PROJECT}/topics/raw-${round++}`;
    await createTopic(emulator.host, name);
    const topic = rawClient.topic(name, {
      messageOrdering: true,
      batching: { maxMessages: PUBSUB_DEFAULTS.maxBatch, maxMilliseconds: 0 },
      gaxOpts: { timeout: DELIVERY_DEFAULTS.timeoutMs, retry: null },
    });
    const bodies = Array.from({ length: messages }, (_, i) =>
      Buffer.from(payload("0".repeat(32), `user${i % USERS}`, i)),
    );
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < messages; i = next++) {
        await topic.publishMessage({ data: bodies[i]!, orderingKey: `user${i % USERS}` });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return { ms: performance.now() - t0, cpu: cpuMs(cpu0) };
  };

  try {
    // Warm-up, a full round of each: JIT (the emulator's too), the gRPC channels.
    await raw(opts.messages);
    await workerRound(opts.messages);
    const rounds = {
      workerMs: [] as number[],
      rawMs: [] as number[],
      workerCpuMs: [] as number[],
      rawCpuMs: [] as number[],
    };
    for (let r = 0; r < opts.rounds; r++) {
      const a = await raw(opts.messages);
      rounds.rawMs.push(a.ms);
      rounds.rawCpuMs.push(a.cpu);
      const b = await workerRound(opts.messages);
      rounds.workerMs.push(b.ms);
      rounds.workerCpuMs.push(b.cpu);
    }
    const rate = (ms: number[]) => opts.messages / (median(ms) / 1_000);
    const per1k = (ms: number[]) => (median(ms) / opts.messages) * 1_000;
    const workerRate = rate(rounds.workerMs);
    const rawRate = rate(rounds.rawMs);
    return {
      messages: opts.messages,
      concurrency,
      users: USERS,
      payloadBytes: Buffer.byteLength(sample),
      deliveriesPerSecond: { worker: workerRate, rawClient: rawRate, ratio: workerRate / rawRate },
      cpuMsPer1k: { worker: per1k(rounds.workerCpuMs), rawClient: per1k(rounds.rawCpuMs) },
      rounds,
    };
  } finally {
    await worker.stop();
    await channel.destroy();
    await rawClient.close();
    await nc.drain();
    await server.stop();
    await emulator.stop();
  }
}

async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("pubsub bench: timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `webhookRate`: the webhook worker's rate from the same run, shown beside. */
export function reportPubSub(r: PubSubBenchResult, webhookRate?: number): string[] {
  const f = (n: number) => Math.round(n).toLocaleString("en-US");
  return [
    `pubsub worker — ${r.messages} deliveries of ${r.payloadBytes}-byte payloads to the Pub/Sub emulator, ${r.users} users (ordering keys), ${r.concurrency} in flight`,
    `  deliveries per second: ${f(r.deliveriesPerSecond.worker)} worker vs ${f(r.deliveriesPerSecond.rawClient)} raw client → ${r.deliveriesPerSecond.ratio.toFixed(2)}×${webhookRate ? ` (webhook worker: ${f(webhookRate)}/s)` : ""}`,
    `  CPU ms per 1k (this process): ${r.cpuMsPer1k.worker.toFixed(0)} worker, ${r.cpuMsPer1k.rawClient.toFixed(0)} raw client`,
  ];
}

export function savePubSub(r: PubSubBenchResult): string {
  return writeResult("pubsub", { benchmark: "pubsub", environment: environment(), ...r });
}
