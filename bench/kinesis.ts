// Benchmark: deliveries per second of the Kinesis worker (consume from JetStream → PutRecords batches
// → ack) to moto's server on loopback, against raw PutRecords calls of the same bodies through the
// same SDK client configuration, with the same records in flight, in the same run. The peer is a
// Python emulator, so the absolute rate says more about it than about Kinesis; the ratio is what
// the worker (ordering, batching, acks, counters) costs on top of the SDK calls.

import { existsSync } from "node:fs";
import { CreateStreamCommand, KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { ConsumerManager } from "../src/controller/consumers.ts";
import { DELIVERY_DEFAULTS, type SubscriptionRecord } from "../src/controller/records.ts";
import { ensureDeliveryConsumers } from "../src/delivery/consumer-config.ts";
import { envelopeHeaders } from "../src/delivery/envelope.ts";
import { createKinesisChannel } from "../src/delivery/kinesis.ts";
import { DeliveryWorker } from "../src/delivery/worker.ts";
import { bootstrap } from "../src/nats/bootstrap.ts";
import { connectNats } from "../src/nats/connection.ts";
import { deliverySubject, registryKey } from "../src/nats/names.ts";
import { type MotoServer, motoServerBinary, startMotoServer } from "../test/harness/moto.ts";
import { startNatsServer } from "../test/harness/nats.ts";
import { environment, median, writeResult } from "./harness.ts";

const NAMESPACE = "bench";
const USERS = 1_000;
const REGION = "us-east-1";
const STREAM = "segwatch-bench";
const SHARDS = 4;
/** moto accepts any key while its authentication is off (the default). */
const CREDENTIALS = { accessKeyId: "AKIABENCH", secretAccessKey: "bench" };

export interface KinesisBenchOptions {
  readonly rounds: number;
  /** Deliveries per round. */
  readonly messages: number;
  /** The subscription's maxInFlight: records in flight, in the worker and in the raw baseline. */
  readonly concurrency?: number;
}

export interface KinesisBenchResult {
  readonly messages: number;
  readonly concurrency: number;
  readonly users: number;
  readonly shards: number;
  readonly payloadBytes: number;
  readonly deliveriesPerSecond: {
    readonly worker: number;
    /** PutRecords calls of `concurrency` records, one at a time, through the SDK. */
    readonly rawPutRecords: number;
    /** worker ÷ raw PutRecords. */
    readonly ratio: number;
  };
  readonly rounds: { readonly workerMs: number[]; readonly rawMs: number[] };
}

export type KinesisBenchOutcome =
  | { readonly ran: true; readonly result: KinesisBenchResult }
  | { readonly ran: false; readonly skipped: string };

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
  const subject = deliverySubject("kinesis", subscriptionId, "live");
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

/** Runs the benchmark, or says why it cannot (no moto server installed, or it did not start). */
export async function runKinesisBench(opts: KinesisBenchOptions): Promise<KinesisBenchOutcome> {
  if (!existsSync(motoServerBinary)) {
    return {
      ran: false,
      skipped: `the moto server is not installed (${motoServerBinary}); run tools/python-peers.sh`,
    };
  }
  let moto: MotoServer;
  try {
    moto = await startMotoServer();
  } catch (err) {
    return { ran: false, skipped: `the moto server did not start: ${(err as Error).message}` };
  }
  try {
    return { ran: true, result: await measure(moto, opts) };
  } finally {
    await moto.stop();
  }
}

async function measure(moto: MotoServer, opts: KinesisBenchOptions): Promise<KinesisBenchResult> {
  const concurrency = opts.concurrency ?? DELIVERY_DEFAULTS.maxInFlight;
  const client = new KinesisClient({
    region: REGION,
    endpoint: moto.endpoint,
    credentials: CREDENTIALS,
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
  await client.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: SHARDS }));
  const server = await startNatsServer();
  const nc = await connectNats("bench-kinesis", { url: server.url });
  const channel = createKinesisChannel();
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
  const rawBodies = Array.from({ length: opts.messages }, (_, i) =>
    Buffer.from(payload("0".repeat(32), `user${i % USERS}`, i)),
  );

  let round = 0;
  const workerRound = async (): Promise<number> => {
    const id = `k${process.pid}r${round++}x`.padEnd(32, "0");
    await ensureDeliveryConsumers(jsm, "kinesis", id);
    await publishRound(nc, id, opts.messages);
    const record: SubscriptionRecord = {
      id,
      namespace: NAMESPACE,
      name: id,
      channel: "kinesis",
      generation: 1,
      segmentIds: ["seg"],
      events: ["enter", "exit"],
      fields: [],
      delivery: { ...DELIVERY_DEFAULTS, maxInFlight: concurrency },
      kinesis: {
        region: REGION,
        stream: STREAM,
        endpoint: moto.endpoint,
        credentials: CREDENTIALS,
        identifierField: "user_id",
      },
    };
    delivered = 0;
    target = opts.messages;
    const all = new Promise<void>((resolve, reject) => {
      done = resolve;
      failed = reject;
    });
    const t0 = performance.now();
    await registry.put(registryKey.subscription(NAMESPACE, id), JSON.stringify(record));
    await all;
    const ms = performance.now() - t0;
    await registry.delete(registryKey.subscription(NAMESPACE, id));
    await until(() => !worker.isConsuming(id));
    await new ConsumerManager(jsm).remove(id, { purge: true });
    return ms;
  };
  const rawRound = async (): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < rawBodies.length; i += concurrency) {
      const slice = rawBodies.slice(i, i + concurrency);
      const out = await client.send(
        new PutRecordsCommand({
          StreamName: STREAM,
          Records: slice.map((Data, j) => ({ Data, PartitionKey: `user${(i + j) % USERS}` })),
        }),
      );
      if (out.FailedRecordCount) throw new Error(`raw PutRecords: ${out.FailedRecordCount} failed`);
    }
    return performance.now() - t0;
  };

  try {
    // Warm-up: JIT, sockets, the consumers' first use.
    await rawRound();
    await workerRound();
    const rounds = { workerMs: [] as number[], rawMs: [] as number[] };
    for (let r = 0; r < opts.rounds; r++) {
      rounds.rawMs.push(await rawRound());
      rounds.workerMs.push(await workerRound());
    }
    const rate = (ms: number[]) => opts.messages / (median(ms) / 1_000);
    const workerRate = rate(rounds.workerMs);
    const rawRate = rate(rounds.rawMs);
    return {
      messages: opts.messages,
      concurrency,
      users: USERS,
      shards: SHARDS,
      payloadBytes: rawBodies[0]!.byteLength,
      deliveriesPerSecond: {
        worker: workerRate,
        rawPutRecords: rawRate,
        ratio: workerRate / rawRate,
      },
      rounds,
    };
  } finally {
    await worker.stop();
    await channel.destroy();
    await nc.drain();
    await server.stop();
    client.destroy();
  }
}

async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("kinesis bench: timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `webhookRate`: the webhook worker's rate in the same run, shown beside. */
export function reportKinesis(outcome: KinesisBenchOutcome, webhookRate?: number): string[] {
  if (!outcome.ran) return [`kinesis worker — skipped: ${outcome.skipped}`];
  const r = outcome.result;
  const f = (n: number) => Math.round(n).toLocaleString("en-US");
  return [
    `kinesis worker — ${r.messages} deliveries of ${r.payloadBytes}-byte payloads to moto (${r.shards} shards), ${r.users} users, ${r.concurrency} in flight`,
    `  deliveries per second: ${f(r.deliveriesPerSecond.worker)} worker vs ${f(r.deliveriesPerSecond.rawPutRecords)} raw PutRecords (${r.concurrency} records a call) → ${r.deliveriesPerSecond.ratio.toFixed(2)}×` +
      (webhookRate === undefined ? "" : `; webhook worker in this run: ${f(webhookRate)}/s`),
  ];
}

export function saveKinesis(outcome: KinesisBenchOutcome): string | undefined {
  if (!outcome.ran) return undefined;
  return writeResult("kinesis", {
    benchmark: "kinesis",
    environment: environment(),
    ...outcome.result,
  });
}
