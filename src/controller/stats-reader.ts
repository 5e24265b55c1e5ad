// Reads the counters evaluators and delivery workers keep in KV segwatch-status.

import type { KV } from "@nats-io/kv";
import { statusKey } from "../nats/names.ts";
import type { SegmentStats, SubscriptionStats } from "./records.ts";

export interface Stats<T> {
  readonly value: T;
  /** When the entry was last written (epoch ms). */
  readonly writtenAt: number;
}

export class StatsReader {
  private readonly kv: KV;

  constructor(kv: KV) {
    this.kv = kv;
  }

  segment(namespace: string, id: string): Promise<Stats<SegmentStats> | undefined> {
    return this.read<SegmentStats>(statusKey.segment(namespace, id));
  }

  subscription(namespace: string, id: string): Promise<Stats<SubscriptionStats> | undefined> {
    return this.read<SubscriptionStats>(statusKey.subscription(namespace, id));
  }

  /**
   * The counter keys of segments and subscriptions (a subscription's backfill keys included), of one
   * namespace or all: what the garbage collector compares with the resources that exist.
   */
  async keys(namespace?: string): Promise<string[]> {
    const ns = namespace ?? "*";
    const out: string[] = [];
    for (const filter of [`segments.${ns}.*`, `subscriptions.${ns}.*`, `subscriptions.${ns}.*.>`])
      for await (const k of await this.kv.keys(filter)) out.push(k);
    return out;
  }

  /** Removes a counter key and its history (its resource is gone: a new one starts from zero). */
  async remove(key: string): Promise<void> {
    await this.kv.purge(key);
  }

  private async read<T>(key: string): Promise<Stats<T> | undefined> {
    const e = await this.kv.get(key);
    if (e?.operation !== "PUT") return undefined;
    try {
      return { value: e.json<T>(), writtenAt: e.created.getTime() };
    } catch {
      // A malformed entry is the writer's bug; status then shows no counters rather than failing.
      return undefined;
    }
  }
}
