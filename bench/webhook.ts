// Benchmark 3: deliveries per second of the webhook worker (consume from JetStream → signed POST →
// ack) to a local receiver, against raw undici POSTs of the same bodies to the same receiver with the
// same concurrency, in the same run. A second reference, the bare pipeline (consume({callback}) →
// POST → ack, written by hand: no ordering, signing, retries or counters), splits the gap into what
// NATS costs and what the worker adds. The receiver runs in its own process; a real nats-server (the
// test harness's) holds the deliveries.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { type JsMsg, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Agent } from "undici";
import { ConsumerManager } from "../src/controller/consumers.ts";
import { DELIVERY_DEFAULTS } from "../src/controller/records.ts";
import { ensureDeliveryConsumers } from "../src/delivery/consumer-config.ts";
import { createWebhookChannel } from "../src/delivery/webhook.ts";
import { connectNats } from "../src/nats/connection.ts";
import { DELIVERIES_STREAM, deliveryConsumerName } from "../src/nats/names.ts";
import { startNatsServer } from "../test/harness/nats.ts";
import { environment, writeResult } from "./harness.ts";
import {
  BENCH_USERS,
  benchPayload,
  benchUser,
  interleavedRounds,
  per1k,
  publishRound,
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
  readonly deliveriesPerSecond: {
    readonly worker: number;
    readonly rawUndici: number;
    /** worker ÷ raw undici: the target. */
    readonly ratio: number;
    readonly barePipeline: number;
    /** worker ÷ bare pipeline: what ordering, signing, retries and counters cost. */
    readonly ratioToPipeline: number;
  };
  /** CPU time of this process (worker or raw client; not nats-server, not the receiver). */
  readonly cpuMsPer1k: {
    readonly worker: number;
    readonly rawUndici: number;
    readonly barePipeline: number;
  };
  readonly rounds: {
    readonly workerMs: number[];
    readonly rawMs: number[];
    readonly pipelineMs: number[];
    readonly workerCpuMs: number[];
    readonly rawCpuMs: number[];
    readonly pipelineCpuMs: number[];
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

/** `messages` POSTs with `concurrency` in flight through an Agent configured like the worker's. */
async function rawRound(
  origin: string,
  bodies: readonly string[],
  concurrency: number,
): Promise<void> {
  const agent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000 });
  let next = 0;
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
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  await agent.close();
}

/** consume({callback}) → POST → ack, `concurrency` in flight, nothing else. */
async function pipelineRound(
  nc: NatsConnection,
  subscriptionId: string,
  origin: string,
  messages: number,
  concurrency: number,
): Promise<void> {
  const agent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000 });
  const consumer = await jetstream(nc).consumers.get(
    DELIVERIES_STREAM,
    deliveryConsumerName(subscriptionId, "live"),
  );
  const waiting: JsMsg[] = [];
  let inFlight = 0;
  let delivered = 0;
  let done!: () => void;
  let fail!: (err: Error) => void;
  const all = new Promise<void>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  const post = (m: JsMsg) => {
    inFlight++;
    agent.dispatch(
      {
        origin,
        path: "/hook",
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "segwatch" },
        body: m.data,
        headersTimeout: DELIVERY_DEFAULTS.timeoutMs,
        bodyTimeout: DELIVERY_DEFAULTS.timeoutMs,
      },
      {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData() {},
        onResponseEnd() {
          m.ack();
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
    callback: (m) => {
      if (inFlight < concurrency) post(m);
      else waiting.push(m);
    },
  });
  await all;
  await sub.close();
  await agent.close();
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
  const nc = await connectNats("bench-webhook", { url: server.url });
  const channel = createWebhookChannel({ targetPolicy: { allowLoopback: true } });
  const bench = await startWorkerBench(nc, channel, concurrency);
  const sample = benchPayload("0".repeat(32), "user0", 0);
  const rawBodies = Array.from({ length: opts.messages }, (_, i) =>
    benchPayload("0".repeat(32), benchUser(i), i),
  );

  let round = 0;
  const workerRound = (messages: number) =>
    bench.round(`b${process.pid}r${round++}x`.padEnd(32, "0"), messages, {
      webhook: { url: `${receiver.origin}/hook`, headers: {}, signingSecrets: [SECRET] },
    });
  const pipeline = async (messages: number): Promise<{ ms: number; cpu: number }> => {
    const id = `b${process.pid}p${round++}x`.padEnd(32, "0");
    await ensureDeliveryConsumers(bench.jsm, "webhook", id);
    await publishRound(nc, "webhook", id, messages);
    const result = await timeRound(() =>
      pipelineRound(nc, id, receiver.origin, messages, concurrency),
    );
    await new ConsumerManager(bench.jsm).remove(id, { purge: true });
    return result;
  };
  const raw = (bodies: readonly string[]) =>
    timeRound(() => rawRound(receiver.origin, bodies, concurrency));

  try {
    const times = await interleavedRounds(opts.rounds, {
      raw: () => raw(rawBodies),
      pipeline: () => pipeline(opts.messages),
      worker: () => workerRound(opts.messages),
    });
    const rounds = {
      workerMs: times.worker.ms,
      rawMs: times.raw.ms,
      pipelineMs: times.pipeline.ms,
      workerCpuMs: times.worker.cpu,
      rawCpuMs: times.raw.cpu,
      pipelineCpuMs: times.pipeline.cpu,
    };
    const workerRate = ratePerSecond(opts.messages, rounds.workerMs);
    const rawRate = ratePerSecond(opts.messages, rounds.rawMs);
    const pipelineRate = ratePerSecond(opts.messages, rounds.pipelineMs);
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
      },
      cpuMsPer1k: {
        worker: per1k(opts.messages, rounds.workerCpuMs),
        rawUndici: per1k(opts.messages, rounds.rawCpuMs),
        barePipeline: per1k(opts.messages, rounds.pipelineCpuMs),
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

/** `taskset -a -p -c <cpu> <pid>` (every thread); false when taskset is not there. */
function pin(pid: number, cpu: string): boolean {
  const r = spawnSync("taskset", ["-a", "-p", "-c", cpu, String(pid)], { stdio: "ignore" });
  return r.status === 0;
}

/** The harness's nats-server runs with -c <its temp dir>/nats.conf, beside the store directory. */
function pinNatsServer(storeDir: string, cpu: string): boolean {
  const conf = join(dirname(storeDir), "nats.conf");
  const r = spawnSync("pgrep", ["-f", conf], { encoding: "utf8" });
  const pids = r.status === 0 ? r.stdout.split("\n").filter(Boolean).map(Number) : [];
  return pids.length > 0 && pids.every((p) => pin(p, cpu));
}

export function reportWebhook(r: WebhookBenchResult): string[] {
  const f = (n: number) => Math.round(n).toLocaleString("en-US");
  return [
    `webhook worker — ${r.messages} deliveries of ${r.payloadBytes}-byte payloads, ${r.users} users, ${r.concurrency} in flight${r.pinned ? ", worker and receiver on separate cores" : ""}`,
    `  deliveries per second: ${f(r.deliveriesPerSecond.worker)} worker vs ${f(r.deliveriesPerSecond.rawUndici)} raw undici → ${r.deliveriesPerSecond.ratio.toFixed(2)}× (target ≥ 0.7×)`,
    `  bare consume → POST → ack pipeline: ${f(r.deliveriesPerSecond.barePipeline)}/s → worker is ${r.deliveriesPerSecond.ratioToPipeline.toFixed(2)}× of it`,
    `  CPU ms per 1k (this process): ${r.cpuMsPer1k.worker.toFixed(0)} worker, ${r.cpuMsPer1k.barePipeline.toFixed(0)} bare pipeline, ${r.cpuMsPer1k.rawUndici.toFixed(0)} raw undici`,
  ];
}

export function saveWebhook(r: WebhookBenchResult): string {
  return writeResult("webhook", { benchmark: "webhook", environment: environment(), ...r });
}
