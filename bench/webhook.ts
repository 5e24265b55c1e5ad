// Benchmark 3: deliveries per second of the webhook worker (consume from JetStream → signed POST →
// ack) to a local receiver, against raw undici POSTs of the same bodies to the same receiver with the
// same concurrency, in the same run. A second reference, the bare pipeline (consume({callback}) →
// POST → ack, written by hand: no ordering, signing, retries or counters), splits the gap into what
// NATS costs and what the worker adds; a third, the same pipeline with cumulative acks, what
// per-message acks cost. The receiver runs in its own process; a real nats-server (the test
// harness's) holds the deliveries.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { AckPolicy, type JetStreamManager, type JsMsg, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Agent } from "undici";
import { ConsumerManager } from "../src/controller/consumers.ts";
import { DELIVERY_DEFAULTS } from "../src/controller/records.ts";
import {
  deliveryConsumerConfig,
  ensureDeliveryConsumers,
} from "../src/delivery/consumer-config.ts";
import { createWebhookChannel } from "../src/delivery/webhook.ts";
import { connectNats } from "../src/nats/connection.ts";
import { DELIVERIES_STREAM, deliveryConsumerName } from "../src/nats/names.ts";
import { startNatsServer } from "../test/harness/nats.ts";
import { environment, median, writeResult } from "./harness.ts";
import {
  BENCH_USERS,
  benchPayload,
  benchUser,
  deliveringRatePerSecond,
  interleavedRounds,
  per1k,
  publishRound,
  type RoundTime,
  ratePerSecond,
  startWorkerBench,
  timeRound,
} from "./worker-bench.ts";

/** The brief's example signing secret form. */
const SECRET = `whsec_${Buffer.from("segwatch benchmark secret, 32 b").toString("base64")}`;

// A minimal receiver: 200 with an empty body for every request, keep-alive.
const RECEIVER = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => { res.writeHead(200, { "content-length": "0" }); res.end(); });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(String(server.address().port) + "\\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
// Exit with the parent, even when it dies without stopping us.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

export interface WebhookBenchOptions {
  readonly rounds: number;
  /** Deliveries per round. */
  readonly messages: number;
  /** The subscription's maxInFlight, and the raw client's requests in flight. */
  readonly concurrency?: number;
  /** Pin this process and the receiver to separate cores with taskset (default true). */
  readonly pin?: boolean;
}

export interface WebhookBenchResult {
  readonly messages: number;
  readonly concurrency: number;
  readonly users: number;
  readonly payloadBytes: number;
  /** Whether this process and the receiver ran on separate cores. */
  readonly pinned: boolean;
  /** Once delivering: from each round's first delivery to its last (setup is `firstDeliveryMs`). */
  readonly deliveriesPerSecond: {
    readonly worker: number;
    readonly rawUndici: number;
    /** worker ÷ raw undici: the target. */
    readonly ratio: number;
    readonly barePipeline: number;
    /** worker ÷ bare pipeline: what ordering, signing, retries and counters cost. */
    readonly ratioToPipeline: number;
    /** The bare pipeline with cumulative acks (`PipelineAcks`): what per-message acks cost. */
    readonly cumulativeAckPipeline: number;
    readonly cumulativeToRaw: number;
    readonly cumulativeToPipeline: number;
  };
  /** Whole rounds, setup included: from the round's start to its last delivery. */
  readonly wholeRoundsPerSecond: {
    readonly worker: number;
    readonly rawUndici: number;
    readonly ratio: number;
    readonly barePipeline: number;
  };
  /**
   * Medians, from a round's start to its first delivery: the worker sees the subscription's record
   * in the registry and opens it; the others open connections and (the pipeline) read the consumer.
   */
  readonly firstDeliveryMs: {
    readonly worker: number;
    readonly rawUndici: number;
    readonly barePipeline: number;
  };
  /**
   * CPU of the receiver and nats-server per 1,000 deliveries (medians): pinned together to the other
   * core, they bound every candidate at `1e6 / peersCpuMsPer1k` deliveries a second; `ceiling` is
   * that bound in the worker's rounds and `ratioToCeiling` the worker's share of it.
   */
  readonly peersCpuMsPer1k: {
    readonly worker: number;
    readonly rawUndici: number;
    readonly barePipeline: number;
    readonly cumulativeAckPipeline: number;
    readonly ceiling: number;
    readonly ratioToCeiling: number;
  };
  /** CPU time of this process (worker or raw client; not nats-server, not the receiver). */
  readonly cpuMsPer1k: {
    readonly worker: number;
    readonly rawUndici: number;
    readonly barePipeline: number;
    readonly cumulativeAckPipeline: number;
  };
  readonly rounds: {
    readonly workerMs: number[];
    readonly rawMs: number[];
    readonly pipelineMs: number[];
    readonly workerCpuMs: number[];
    readonly rawCpuMs: number[];
    readonly pipelineCpuMs: number[];
    readonly workerFirstMs: number[];
    readonly rawFirstMs: number[];
    readonly pipelineFirstMs: number[];
    readonly workerPeersCpuMs: number[];
    readonly rawPeersCpuMs: number[];
    readonly pipelinePeersCpuMs: number[];
    readonly cumulativeMs: number[];
    readonly cumulativeCpuMs: number[];
    readonly cumulativeFirstMs: number[];
    readonly cumulativePeersCpuMs: number[];
  };
}

async function startReceiver(
  cpu: string | undefined,
): Promise<{ child: ChildProcess; origin: string }> {
  const [cmd, args] = cpu
    ? ["taskset", ["-c", cpu, process.execPath, "-e", RECEIVER]]
    : [process.execPath, ["-e", RECEIVER]];
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
  const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
  return { child, origin: `http://127.0.0.1:${chunk.toString().trim()}` };
}

/**
 * `messages` POSTs with `concurrency` in flight through an Agent configured like the worker's;
 * resolves with the `performance.now()` of the first response.
 */
async function rawRound(
  origin: string,
  bodies: readonly string[],
  concurrency: number,
): Promise<number> {
  const agent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000 });
  let next = 0;
  let firstAt = 0;
  const lane = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      const res = await agent.request({
        origin,
        path: "/hook",
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "segwatch" },
        body: bodies[i]!,
        headersTimeout: DELIVERY_DEFAULTS.timeoutMs,
        bodyTimeout: DELIVERY_DEFAULTS.timeoutMs,
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`raw undici: HTTP ${res.statusCode}`);
      if (firstAt === 0) firstAt = performance.now();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  await agent.close();
  return firstAt;
}

/**
 * How the bare pipeline acks. "each": one ack per message, as the worker does (explicit ack policy).
 * "cumulative": an AckAll consumer, acked once per event-loop turn up to the highest sequence below
 * which every message is delivered — the reference for what per-message acks cost (bench/README.md).
 */
type PipelineAcks = "each" | "cumulative";

/**
 * consume({callback}) → POST → ack, `concurrency` in flight, nothing else; resolves with the
 * `performance.now()` of the first delivery.
 */
async function pipelineRound(
  nc: NatsConnection,
  subscriptionId: string,
  origin: string,
  messages: number,
  concurrency: number,
  acks: PipelineAcks,
): Promise<number> {
  const agent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000 });
  const consumer = await jetstream(nc).consumers.get(
    DELIVERIES_STREAM,
    deliveryConsumerName(subscriptionId, "live"),
  );
  interface Item {
    readonly msg: JsMsg;
    done: boolean;
  }
  const waiting: Item[] = [];
  // "cumulative": messages from receipt until the ack mark passes them; a round has no redeliveries,
  // so receipt order is stream order.
  const held: Item[] = [];
  let heldHead = 0;
  let markScheduled = false;
  let inFlight = 0;
  let delivered = 0;
  let firstAt = 0;
  let done!: () => void;
  let fail!: (err: Error) => void;
  const all = new Promise<void>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  const ackMark = () => {
    markScheduled = false;
    let last: JsMsg | undefined;
    while (heldHead < held.length && held[heldHead]!.done) last = held[heldHead++]!.msg;
    last?.ack();
  };
  const post = (item: Item) => {
    inFlight++;
    agent.dispatch(
      {
        origin,
        path: "/hook",
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "segwatch" },
        body: item.msg.data,
        headersTimeout: DELIVERY_DEFAULTS.timeoutMs,
        bodyTimeout: DELIVERY_DEFAULTS.timeoutMs,
      },
      {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData() {},
        onResponseEnd() {
          if (acks === "each") item.msg.ack();
          else {
            item.done = true;
            if (!markScheduled) {
              markScheduled = true;
              setImmediate(ackMark);
            }
          }
          if (firstAt === 0) firstAt = performance.now();
          inFlight--;
          if (++delivered === messages) done();
          const next = waiting.shift();
          if (next) post(next);
        },
        onResponseError(_c, err) {
          fail(err);
        },
      },
    );
  };
  const sub = await consumer.consume({
    max_messages: 256,
    callback: (msg) => {
      const item: Item = { msg, done: false };
      if (acks === "cumulative") held.push(item);
      if (inFlight < concurrency) post(item);
      else waiting.push(item);
    },
  });
  await all;
  // The last turn's mark: the round ends when every message is delivered, not acked.
  await new Promise((resolve) => setImmediate(resolve));
  await sub.close();
  await agent.close();
  return firstAt;
}

export async function runWebhookBench(opts: WebhookBenchOptions): Promise<WebhookBenchResult> {
  const concurrency = opts.concurrency ?? DELIVERY_DEFAULTS.maxInFlight;
  const server = await startNatsServer();
  // Separate the two sides (shared notes/performance.md): this process — the worker, or the raw
  // client — on one core; the receiver and nats-server on the other.
  const pinned =
    opts.pin !== false &&
    cpus().length >= 2 &&
    pin(process.pid, "0") &&
    pinNatsServer(server.storeDir, "1");
  const receiver = await startReceiver(pinned ? "1" : undefined);
  // What the receiver and nats-server spend per round: on core 1 they bound every candidate.
  const peerPids = [receiver.child.pid!, ...natsServerPids(server.storeDir)];
  const peers = () => processCpuMs(peerPids);
  const nc = await connectNats("bench-webhook", { url: server.url });
  const channel = createWebhookChannel({ targetPolicy: { allowLoopback: true } });
  const bench = await startWorkerBench(nc, channel, concurrency);
  const sample = benchPayload("0".repeat(32), "user0", 0);
  const rawBodies = Array.from({ length: opts.messages }, (_, i) =>
    benchPayload("0".repeat(32), benchUser(i), i),
  );

  let round = 0;
  const workerRound = (messages: number) =>
    bench.round(
      `b${process.pid}r${round++}x`.padEnd(32, "0"),
      messages,
      { webhook: { url: `${receiver.origin}/hook`, headers: {}, signingSecrets: [SECRET] } },
      peers,
    );
  const pipeline = async (messages: number, acks: PipelineAcks): Promise<RoundTime> => {
    const id = `b${process.pid}p${round++}x`.padEnd(32, "0");
    await ensureDeliveryConsumers(bench.jsm, "webhook", id);
    if (acks === "cumulative") {
      // The ack policy cannot change on an existing consumer.
      const config = deliveryConsumerConfig("webhook", id, "live");
      await bench.jsm.consumers.delete(DELIVERIES_STREAM, config.durable_name!);
      await bench.jsm.consumers.add(DELIVERIES_STREAM, { ...config, ack_policy: AckPolicy.All });
    }
    await publishRound(nc, "webhook", id, messages);
    const result = await timeRound(
      () => pipelineRound(nc, id, receiver.origin, messages, concurrency, acks),
      peers,
    );
    await expectAllAcked(bench.jsm, deliveryConsumerConfig("webhook", id, "live").durable_name!);
    await new ConsumerManager(bench.jsm).remove(id, { purge: true });
    return result;
  };
  const raw = (bodies: readonly string[]) =>
    timeRound(() => rawRound(receiver.origin, bodies, concurrency), peers);

  try {
    const times = await interleavedRounds(opts.rounds, {
      raw: () => raw(rawBodies),
      pipeline: () => pipeline(opts.messages, "each"),
      cumulative: () => pipeline(opts.messages, "cumulative"),
      worker: () => workerRound(opts.messages),
    });
    const rounds = {
      workerMs: times.worker.ms,
      rawMs: times.raw.ms,
      pipelineMs: times.pipeline.ms,
      workerCpuMs: times.worker.cpu,
      rawCpuMs: times.raw.cpu,
      pipelineCpuMs: times.pipeline.cpu,
      workerFirstMs: times.worker.first,
      rawFirstMs: times.raw.first,
      pipelineFirstMs: times.pipeline.first,
      workerPeersCpuMs: times.worker.peersCpu,
      rawPeersCpuMs: times.raw.peersCpu,
      pipelinePeersCpuMs: times.pipeline.peersCpu,
      cumulativeMs: times.cumulative.ms,
      cumulativeCpuMs: times.cumulative.cpu,
      cumulativeFirstMs: times.cumulative.first,
      cumulativePeersCpuMs: times.cumulative.peersCpu,
    };
    const peersWorker = per1k(opts.messages, rounds.workerPeersCpuMs);
    const ceiling = peersWorker > 0 ? 1e6 / peersWorker : Number.POSITIVE_INFINITY;
    const delivering = (ms: number[], first: number[]) =>
      deliveringRatePerSecond(opts.messages, ms, first);
    const workerRate = delivering(rounds.workerMs, rounds.workerFirstMs);
    const rawRate = delivering(rounds.rawMs, rounds.rawFirstMs);
    const pipelineRate = delivering(rounds.pipelineMs, rounds.pipelineFirstMs);
    const cumulativeRate = delivering(rounds.cumulativeMs, rounds.cumulativeFirstMs);
    const whole = {
      worker: ratePerSecond(opts.messages, rounds.workerMs),
      rawUndici: ratePerSecond(opts.messages, rounds.rawMs),
      barePipeline: ratePerSecond(opts.messages, rounds.pipelineMs),
    };
    return {
      messages: opts.messages,
      concurrency,
      users: BENCH_USERS,
      payloadBytes: Buffer.byteLength(sample),
      pinned,
      deliveriesPerSecond: {
        worker: workerRate,
        rawUndici: rawRate,
        ratio: workerRate / rawRate,
        barePipeline: pipelineRate,
        ratioToPipeline: workerRate / pipelineRate,
        cumulativeAckPipeline: cumulativeRate,
        cumulativeToRaw: cumulativeRate / rawRate,
        cumulativeToPipeline: cumulativeRate / pipelineRate,
      },
      wholeRoundsPerSecond: { ...whole, ratio: whole.worker / whole.rawUndici },
      firstDeliveryMs: {
        worker: median(rounds.workerFirstMs),
        rawUndici: median(rounds.rawFirstMs),
        barePipeline: median(rounds.pipelineFirstMs),
      },
      peersCpuMsPer1k: {
        worker: peersWorker,
        rawUndici: per1k(opts.messages, rounds.rawPeersCpuMs),
        barePipeline: per1k(opts.messages, rounds.pipelinePeersCpuMs),
        cumulativeAckPipeline: per1k(opts.messages, rounds.cumulativePeersCpuMs),
        ceiling,
        ratioToCeiling: workerRate / ceiling,
      },
      cpuMsPer1k: {
        worker: per1k(opts.messages, rounds.workerCpuMs),
        rawUndici: per1k(opts.messages, rounds.rawCpuMs),
        barePipeline: per1k(opts.messages, rounds.pipelineCpuMs),
        cumulativeAckPipeline: per1k(opts.messages, rounds.cumulativeCpuMs),
      },
      rounds,
    };
  } finally {
    await bench.stop();
    await channel.destroy();
    await nc.drain();
    receiver.child.kill("SIGTERM");
    await once(receiver.child, "exit");
    await server.stop();
    // Benchmarks after this one get every core back.
    if (pinned) pin(process.pid, `0-${cpus().length - 1}`);
  }
}

/** A round's acks reach the consumer asynchronously; the mark must have passed every message. */
async function expectAllAcked(jsm: JetStreamManager, consumer: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const info = await jsm.consumers.info(DELIVERIES_STREAM, consumer);
    if (info.num_ack_pending === 0) return;
    if (attempt === 20)
      throw new Error(`${consumer}: ${info.num_ack_pending} messages left unacked`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `taskset -a -p -c <cpu> <pid>` (every thread); false when taskset is not there. */
function pin(pid: number, cpu: string): boolean {
  const r = spawnSync("taskset", ["-a", "-p", "-c", cpu, String(pid)], { stdio: "ignore" });
  return r.status === 0;
}

/** The harness's nats-server runs with -c <its temp dir>/nats.conf, beside the store directory. */
function pinNatsServer(storeDir: string, cpu: string): boolean {
  const pids = natsServerPids(storeDir);
  return pids.length > 0 && pids.every((p) => pin(p, cpu));
}

function natsServerPids(storeDir: string): number[] {
  const conf = join(dirname(storeDir), "nats.conf");
  const r = spawnSync("pgrep", ["-f", conf], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split("\n").filter(Boolean).map(Number) : [];
}

const CLOCK_TICKS_PER_SECOND = Number(
  spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim() || 100,
);

/** User and system CPU of the processes so far, in ms (0 for one that is gone or unreadable). */
function processCpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the parenthesized command: state is the 1st, utime the 12th, stime the 13th.
      const after = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(after[11]) + Number(after[12]);
    } catch {
      // Not Linux, or the process exited: counted as nothing.
    }
  }
  return (ticks * 1_000) / CLOCK_TICKS_PER_SECOND;
}

export function reportWebhook(r: WebhookBenchResult): string[] {
  const f = (n: number) => Math.round(n).toLocaleString("en-US");
  return [
    `webhook worker — ${r.messages} deliveries of ${r.payloadBytes}-byte payloads, ${r.users} users, ${r.concurrency} in flight${r.pinned ? ", worker and receiver on separate cores" : ""}`,
    `  deliveries per second: ${f(r.deliveriesPerSecond.worker)} worker vs ${f(r.deliveriesPerSecond.rawUndici)} raw undici → ${r.deliveriesPerSecond.ratio.toFixed(2)}× (target ≥ 0.7×)`,
    `  bare consume → POST → ack pipeline: ${f(r.deliveriesPerSecond.barePipeline)}/s → worker is ${r.deliveriesPerSecond.ratioToPipeline.toFixed(2)}× of it`,
    `  the same with cumulative acks (AckAll, once a turn; not what the worker does — bench/README.md): ${f(r.deliveriesPerSecond.cumulativeAckPipeline)}/s → ${r.deliveriesPerSecond.cumulativeToPipeline.toFixed(2)}× the bare pipeline, ${r.deliveriesPerSecond.cumulativeToRaw.toFixed(2)}× raw undici`,
    `  (rates from each round's first delivery to its last; to the first: ${r.firstDeliveryMs.worker.toFixed(0)} ms worker — opening the subscription — ${r.firstDeliveryMs.barePipeline.toFixed(0)} ms bare pipeline, ${r.firstDeliveryMs.rawUndici.toFixed(0)} ms raw undici)`,
    `  whole rounds, setup included: ${f(r.wholeRoundsPerSecond.worker)} worker vs ${f(r.wholeRoundsPerSecond.rawUndici)} raw undici → ${r.wholeRoundsPerSecond.ratio.toFixed(2)}×`,
    `  CPU ms per 1k (this process): ${r.cpuMsPer1k.worker.toFixed(0)} worker, ${r.cpuMsPer1k.barePipeline.toFixed(0)} bare pipeline, ${r.cpuMsPer1k.cumulativeAckPipeline.toFixed(0)} cumulative acks, ${r.cpuMsPer1k.rawUndici.toFixed(0)} raw undici`,
    `  CPU ms per 1k (receiver + nats-server): ${r.peersCpuMsPer1k.worker.toFixed(0)} in worker rounds, ${r.peersCpuMsPer1k.barePipeline.toFixed(0)} bare pipeline, ${r.peersCpuMsPer1k.cumulativeAckPipeline.toFixed(0)} cumulative acks, ${r.peersCpuMsPer1k.rawUndici.toFixed(0)} raw undici${r.pinned ? ` → their core allows ${f(r.peersCpuMsPer1k.ceiling)}/s in worker rounds; the worker reaches ${r.peersCpuMsPer1k.ratioToCeiling.toFixed(2)}× of it` : ""}`,
  ];
}

export function saveWebhook(r: WebhookBenchResult): string {
  return writeResult("webhook", { benchmark: "webhook", environment: environment(), ...r });
}
