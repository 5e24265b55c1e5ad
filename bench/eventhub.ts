// Benchmark: deliveries per second of the Event Hubs worker (consume from JetStream → EventDataBatch
// per partition key → sendBatch over AMQP → ack) to the AMQP test peer, against the bare SDK sending
// the same events with the same concurrency in the same run (no NATS, no worker), and reported beside
// the webhook worker's rate. The peer runs in its own process; a real nats-server holds the deliveries.
// Every user is its own partition key, so each event is its own transfer, as in production.

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { DELIVERY_DEFAULTS } from "../src/controller/records.ts";
import { createEventHubChannel } from "../src/delivery/eventhub.ts";
import { connectNats } from "../src/nats/connection.ts";
import { startNatsServer } from "../test/harness/nats.ts";
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
  const bench = await startWorkerBench(nc, channel, concurrency);
  const sample = benchPayload("0".repeat(32), "user0", 0);
  const bodies = baselineBodies(opts.messages);

  let round = 0;
  const workerRound = () =>
    bench.round(`e${process.pid}r${round++}x`.padEnd(32, "0"), opts.messages, {
      eventHub: { connectionString: peer.connectionString, eventHubName: HUB },
    });
  // The SDK alone: `concurrency` lanes, each sending one event per batch keyed by its user.
  const bareRound = () =>
    timeRound(async () => {
      let next = 0;
      const lane = async () => {
        for (let i = next++; i < bodies.length; i = next++) {
          const batch = await bare.createBatch({ partitionKey: benchUser(i) });
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
    });

  try {
    const times = await interleavedRounds(opts.rounds, { bare: bareRound, worker: workerRound });
    const rounds = {
      workerMs: times.worker.ms,
      bareMs: times.bare.ms,
      workerCpuMs: times.worker.cpu,
      bareCpuMs: times.bare.cpu,
    };
    const workerRate = ratePerSecond(opts.messages, rounds.workerMs);
    const bareRate = ratePerSecond(opts.messages, rounds.bareMs);
    const webhook = opts.webhookPerSecond ?? null;
    return {
      messages: opts.messages,
      concurrency,
      users: BENCH_USERS,
      payloadBytes: Buffer.byteLength(sample),
      deliveriesPerSecond: {
        worker: workerRate,
        bareSdk: bareRate,
        ratio: workerRate / bareRate,
        webhookWorker: webhook,
        ratioToWebhook: webhook ? workerRate / webhook : null,
      },
      cpuMsPer1k: {
        worker: per1k(opts.messages, rounds.workerCpuMs),
        bareSdk: per1k(opts.messages, rounds.bareCpuMs),
      },
      rounds,
    };
  } finally {
    await bench.stop();
    await channel.destroy();
    await bare.close();
    await nc.drain();
    await server.stop();
    peer.child.kill("SIGTERM");
    await once(peer.child, "exit");
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
