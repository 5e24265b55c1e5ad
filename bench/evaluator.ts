// Benchmark: evaluator throughput on a real nats-server, as ratios measured in the same run.
//   raw       — JetStream consume-and-ack of the same number of messages (the ceiling)
//   bare      — consume → publish one delivery-sized message with the delivery headers → ack, and
//               nothing else: the least any evaluator that delivers per event must make the server do
//   batched   — the same with the deliveries of a window as one fast-ingest batch (nats-server 2.14:
//               one flow ack per up to 500 messages instead of a PubAck each)
//   stubbed   — the evaluator's consume → profile → publish → store → ack path with a trivial
//               segment (one cheap evaluation and one delivery per event)
//   segments  — the same path with 1,000 segments over 200 fields, events changing 2 fields
//   mixed     — the same with the segments' conditions combined a third each as AND, OR, and AND
//               with a NOT OR (condition lists take all three shapes)
// Each round runs every case on a fresh nats-server (nothing left from an earlier case: no stored
// profiles to re-evaluate, no stream to skip); figures are medians of the rounds.
// Targets (issue 3): segments ≥ 0.6 × stubbed, stubbed ≥ 0.6 × raw (see bench/README.md).

import {
  AckPolicy,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { connect, createInbox, type NatsConnection } from "@nats-io/transport-node";
import {
  DELIVERY_DEFAULTS,
  type SegmentRecord,
  type SubscriptionRecord,
} from "../src/controller/records.ts";
import { envelopeHeaders } from "../src/delivery/envelope.ts";
import { evaluatorConsumerName } from "../src/evaluator/partition-worker.ts";
import { runEvaluator } from "../src/evaluator/run.ts";
import { bootstrap } from "../src/nats/bootstrap.ts";
import { startNatsServer } from "../src/nats/embedded-server.ts";
import {
  DELIVERIES_STREAM,
  deliverySubject,
  EVENTS_STREAM,
  eventSubject,
  registryKey,
} from "../src/nats/names.ts";
import { JetStreamPublisher } from "../src/nats/publisher.ts";
import { identityOf, partitionOf } from "../src/profile/identity.ts";
import { environment, median, rng, writeResult } from "./harness.ts";

const PARTITIONS = 4;
const USERS = 2_000;
const FIELDS = 200;
const SEGMENTS = 1_000;

type Case = "raw" | "bare" | "batched" | "stubbed" | "segments" | "mixed";
const CASES: readonly Case[] = ["raw", "bare", "batched", "stubbed", "segments", "mixed"];

export interface EvaluatorBenchResult {
  readonly events: number;
  readonly rounds: number;
  /** Medians of the rounds. */
  readonly eventsPerSecond: Readonly<Record<Case, number>>;
  /** Medians of each round's ratio. */
  readonly ratios: {
    readonly stubbedToRaw: number;
    readonly segmentsToStubbed: number;
    readonly mixedToStubbed: number;
    readonly bareToRaw: number;
    readonly batchedToRaw: number;
    readonly stubbedToBare: number;
  };
  readonly deliveries: {
    readonly stubbed: number;
    readonly segments: number;
    readonly mixed: number;
  };
  readonly perRound: readonly Readonly<Record<Case, number>>[];
}

export async function runEvaluatorBench(opts: {
  events: number;
  rounds: number;
}): Promise<EvaluatorBenchResult> {
  const r = rng(11);
  // Stubbed: one segment that flips with every event (n alternates parity), one subscription.
  const stubRecords = [
    seg("benchstub", "s0", "FILTER n % 2 == 0"),
    sub("benchstub", "stubsub", ["s0"]),
  ];
  const stubEvents = Array.from({ length: opts.events }, (_, i) => ({
    user_id: `u${i % USERS}`,
    n: Math.floor(i / USERS),
  }));
  // 1,000 segments, each an AND of 4 conditions over random fields of 200; 10 subscriptions.
  // Mixed: the same fields and numbers, a third each as the AND above, an OR of equalities, and an
  // AND with a NOT OR. Equalities keep the ORs and NOT ORs about as rarely true as the ANDs (each
  // item is read until one is true), so memberships change about as often as with ANDs only.
  const segments: SegmentRecord[] = [];
  const mixed: SegmentRecord[] = [];
  for (let s = 0; s < SEGMENTS; s++) {
    const fields = new Set<number>();
    while (fields.size < 4) fields.add(Math.floor(r() * FIELDS));
    const pairs = [...fields].map((f) => [f, Math.floor(r() * 100)] as const);
    const conds = pairs.map(([f, n], j) => (j % 2 === 0 ? `f${f} > ${n}` : `f${f} != ${n}`));
    const equal = pairs.map(([f, n]) => `f${f} == ${n}`);
    segments.push(seg("benchfull", `s${s}`, `FILTER AND ( ${conds.join(", ")} )`));
    const combined =
      s % 3 === 0
        ? `AND ( ${conds.join(", ")} )`
        : s % 3 === 1
          ? `OR ( ${equal.join(", ")} )`
          : `AND ( ${conds[0]}, ${conds[2]}, NOT OR ( ${equal[1]}, ${equal[3]} ) )`;
    mixed.push(seg("benchmixed", `s${s}`, `FILTER ${combined}`));
  }
  // 10 subscriptions sharing the segments.
  const subsOf = (namespace: string, segs: readonly SegmentRecord[]) => {
    const per = Math.ceil(segs.length / 10);
    return Array.from({ length: 10 }, (_, i) =>
      sub(
        namespace,
        `full${i}`,
        segs.slice(i * per, (i + 1) * per).map((s) => s.id),
      ),
    );
  };
  const fullRecords = [...segments, ...subsOf("benchfull", segments)];
  const mixedRecords = [...mixed, ...subsOf("benchmixed", mixed)];
  const fullEvents = Array.from({ length: opts.events }, (_, i) => {
    const e: Record<string, unknown> = { user_id: `u${i % USERS}` };
    for (let k = 0; k < 2; k++) e[`f${Math.floor(r() * FIELDS)}`] = Math.floor(r() * 100);
    return e;
  });

  const perRound: Record<Case, number>[] = [];
  const deliveries = { stubbed: 0, segments: 0, mixed: 0 };
  for (let round = 0; round < opts.rounds; round++) {
    const rates = {} as Record<Case, number>;
    for (const c of CASES) {
      await withServer(async (nc) => {
        if (c === "raw") rates.raw = await rawConsumeAndAck(nc, stubEvents);
        else if (c === "bare") rates.bare = await bareConsumePublishAck(nc, stubEvents);
        else if (c === "batched") rates.batched = await bareConsumeBatchAck(nc, stubEvents);
        else {
          const [records, events] =
            c === "stubbed"
              ? [stubRecords, stubEvents]
              : [c === "segments" ? fullRecords : mixedRecords, fullEvents];
          const t = await timeEvaluator(nc, records, events);
          rates[c] = t.rate;
          deliveries[c] = t.deliveries;
        }
      });
    }
    perRound.push(rates);
  }
  const med = (c: Case) => median(perRound.map((x) => x[c]));
  const ratio = (a: Case, b: Case) => median(perRound.map((x) => x[a] / x[b]));
  return {
    events: opts.events,
    rounds: opts.rounds,
    eventsPerSecond: {
      raw: med("raw"),
      bare: med("bare"),
      batched: med("batched"),
      stubbed: med("stubbed"),
      segments: med("segments"),
      mixed: med("mixed"),
    },
    ratios: {
      stubbedToRaw: ratio("stubbed", "raw"),
      segmentsToStubbed: ratio("segments", "stubbed"),
      mixedToStubbed: ratio("mixed", "stubbed"),
      bareToRaw: ratio("bare", "raw"),
      batchedToRaw: ratio("batched", "raw"),
      stubbedToBare: ratio("stubbed", "bare"),
    },
    deliveries,
    perRound,
  };
}

async function withServer(fn: (nc: NatsConnection) => Promise<void>): Promise<void> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url, noAsyncTraces: true });
  try {
    await bootstrap(nc);
    await fn(nc);
  } finally {
    await nc.drain();
    await server.stop();
  }
}

/** Publishes the events to a stream of their own and a durable consumer over them. */
async function backlog(
  nc: NatsConnection,
  jsm: JetStreamManager,
  events: readonly Record<string, unknown>[],
  ackPolicy: AckPolicy,
) {
  await jsm.streams.add({ name: "BENCH_IN", subjects: ["bench.in"] });
  const publisher = new JetStreamPublisher(nc);
  await publisher.publishAll(events.map((e) => ({ subject: "bench.in", data: JSON.stringify(e) })));
  publisher.close();
  await jsm.consumers.add("BENCH_IN", {
    durable_name: "bench",
    ack_policy: ackPolicy,
    max_ack_pending: 4096,
  });
  return jetstream(nc).consumers.get("BENCH_IN", "bench");
}

async function rawConsumeAndAck(
  nc: NatsConnection,
  events: readonly Record<string, unknown>[],
): Promise<number> {
  const consumer = await backlog(nc, await jetstreamManager(nc), events, AckPolicy.Explicit);
  const start = performance.now();
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.consume({
      max_messages: 512,
      callback: (m) => {
        m.json();
        m.ack();
        if (++seen === events.length) resolve();
      },
    });
  });
  return events.length / ((performance.now() - start) / 1000);
}

/**
 * Each batch: read the events, publish one delivery per event (a payload of the trivial case's size,
 * the same headers with an idempotency key), wait for every PubAck, then ack the batch (one ack, as
 * the evaluator does).
 */
async function bareConsumePublishAck(
  nc: NatsConnection,
  events: readonly Record<string, unknown>[],
): Promise<number> {
  const consumer = await backlog(nc, await jetstreamManager(nc), events, AckPolicy.All);
  const publisher = new JetStreamPublisher(nc);
  const subject = deliverySubject("webhook", "stubsub", "live");
  try {
    return await inWindows(consumer, events.length, async (window) => {
      await publisher.publishAll(window.map((m) => deliveryFor(m, subject)));
    });
  } finally {
    publisher.close();
  }
}

/**
 * Consumes `total` messages in windows of up to 512: `store` each window, then ack it with one
 * AckAll ack (as the evaluator does). Returns messages per second.
 */
async function inWindows(
  consumer: Awaited<ReturnType<typeof backlog>>,
  total: number,
  store: (window: JsMsg[]) => Promise<void>,
): Promise<number> {
  const queue: JsMsg[] = [];
  let busy = false;
  let done = 0;
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const drain = async () => {
      busy = true;
      while (queue.length > 0) {
        const window = queue.splice(0, 512);
        await store(window);
        window[window.length - 1]!.ack();
        done += window.length;
        if (done === total) resolve();
      }
      busy = false;
    };
    void consumer.consume({
      max_messages: 512,
      callback: (m) => {
        queue.push(m);
        if (!busy) drain().catch(reject);
      },
    });
  });
  return total / ((performance.now() - start) / 1000);
}

/** A delivery-sized message for the event: the trivial case's payload and the delivery headers. */
function deliveryFor(m: JsMsg, subject: string) {
  const e = m.json<Record<string, unknown>>();
  const at = new Date(m.info.timestampNanos / 1_000_000).toISOString();
  const payload = {
    data: {
      ...e,
      _created: at,
      _modified: at,
      segment_events: [{ id: "s0", event: "enter", enter: at, exit: null, slug: "s0" }],
    },
    meta: { object: "user", source: "subscription", subscription_id: "stubsub" },
  };
  return {
    subject,
    data: JSON.stringify(payload),
    headers: envelopeHeaders({
      msgId: `ev:${m.seq}:stubsub`,
      namespace: "benchstub",
      subscriptionId: "stubsub",
      userKey: String(e.user_id),
      lane: "live",
    }),
  };
}

/**
 * The bare path with each window's deliveries published as one fast-ingest batch (ADR-50; the
 * protocol is in the reply subject: <inbox>.<batch>.<ack every>.<gap mode>.<seq>.<op>.$FI, op 0
 * start, 1 append, 2 commit). The server stores them in order and answers the commit with the count
 * stored; "fail" gap mode ends the batch at the first message it cannot store.
 */
async function bareConsumeBatchAck(
  nc: NatsConnection,
  events: readonly Record<string, unknown>[],
): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const { config } = await jsm.streams.info(DELIVERIES_STREAM);
  await jsm.streams.update(DELIVERIES_STREAM, { ...config, allow_batched: true } as never);
  const consumer = await backlog(nc, jsm, events, AckPolicy.All);
  const subject = deliverySubject("webhook", "stubsub", "live");
  const inbox = createInbox();
  let committed: ((ack: { count?: number; error?: unknown }) => void) | undefined;
  const sub = nc.subscribe(`${inbox}.>`, {
    callback: (_err, msg) => {
      const body = msg.json<{ batch?: string; count?: number; error?: unknown }>();
      if (body.batch !== undefined || body.error !== undefined) committed?.(body);
    },
  });
  let batches = 0;
  try {
    return await inWindows(consumer, events.length, async (window) => {
      const id = `b${batches++}`;
      const ack = new Promise<{ count?: number; error?: unknown }>((r) => {
        committed = r;
      });
      for (let i = 0; i < window.length; i++) {
        const op = i === window.length - 1 ? 2 : i === 0 ? 0 : 1;
        const d = deliveryFor(window[i]!, subject);
        nc.publish(d.subject, d.data, {
          headers: d.headers,
          reply: `${inbox}.${id}.500.fail.${i + 1}.${op}.$FI`,
        });
      }
      const answer = await ack;
      if (answer.count !== window.length)
        throw new Error(`fast-ingest batch stored ${JSON.stringify(answer)} of ${window.length}`);
    });
  } finally {
    sub.unsubscribe();
  }
}

/**
 * Registers the records, publishes the events while no evaluator runs, starts one, and times it
 * from the moment it is consuming until every event is acked — like the raw baseline, which
 * consumes a published backlog.
 */
async function timeEvaluator(
  nc: NatsConnection,
  records: readonly (SegmentRecord | SubscriptionRecord)[],
  events: readonly Record<string, unknown>[],
): Promise<{ rate: number; deliveries: number }> {
  const { registry } = await bootstrap(nc);
  const jsm = await jetstreamManager(nc);
  await putAll(registry, records);
  const ns = records[0]!.namespace;
  const publisher = new JetStreamPublisher(nc);
  await publisher.publishAll(
    events.map((e) => ({
      subject: eventSubject(ns, partitionOf(identityOf(e, ["user_id"])!.key, PARTITIONS)),
      data: JSON.stringify(e),
    })),
  );
  publisher.close();
  const evaluator = await runEvaluator({ connection: nc, partitions: PARTITIONS, log: () => {} });
  await evaluator.reading();
  const start = performance.now();
  await untilAllAcked(jsm);
  const seconds = (performance.now() - start) / 1000;
  await evaluator.stop();
  const stored = (await jsm.streams.info("SEGWATCH_DELIVERIES")).state.messages;
  return { rate: events.length / seconds, deliveries: stored };
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
  records: readonly (SegmentRecord | SubscriptionRecord)[],
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
  const x = (v: number) => `${v.toFixed(2)}×`;
  return [
    `evaluator — ${r.events} events over ${USERS} users, ${PARTITIONS} partitions, median of ${r.rounds} rounds (events/s)`,
    `  raw JetStream consume+ack     ${f(r.eventsPerSecond.raw)}`,
    `  bare consume→publish→ack      ${f(r.eventsPerSecond.bare)}  ${x(r.ratios.bareToRaw)} raw`,
    `  bare, fast-ingest batches     ${f(r.eventsPerSecond.batched)}  ${x(r.ratios.batchedToRaw)} raw`,
    `  evaluator, trivial segment    ${f(r.eventsPerSecond.stubbed)}  ${x(r.ratios.stubbedToRaw)} raw, ${x(r.ratios.stubbedToBare)} bare  (${r.deliveries.stubbed} deliveries)`,
    `  evaluator, 1,000 segments     ${f(r.eventsPerSecond.segments)}  ${x(r.ratios.segmentsToStubbed)} trivial  (${r.deliveries.segments} deliveries)`,
    `    AND, OR and NOT mixed       ${f(r.eventsPerSecond.mixed)}  ${x(r.ratios.mixedToStubbed)} trivial  (${r.deliveries.mixed} deliveries)`,
  ];
}

export function saveEvaluator(r: EvaluatorBenchResult): string {
  return writeResult("evaluator", { benchmark: "evaluator", environment: environment(), ...r });
}
