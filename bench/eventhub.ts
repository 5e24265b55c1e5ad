// Benchmark: deliveries per second of the Event Hubs worker (consume from JetStream → EventDataBatch
// per partition key → sendBatch over AMQP → ack) to the AMQP test peer, against the bare SDK sending
// the same events with the same concurrency in the same run (no NATS, no worker), and reported beside
// the webhook worker's rate. The peer runs in its own process; a real nats-server holds the deliveries.
// Every user is its own partition key, so each event is its own transfer, as in production.

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ConsumerManager } from "../src/controller/consumers.ts";
import { DELIVERY_DEFAULTS, type SubscriptionRecord } from "../src/controller/records.ts";
import { ensureDeliveryConsumers } from "../src/delivery/consumer-config.ts";
import { envelopeHeaders } from "../src/delivery/envelope.ts";
import { createEventHubChannel } from "../src/delivery/eventhub.ts";
import { DeliveryWorker } from "../src/delivery/worker.ts";
import { bootstrap } from "../src/nats/bootstrap.ts";
import { connectNats } from "../src/nats/connection.ts";
import { deliverySubject, registryKey } from "../src/nats/names.ts";
import { startNatsServer } from "../test/harness/nats.ts";
import { environment, median, writeResult } from "./harness.ts";

const NAMESPACE = "bench";
const USERS = 1_000;
const HUB = "bench";
const PEER_SCRIPT = new URL("./eventhub-peer-process.ts", import.meta.url).pathname;

export interface EventHubBenchOptions {
  readonly rounds: number;
  /** Deliveries per round. */
  readonly messages: number;
  /** The subscription's maxInFlight, and the bare SDK's sends in flight. */
  readonly concurrency?: number;
  /** The webhook worker's rate from the same run, to report beside. */
  readonly webhookPerSecond?: number;
  /** Events per `deliver` call (default: the channel's). */
  readonly maxBatch?: number;
}

export interface EventHubBenchResult {
  readonly messages: number;
  readonly concurrency: number;
  readonly users: number;
  readonly payloadBytes: number;
  readonly deliveriesPerSecond: {
    readonly worker: number;
    readonly bareSdk: number;
    /** worker ÷ bare SDK: what NATS, ordering, retries and counters cost on top of the SDK. */
    readonly ratio: number;
    /** The webhook worker's rate in the same run, if it ran. */
    readonly webhookWorker: number | null;
    /** worker ÷ webhook worker. */
    readonly ratioToWebhook: number | null;
  };
  readonly cpuMsPer1k: { readonly worker: number; readonly bareSdk: number };
  readonly rounds: {
    readonly workerMs: number[];
    readonly bareMs: number[];
    readonly workerCpuMs: number[];
    readonly bareCpuMs: number[];
  };
}

/** Thrown when the peer cannot be started; the bench run reports it as skipped. */
export class EventHubBenchSkipped extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EventHubBenchSkipped";
  }
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

async function startPeer(): Promise<{ child: ChildProcess; connectionString: string }> {
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [PEER_SCRIPT, HUB], { stdio: ["pipe", "pipe", "inherit"] });
    const [chunk] = (await Promise.race([
      once(child.stdout!, "data"),
      once(child, "exit").then(([code]) => {
        throw new Error(`the peer process exited with ${code}`);
      }),
    ])) as [Buffer];
    const { connectionString } = JSON.parse(chunk.toString().trim()) as {
      connectionString: string;
    };
    return { child, connectionString };
  } catch (err) {
    throw new EventHubBenchSkipped(`the AMQP test peer did not start: ${String(err)}`, {
      cause: err,
    });
  }
}

async function publishRound(nc: NatsConnection, subscriptionId: string, messages: number) {
  const js = jetstream(nc);
  const subject = deliverySubject("eventhub", subscriptionId, "live");
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

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1_000;
}

export async function runEventHubBench(opts: EventHubBenchOptions): Promise<EventHubBenchResult> {
  const concurrency = opts.concurrency ?? DELIVERY_DEFAULTS.maxInFlight;
  const peer = await startPeer();
  const { EventHubProducerClient } = await import("@azure/event-hubs");
  const server = await startNatsServer();
  const nc = await connectNats("bench-eventhub", { url: server.url });
  const channel = createEventHubChannel(opts.maxBatch ? { maxBatch: opts.maxBatch } : {});
  const bare = new EventHubProducerClient(peer.connectionString, HUB, {
    retryOptions: { maxRetries: 0 },
  });
  let delivered = 0;
  let target = 0;
  let done: (() => void) | undefined;
  let failed: ((err: Error) => void) | undefined;
  const worker = new DeliveryWorker({
    nc,
    ...(await bootstrap(nc)),
    channel,
    observer: {
      delivered: () => {
        if (++delivered === target) done?.();
      },
      deadLettered: (_r, _l, _e, error) =>
        failed?.(new Error(`bench delivery dead-lettered: ${error}`)),
    },
  });
  const { registry } = await bootstrap(nc);
  const jsm = await jetstreamManager(nc);
  await worker.start();
  const sample = payload("0".repeat(32), "user0", 0);
  const bodies = Array.from({ length: opts.messages }, (_, i) =>
    Buffer.from(payload("0".repeat(32), `user${i % USERS}`, i)),
  );

  let round = 0;
  const workerRound = async (): Promise<{ ms: number; cpu: number }> => {
    const id = `e${process.pid}r${round++}x`.padEnd(32, "0");
    await ensureDeliveryConsumers(jsm, "eventhub", id);
    await publishRound(nc, id, opts.messages);
    const record: SubscriptionRecord = {
      id,
      namespace: NAMESPACE,
      name: id,
      channel: "eventhub",
      generation: 1,
      segmentIds: ["seg"],
      events: ["enter", "exit"],
      fields: [],
      delivery: { ...DELIVERY_DEFAULTS, maxInFlight: concurrency },
      eventHub: { connectionString: peer.connectionString, eventHubName: HUB },
    };
    delivered = 0;
    target = opts.messages;
    const all = new Promise<void>((resolve, reject) => {
      done = resolve;
      failed = reject;
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await registry.put(registryKey.subscription(NAMESPACE, id), JSON.stringify(record));
    await all;
    const ms = performance.now() - t0;
    const cpu = cpuMs(cpu0);
    await registry.delete(registryKey.subscription(NAMESPACE, id));
    await until(() => !worker.isConsuming(id));
    await new ConsumerManager(jsm).remove(id, { purge: true });
    return { ms, cpu };
  };
  // The SDK alone: `concurrency` lanes, each sending one event per batch keyed by its user.
  const bareRound = async (): Promise<{ ms: number; cpu: number }> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        const batch = await bare.createBatch({ partitionKey: `user${i % USERS}` });
        batch.tryAdd({
          body: bodies[i]!,
          contentType: "application/json",
          messageId: `bare:${i}`,
          properties: { subscription_id: "bare", event_types: "enter" },
        });
        await bare.sendBatch(batch);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return { ms: performance.now() - t0, cpu: cpuMs(cpu0) };
  };

  try {
    await bareRound();
    await workerRound();
    const rounds = {
      workerMs: [] as number[],
      bareMs: [] as number[],
      workerCpuMs: [] as number[],
      bareCpuMs: [] as number[],
    };
    for (let r = 0; r < opts.rounds; r++) {
      const b = await bareRound();
      rounds.bareMs.push(b.ms);
      rounds.bareCpuMs.push(b.cpu);
      const w = await workerRound();
      rounds.workerMs.push(w.ms);
      rounds.workerCpuMs.push(w.cpu);
    }
    const rate = (ms: number[]) => opts.messages / (median(ms) / 1_000);
    const per1k = (ms: number[]) => (median(ms) / opts.messages) * 1_000;
    const workerRate = rate(rounds.workerMs);
    const bareRate = rate(rounds.bareMs);
    const webhook = opts.webhookPerSecond ?? null;
    return {
      messages: opts.messages,
      concurrency,
      users: USERS,
      payloadBytes: Buffer.byteLength(sample),
      deliveriesPerSecond: {
        worker: workerRate,
        bareSdk: bareRate,
        ratio: workerRate / bareRate,
        webhookWorker: webhook,
        ratioToWebhook: webhook ? workerRate / webhook : null,
      },
      cpuMsPer1k: { worker: per1k(rounds.workerCpuMs), bareSdk: per1k(rounds.bareCpuMs) },
      rounds,
    };
  } finally {
    await worker.stop();
    await channel.destroy();
    await bare.close();
    await nc.drain();
    await server.stop();
    peer.child.kill("SIGTERM");
    await once(peer.child, "exit");
  }
}

async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("eventhub bench: timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function reportEventHub(r: EventHubBenchResult): string[] {
  const f = (n: number) => Math.round(n).toLocaleString("en-US");
  const d = r.deliveriesPerSecond;
  return [
    `event hub worker — ${r.messages} deliveries of ${r.payloadBytes}-byte payloads to the AMQP test peer, ${r.users} users (one partition key each), ${r.concurrency} in flight`,
    `  deliveries per second: ${f(d.worker)} worker vs ${f(d.bareSdk)} bare SDK sends → ${d.ratio.toFixed(2)}×`,
    d.webhookWorker === null
      ? "  webhook worker rate: not measured in this run"
      : `  beside the webhook worker: ${f(d.webhookWorker)}/s → event hub is ${d.ratioToWebhook!.toFixed(2)}× of it`,
    `  CPU ms per 1k (this process): ${r.cpuMsPer1k.worker.toFixed(0)} worker, ${r.cpuMsPer1k.bareSdk.toFixed(0)} bare SDK`,
  ];
}

export function saveEventHub(r: EventHubBenchResult): string {
  return writeResult("eventhub", { benchmark: "eventhub", environment: environment(), ...r });
}
