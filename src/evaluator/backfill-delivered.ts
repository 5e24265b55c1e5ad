// The evaluator's view of how far each subscription's backfill lane has delivered (KV segwatch-status,
// statusKey.backfillDelivered, written by the delivery worker): one KV watch for all subscriptions,
// read from memory on the hot path. A value not seen yet counts as 0 — safe, it only keeps users in
// the backfill lane longer (backfill-order.ts); a value is never raised beyond what was written.

import type { KV, KvWatchEntry } from "@nats-io/kv";
import { BACKFILL_DELIVERED_KEYS } from "../nats/names.ts";

const PREFIX = "subscriptions.";
const SUFFIX = ".backfill.delivered";

export class BackfillDeliveredView {
  /** "<namespace>.<subscription id>" → delivered sequence. */
  readonly #seqs = new Map<string, number>();
  #stop: (() => void) | undefined;

  /** Starts watching (in the background); values arrive as the watch delivers them. */
  static async open(kv: KV, onError: (err: unknown) => void): Promise<BackfillDeliveredView> {
    const view = new BackfillDeliveredView();
    const watcher = await kv.watch({ key: BACKFILL_DELIVERED_KEYS });
    view.#stop = () => watcher.stop();
    void (async () => {
      for await (const e of watcher) view.apply(e);
    })().catch(onError);
    return view;
  }

  /** The delivered sequence of a subscription's backfill lane as last read (0 when unknown). */
  delivered(namespace: string, subscriptionId: string): number {
    return this.#seqs.get(`${namespace}.${subscriptionId}`) ?? 0;
  }

  apply(e: Pick<KvWatchEntry, "key" | "operation" | "json">): void {
    if (!e.key.startsWith(PREFIX) || !e.key.endsWith(SUFFIX)) return;
    const id = e.key.slice(PREFIX.length, -SUFFIX.length);
    if (e.operation !== "PUT") {
      this.#seqs.delete(id);
      return;
    }
    let seq: unknown;
    try {
      seq = e.json<{ seq?: unknown }>().seq;
    } catch {
      seq = undefined;
    }
    if (typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0) this.#seqs.set(id, seq);
    else this.#seqs.delete(id);
  }

  stop(): void {
    this.#stop?.();
  }
}
