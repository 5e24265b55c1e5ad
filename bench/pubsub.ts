// Benchmark: deliveries per second of the Pub/Sub worker (consume from JetStream → publish with an
// ordering key → ack) to the Pub/Sub emulator of the machine's Google Cloud CLI, against the same
// client library publishing the same messages with the same keys and concurrency straight to the same
// emulator, in the same run. The emulator is a JVM on this machine: the absolute rates say more about
// it than about Pub/Sub; the ratio says what the worker adds. A real nats-server (the test harness's)
// holds the deliveries.

import { DELIVERY_DEFAULTS } from "../src/controller/records.ts";
import { PUBSUB_DEFAULTS } from "../src/delivery/defaults.ts";
import { createPubSubChannel } from "../src/delivery/pubsub.ts";
import { connectNats } from "../src/nats/connection.ts";
import { startNatsServer } from "../test/harness/nats.ts";
import { pubsubEmulatorLauncher, startPubSubEmulator } from "../test/harness/pubsub-emulator.ts";
import { environment, writeResult } from "./harness.ts";
import {
  BENCH_USERS,
  baselineBodies,
  benchPayload,
  benchUser,
  interleavedRounds,
  per1k,
  ratePerSecond,
  startWorkerBench,
  timeRound,
} from "./worker-bench.ts";

const PROJECT = "segwatch-bench";

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

export async function runPubSubBench(opts: PubSubBenchOptions): Promise<PubSubBenchResult> {
  const concurrency = opts.concurrency ?? DELIVERY_DEFAULTS.maxInFlight;
  const emulator = await startPubSubEmulator();
  const server = await startNatsServer().catch(async (err) => {
    await emulator.stop();
    throw err;
  });
  const nc = await connectNats("bench-pubsub", { url: server.url });
  const channel = createPubSubChannel({ apiEndpoint: emulator.host });
  const bench = await startWorkerBench(nc, channel, concurrency);
  // The baseline: the same library, the same publisher settings as the channel's.
  const { PubSub } = await import("@google-cloud/pubsub");
  const rawClient = new PubSub({
    projectId: PROJECT,
    apiEndpoint: emulator.host,
    clientOptions: { universeDomain: "googleapis.com" },
  });
  const sample = benchPayload("0".repeat(32), "user0", 0);

  let round = 0;
  const workerRound = async (messages: number): Promise<{ ms: number; cpu: number }> => {
    const id = `b${process.pid}r${round++}x`.padEnd(32, "0");
    const topic = `projects/${PROJECT}/topics/t-${id}`;
    await createTopic(emulator.host, topic);
    return bench.round(id, messages, { pubsub: { projectId: PROJECT, topic } });
  };
  const raw = async (messages: number): Promise<{ ms: number; cpu: number }> => {
    const name = `projects/${PROJECT}/topics/raw-${round++}`;
    await createTopic(emulator.host, name);
    const topic = rawClient.topic(name, {
      messageOrdering: true,
      batching: { maxMessages: PUBSUB_DEFAULTS.maxBatch, maxMilliseconds: 0 },
      gaxOpts: { timeout: DELIVERY_DEFAULTS.timeoutMs, retry: null },
    });
    const bodies = baselineBodies(messages);
    return timeRound(async () => {
      let next = 0;
      const lane = async () => {
        for (let i = next++; i < messages; i = next++) {
          await topic.publishMessage({ data: bodies[i]!, orderingKey: benchUser(i) });
        }
      };
      await Promise.all(Array.from({ length: concurrency }, lane));
    });
  };

  try {
    // The warm-up warms the emulator's JIT and the gRPC channels too.
    const times = await interleavedRounds(opts.rounds, {
      raw: () => raw(opts.messages),
      worker: () => workerRound(opts.messages),
    });
    const rounds = {
      workerMs: times.worker.ms,
      rawMs: times.raw.ms,
      workerCpuMs: times.worker.cpu,
      rawCpuMs: times.raw.cpu,
    };
    const workerRate = ratePerSecond(opts.messages, rounds.workerMs);
    const rawRate = ratePerSecond(opts.messages, rounds.rawMs);
    return {
      messages: opts.messages,
      concurrency,
      users: BENCH_USERS,
      payloadBytes: Buffer.byteLength(sample),
      deliveriesPerSecond: { worker: workerRate, rawClient: rawRate, ratio: workerRate / rawRate },
      cpuMsPer1k: {
        worker: per1k(opts.messages, rounds.workerCpuMs),
        rawClient: per1k(opts.messages, rounds.rawCpuMs),
      },
      rounds,
    };
  } finally {
    await bench.stop();
    await channel.destroy();
    await rawClient.close();
    await nc.drain();
    await server.stop();
    await emulator.stop();
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
