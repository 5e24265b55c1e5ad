// Counters in KV segwatch-status that the controller reads into status: members per segment, backfill
// progress per subscription. Several evaluators update the same keys, so every update is a
// compare-and-set retried on conflict.

import type { KV } from "@nats-io/kv";
import type { SegmentStats, SubscriptionStats } from "../controller/records.ts";
import { updateKv } from "../nats/kv-update.ts";
import { statusKey } from "../nats/names.ts";
import type { StatsSink } from "./partition-worker.ts";

/** Per-partition backfill progress, beside the subscription's stats: "<key>.backfill.<partition>". */
interface PartitionBackfill {
  /** The request this progress is for. */
  readonly requestedAt: string;
  readonly members: number;
  readonly complete: boolean;
}

/** How often accumulated member counts are written. */
export const MEMBER_FLUSH_MS = 1_000;

export class KvStats implements StatsSink {
  private readonly kv: KV;
  private readonly partitions: number;
  /** namespace → segment id → change not yet written. */
  private pending = new Map<string, Map<string, number>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly onError: (err: unknown) => void;

  /** @param partitions the total partition count, to know when every partition finished a backfill */
  constructor(kv: KV, partitions: number, onError: (err: unknown) => void = () => {}) {
    this.kv = kv;
    this.partitions = partitions;
    this.onError = onError;
  }

  /** Starts writing accumulated member counts in the background. */
  start(): void {
    this.timer ??= setInterval(() => void this.flushMembers(), MEMBER_FLUSH_MS);
    this.timer.unref();
  }

  /** Stops the background writes after writing what is pending. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flushMembers();
  }

  /** Counts are kept in memory and written about once a second: they are status, not state. */
  async addMembers(namespace: string, deltas: ReadonlyMap<string, number>): Promise<void> {
    let m = this.pending.get(namespace);
    if (!m) {
      m = new Map();
      this.pending.set(namespace, m);
    }
    for (const [id, d] of deltas) m.set(id, (m.get(id) ?? 0) + d);
  }

  flushMembers(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const pending = this.pending;
      this.pending = new Map();
      const writes: Promise<void>[] = [];
      for (const [namespace, deltas] of pending) {
        for (const [segmentId, delta] of deltas) {
          if (delta === 0) continue;
          writes.push(
            updateKv<SegmentStats>(this.kv, statusKey.segment(namespace, segmentId), (cur) => ({
              members: Math.max(0, (cur?.members ?? 0) + delta),
              updatedAt: new Date().toISOString(),
            })).catch((err) => this.onError(err)),
          );
        }
      }
      await Promise.all(writes);
    });
    return this.flushing;
  }

  async backfillProgress(
    namespace: string,
    subscriptionId: string,
    requestedAt: string,
    partition: number,
    members: number,
    complete: boolean,
  ): Promise<void> {
    const key = statusKey.subscription(namespace, subscriptionId);
    const mine: PartitionBackfill = { requestedAt, members, complete };
    await this.kv.put(`${key}.backfill.${partition}`, JSON.stringify(mine));
    let total = 0;
    let done = 0;
    for await (const k of await this.kv.keys(`${key}.backfill.*`)) {
      const e = await this.kv.get(k);
      if (e?.operation !== "PUT") continue;
      const p = e.json<PartitionBackfill>();
      if (p.requestedAt !== requestedAt) continue; // a partition still on an earlier request
      total += p.members;
      if (p.complete) done++;
    }
    const state = done >= this.partitions ? "Complete" : "Running";
    await updateKv<SubscriptionStats>(this.kv, key, (cur) => ({
      delivered: 0,
      failed: 0,
      deadLettered: 0,
      lastDeliveryTime: null,
      lastError: null,
      ...cur,
      backfill: { state, requestedAt, members: total, at: new Date().toISOString() },
    }));
  }

  /** Whether this partition already finished this backfill request (a restart must not redo it). */
  async backfillComplete(
    namespace: string,
    subscriptionId: string,
    requestedAt: string,
    partition: number,
  ): Promise<boolean> {
    const e = await this.kv.get(
      `${statusKey.subscription(namespace, subscriptionId)}.backfill.${partition}`,
    );
    if (e?.operation !== "PUT") return false;
    const p = e.json<PartitionBackfill>();
    return p.complete && p.requestedAt === requestedAt;
  }
}
