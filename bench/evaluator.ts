// Benchmark: evaluator throughput on a real nats-server, as ratios measured in the same run.
//   raw       — JetStream consume-and-ack of the same number of messages (the ceiling)
//   stubbed   — the evaluator's consume → profile → publish → store → ack path with a trivial
//               segment (one cheap evaluation and one delivery per event)
//   segments  — the same path with 1,000 segments over 200 fields, events changing 2 fields
// Targets (issue 3): segments ≥ 0.6 × stubbed, stubbed ≥ 0.6 × raw.

import { AckPolicy, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  DELIVERY_DEFAULTS,
  type SegmentRecord,
  type SubscriptionRecord,
} from "../src/controller/records.ts";
import { evaluatorConsumerName } from "../src/evaluator/partition-worker.ts";
import { runEvaluator } from "../src/evaluator/run.ts";
import { bootstrap } from "../src/nats/bootstrap.ts";
import { startNatsServer } from "../src/nats/embedded-server.ts";
import { EVENTS_STREAM, eventSubject, registryKey } from "../src/nats/names.ts";
import { JetStreamPublisher } from "../src/nats/publisher.ts";
import { identityOf, partitionOf } from "../src/profile/identity.ts";
import { environment, rng, writeResult } from "./harness.ts";

const PARTITIONS = 4;
const USERS = 2_000;
const FIELDS = 200;
const SEGMENTS = 1_000;

export interface EvaluatorBenchResult {
  readonly events: number;
  readonly eventsPerSecond: {
    readonly raw: number;
    readonly stubbed: number;
    readonly segments: number;
  };
  readonly ratios: { readonly stubbedToRaw: number; readonly segmentsToStubbed: number };
  readonly deliveries: { readonly stubbed: number; readonly segments: number };
}

export async function runEvaluatorBench(opts: { events: number }): Promise<EvaluatorBenchResult> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url, noAsyncTraces: true });
  try {
    const { registry } = await bootstrap(nc);
    const jsm = await jetstreamManager(nc);
    const raw = await rawConsumeAndAck(nc, jsm, opts.events);

    const r = rng(11);
    // Stubbed: one segment that flips with every event (n alternates parity), one subscription.
    const stubNs = "benchstub";
    await putAll(registry, [
      seg(stubNs, "s0", "FILTER n % 2 == 0"),
      sub(stubNs, "stubsub", ["s0"]),
    ]);
    const stubEvents = Array.from({ length: opts.events }, (_, i) => ({
      user_id: `u${i % USERS}`,
      n: Math.floor(i / USERS),
    }));
    const stubbed = await timeEvaluator(nc, jsm, stubNs, stubEvents);

    // 1,000 segments, each an AND of 4 conditions over random fields of 200; 10 subscriptions.
    const fullNs = "benchfull";
    const segments: SegmentRecord[] = [];
    for (let s = 0; s < SEGMENTS; s++) {
      const fields = new Set<number>();
      while (fields.size < 4) fields.add(Math.floor(r() * FIELDS));
      const conds = [...fields].map((f, j) =>
        j % 2 === 0 ? `f${f} > ${Math.floor(r() * 100)}` : `f${f} != ${Math.floor(r() * 100)}`,
      );
      segments.push(seg(fullNs, `s${s}`, `FILTER AND ( ${conds.join(", ")} )`));
    }
    const subs = Array.from({ length: 10 }, (_, i) =>
      sub(
        fullNs,
        `full${i}`,
        segments.slice(i * 100, i * 100 + 100).map((s) => s.id),
      ),
    );
    await putAll(registry, [...segments, ...subs]);
    const fullEvents = Array.from({ length: opts.events }, (_, i) => {
      const e: Record<string, unknown> = { user_id: `u${i % USERS}` };
      for (let k = 0; k < 2; k++) e[`f${Math.floor(r() * FIELDS)}`] = Math.floor(r() * 100);
      return e;
    });
    const full = await timeEvaluator(nc, jsm, fullNs, fullEvents);

    return {
      events: opts.events,
      eventsPerSecond: { raw, stubbed: stubbed.rate, segments: full.rate },
      ratios: { stubbedToRaw: stubbed.rate / raw, segmentsToStubbed: full.rate / stubbed.rate },
      deliveries: { stubbed: stubbed.deliveries, segments: full.deliveries },
    };
  } finally {
    await nc.drain();
    await server.stop();
  }
}

async function rawConsumeAndAck(
  nc: NatsConnection,
  jsm: JetStreamManager,
  n: number,
): Promise<number> {
  await jsm.streams.add({ name: "BENCH_RAW", subjects: ["bench.raw"] });
  await new JetStreamPublisher(nc).publishAll(
    Array.from({ length: n }, (_, i) => ({
      subject: "bench.raw",
      data: JSON.stringify({ user_id: `u${i}`, n: i }),
    })),
  );
  await jsm.consumers.add("BENCH_RAW", {
    durable_name: "raw",
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 4096,
  });
  const consumer = await jetstream(nc).consumers.get("BENCH_RAW", "raw");
  const start = performance.now();
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.consume({
      max_messages: 512,
      callback: (m) => {
        m.json();
        m.ack();
        if (++seen === n) resolve();
      },
    });
  });
  const seconds = (performance.now() - start) / 1000;
  await jsm.streams.delete("BENCH_RAW");
  return n / seconds;
}

/**
 * Publishes the events while no evaluator runs, starts one, and times it from the moment it is
 * consuming until every event is acked — like the raw baseline, which consumes a published backlog.
 */
async function timeEvaluator(
  nc: NatsConnection,
  jsm: JetStreamManager,
  ns: string,
  events: Record<string, unknown>[],
): Promise<{ rate: number; deliveries: number }> {
  const before = (await jsm.streams.info("SEGWATCH_DELIVERIES")).state.messages;
  await new JetStreamPublisher(nc).publishAll(
    events.map((e) => ({
      subject: eventSubject(ns, partitionOf(identityOf(e, ["user_id"])!.key, PARTITIONS)),
      data: JSON.stringify(e),
    })),
  );
  const evaluator = await runEvaluator({ connection: nc, partitions: PARTITIONS, log: () => {} });
  await evaluator.reading();
  const start = performance.now();
  await untilAllAcked(jsm);
  const seconds = (performance.now() - start) / 1000;
  await evaluator.stop();
  const after = (await jsm.streams.info("SEGWATCH_DELIVERIES")).state.messages;
  return { rate: events.length / seconds, deliveries: after - before };
}

async function untilAllAcked(jsm: JetStreamManager): Promise<void> {
  for (;;) {
    let left = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const info = await jsm.consumers.info(EVENTS_STREAM, evaluatorConsumerName(p));
      left += info.num_pending + info.num_ack_pending;
    }
    if (left === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

function seg(namespace: string, id: string, segmentql: string): SegmentRecord {
  return { id, namespace, name: id, slug: id, segmentql, generation: 1 };
}

function sub(namespace: string, id: string, segmentIds: string[]): SubscriptionRecord {
  return {
    id,
    namespace,
    name: id,
    channel: "webhook",
    generation: 1,
    segmentIds,
    events: ["enter", "exit"],
    fields: [],
    delivery: DELIVERY_DEFAULTS,
    webhook: { url: "http://127.0.0.1:9/", headers: {}, signingSecrets: [] },
  };
}

async function putAll(
  kv: Awaited<ReturnType<typeof bootstrap>>["registry"],
  records: (SegmentRecord | SubscriptionRecord)[],
) {
  for (const r of records) {
    await kv.put(
      "slug" in r
        ? registryKey.segment(r.namespace, r.id)
        : registryKey.subscription(r.namespace, r.id),
      JSON.stringify(r),
    );
  }
}

export function reportEvaluator(r: EvaluatorBenchResult): string[] {
  const f = (x: number) => x.toFixed(0).padStart(8);
  return [
    `evaluator — ${r.events} events over ${USERS} users, ${PARTITIONS} partitions (events/s)`,
    `  raw JetStream consume+ack     ${f(r.eventsPerSecond.raw)}`,
    `  evaluator, trivial segment    ${f(r.eventsPerSecond.stubbed)}  ${r.ratios.stubbedToRaw.toFixed(2)}× raw  (${r.deliveries.stubbed} deliveries)`,
    `  evaluator, 1,000 segments     ${f(r.eventsPerSecond.segments)}  ${r.ratios.segmentsToStubbed.toFixed(2)}× trivial  (${r.deliveries.segments} deliveries)`,
  ];
}

export function saveEvaluator(r: EvaluatorBenchResult): string {
  return writeResult("evaluator", { benchmark: "evaluator", environment: environment(), ...r });
}
