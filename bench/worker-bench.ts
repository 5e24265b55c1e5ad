// The scaffold the delivery-worker benchmarks share (webhook, kinesis, eventhub, pubsub): the
// payload, publishing a round of deliveries into JetStream, and a worker that delivers one
// subscription per round until drained, timed from the record's arrival. Each bench keeps its own
// baseline (the raw client) and its own result format.

import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ConsumerManager } from "../src/controller/consumers.ts";
import { DELIVERY_DEFAULTS, type SubscriptionRecord } from "../src/controller/records.ts";
import type { DeliveryChannel } from "../src/delivery/channel.ts";
import { ensureDeliveryConsumers } from "../src/delivery/consumer-config.ts";
import { envelopeHeaders } from "../src/delivery/envelope.ts";
import { DeliveryWorker } from "../src/delivery/worker.ts";
import { bootstrap } from "../src/nats/bootstrap.ts";
import { deliverySubject, registryKey } from "../src/nats/names.ts";
import { JetStreamPublisher } from "../src/nats/publisher.ts";
import type { Channel } from "../src/resources/types.ts";
import { median } from "./harness.ts";

export const BENCH_NAMESPACE = "bench";
/** Distinct users (ordering keys) the deliveries cycle through. */
export const BENCH_USERS = 1_000;
/** Publishes awaited together while filling a round. */
const PUBLISH_WINDOW = 256;
const DRAIN_TIMEOUT_MS = 30_000;

/** One round's wall-clock and this process's CPU milliseconds. */
export interface RoundTime {
  readonly ms: number;
  readonly cpu: number;
  /**
   * From the round's start to its first delivery, when the candidate reports it: setup (connections,
   * a subscription's consumer) rather than delivering.
   */
  readonly firstMs?: number;
  /** CPU milliseconds of the other processes watched (`peersCpuMs`), when given. */
  readonly peersCpu?: number;
}

/** Cumulative CPU milliseconds of processes other than this one (a receiver, nats-server). */
export type PeersCpu = () => number;

/** A delivery body as the evaluator writes it: one segment entry of `user`. */
export function benchPayload(subscriptionId: string, user: string, i: number): string {
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

/** The user of delivery `i`. */
export function benchUser(i: number): string {
  return `user${i % BENCH_USERS}`;
}

/** `messages` bodies as the baselines send them (no subscription of their own). */
export function baselineBodies(messages: number): Buffer[] {
  return Array.from({ length: messages }, (_, i) =>
    Buffer.from(benchPayload("0".repeat(32), benchUser(i), i)),
  );
}

/** Publishes `messages` live deliveries of `subscriptionId` on `channel`'s subject. */
export async function publishRound(
  nc: NatsConnection,
  channel: Channel,
  subscriptionId: string,
  messages: number,
): Promise<void> {
  const publisher = new JetStreamPublisher(nc);
  const subject = deliverySubject(channel, subscriptionId, "live");
  try {
    await publisher.publishAll(
      Array.from({ length: messages }, (_, j) => {
        const user = benchUser(j);
        return {
          subject,
          data: benchPayload(subscriptionId, user, j),
          headers: envelopeHeaders({
            msgId: `${subscriptionId}:${j}`,
            namespace: BENCH_NAMESPACE,
            subscriptionId,
            userKey: user,
            lane: "live",
          }),
        };
      }),
      PUBLISH_WINDOW,
    );
  } finally {
    publisher.close();
  }
}

export function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1_000;
}

/**
 * Runs `fn`, timing it in wall-clock and this process's CPU. `fn` may resolve with the
 * `performance.now()` of its first delivery.
 */
export async function timeRound(fn: () => Promise<unknown>, peers?: PeersCpu): Promise<RoundTime> {
  const peers0 = peers?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const first = await fn();
  const ms = performance.now() - t0;
  const cpu = cpuMs(cpu0);
  return {
    ms,
    cpu,
    ...(typeof first === "number" ? { firstMs: first - t0 } : {}),
    ...(peers && peers0 !== undefined ? { peersCpu: peers() - peers0 } : {}),
  };
}

/** Each candidate's rounds, in the order run (`first`, `peersCpu`: when reported). */
export type RoundTimes<K extends string> = Record<
  K,
  { ms: number[]; cpu: number[]; first: number[]; peersCpu: number[] }
>;

/**
 * A warm-up round of each candidate (JIT, sockets, first use of consumers), then `rounds` rounds of
 * each, interleaved in the candidates' order so that drift in a noisy machine hits all alike.
 */
export async function interleavedRounds<K extends string>(
  rounds: number,
  candidates: Record<K, () => Promise<RoundTime>>,
): Promise<RoundTimes<K>> {
  const names = Object.keys(candidates) as K[];
  for (const name of names) await candidates[name]();
  const out = Object.fromEntries(
    names.map((n) => [
      n,
      { ms: [] as number[], cpu: [] as number[], first: [] as number[], peersCpu: [] as number[] },
    ]),
  ) as RoundTimes<K>;
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const t = await candidates[name]();
      out[name].ms.push(t.ms);
      out[name].cpu.push(t.cpu);
      if (t.firstMs !== undefined) out[name].first.push(t.firstMs);
      if (t.peersCpu !== undefined) out[name].peersCpu.push(t.peersCpu);
    }
  }
  return out;
}

/** Deliveries per second at the median of `ms`. */
export function ratePerSecond(messages: number, ms: readonly number[]): number {
  return messages / (median(ms) / 1_000);
}

/**
 * Deliveries per second once delivering: the median over the rounds of the time from the first
 * delivery to the last, for the `messages - 1` deliveries after the first.
 */
export function deliveringRatePerSecond(
  messages: number,
  ms: readonly number[],
  first: readonly number[],
): number {
  return (messages - 1) / (median(ms.map((m, i) => m - first[i]!)) / 1_000);
}

/** Milliseconds per 1,000 deliveries at the median of `ms`. */
export function per1k(messages: number, ms: readonly number[]): number {
  return (median(ms) / messages) * 1_000;
}

/** The channel block of a bench subscription record (`webhook`, `kinesis`, `eventHub` or `pubsub`). */
export type ChannelSettings = Pick<
  SubscriptionRecord,
  "webhook" | "kinesis" | "eventHub" | "pubsub"
>;

export interface WorkerBench {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /**
   * One subscription `id` of `messages` deliveries: consumers made and filled first, then timed from
   * writing its record until the worker has delivered them all (firstMs: until its first delivery —
   * the registry watch, opening the subscription); afterwards removed.
   */
  round(
    id: string,
    messages: number,
    settings: ChannelSettings,
    peers?: PeersCpu,
  ): Promise<RoundTime>;
  stop(): Promise<void>;
}

/** Starts a DeliveryWorker of `channel` on `nc`, with `concurrency` as each subscription's maxInFlight. */
export async function startWorkerBench(
  nc: NatsConnection,
  channel: DeliveryChannel,
  concurrency: number,
): Promise<WorkerBench> {
  const name = channel.name;
  let delivered = 0;
  let target = 0;
  let firstAt = 0;
  let done: (() => void) | undefined;
  let failed: ((err: Error) => void) | undefined;
  const buckets = await bootstrap(nc);
  const worker = new DeliveryWorker({
    nc,
    ...buckets,
    channel,
    observer: {
      delivered: () => {
        if (delivered === 0) firstAt = performance.now();
        if (++delivered === target) done?.();
      },
      deadLettered: (_r, _l, _e, error) =>
        failed?.(new Error(`bench delivery dead-lettered: ${error}`)),
    },
  });
  const jsm = await jetstreamManager(nc);
  await worker.start();

  const round = async (
    id: string,
    messages: number,
    settings: ChannelSettings,
    peers?: PeersCpu,
  ): Promise<RoundTime> => {
    await ensureDeliveryConsumers(jsm, name, id);
    await publishRound(nc, name, id, messages);
    const record: SubscriptionRecord = {
      id,
      namespace: BENCH_NAMESPACE,
      name: id,
      channel: name,
      generation: 1,
      segmentIds: ["seg"],
      events: ["enter", "exit"],
      fields: [],
      delivery: { ...DELIVERY_DEFAULTS, maxInFlight: concurrency },
      ...settings,
    };
    delivered = 0;
    target = messages;
    const all = new Promise<void>((resolve, reject) => {
      done = resolve;
      failed = reject;
    });
    const key = registryKey.subscription(BENCH_NAMESPACE, id);
    const time = await timeRound(async () => {
      await buckets.registry.put(key, JSON.stringify(record));
      await all;
      return firstAt;
    }, peers);
    await buckets.registry.delete(key);
    await until(() => !worker.isConsuming(id), `${name} bench: timed out`);
    await new ConsumerManager(jsm).remove(id, { purge: true });
    return time;
  };

  return { nc, jsm, round, stop: () => worker.stop() };
}

async function until(check: () => boolean, message: string): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((r) => setTimeout(r, 10));
  }
}
