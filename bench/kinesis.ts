// Benchmark: deliveries per second of the Kinesis worker (consume from JetStream → PutRecords batches
// → ack) to moto's server on loopback, against raw PutRecords calls of the same bodies through the
// same SDK client configuration, with the same records in flight, in the same run. The peer is a
// Python emulator, so the absolute rate says more about it than about Kinesis; the ratio is what
// the worker (ordering, batching, acks, counters) costs on top of the SDK calls.

import { existsSync } from "node:fs";
import { CreateStreamCommand, KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { DELIVERY_DEFAULTS } from "../src/controller/records.ts";
import { createKinesisChannel } from "../src/delivery/kinesis.ts";
import { connectNats } from "../src/nats/connection.ts";
import { type MotoServer, motoServerBinary, startMotoServer } from "../test/harness/moto.ts";
import { startNatsServer } from "../test/harness/nats.ts";
import { environment, writeResult } from "./harness.ts";
import {
  BENCH_USERS,
  baselineBodies,
  benchUser,
  interleavedRounds,
  ratePerSecond,
  startWorkerBench,
  timeRound,
} from "./worker-bench.ts";

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
  const bench = await startWorkerBench(nc, channel, concurrency);
  const rawBodies = baselineBodies(opts.messages);

  let round = 0;
  const workerRound = () =>
    bench.round(`k${process.pid}r${round++}x`.padEnd(32, "0"), opts.messages, {
      kinesis: {
        region: REGION,
        stream: STREAM,
        endpoint: moto.endpoint,
        credentials: CREDENTIALS,
        identifierField: "user_id",
      },
    });
  const rawRound = () =>
    timeRound(async () => {
      for (let i = 0; i < rawBodies.length; i += concurrency) {
        const slice = rawBodies.slice(i, i + concurrency);
        const out = await client.send(
          new PutRecordsCommand({
            StreamName: STREAM,
            Records: slice.map((Data, j) => ({ Data, PartitionKey: benchUser(i + j) })),
          }),
        );
        if (out.FailedRecordCount)
          throw new Error(`raw PutRecords: ${out.FailedRecordCount} failed`);
      }
    });

  try {
    const times = await interleavedRounds(opts.rounds, { raw: rawRound, worker: workerRound });
    // This result keeps wall-clock times only.
    const rounds = { workerMs: times.worker.ms, rawMs: times.raw.ms };
    const workerRate = ratePerSecond(opts.messages, rounds.workerMs);
    const rawRate = ratePerSecond(opts.messages, rounds.rawMs);
    return {
      messages: opts.messages,
      concurrency,
      users: BENCH_USERS,
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
    await bench.stop();
    await channel.destroy();
    await nc.drain();
    await server.stop();
    client.destroy();
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
