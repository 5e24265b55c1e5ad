// Write-behind of the per-subscription counters to KV segwatch-status: deltas accumulate in memory and
// are merged into the stored value about once a second per subscription, with compare-and-set (update
// at the revision read), so that two workers — or a worker and the evaluator writing backfill
// progress — never overwrite each other's counts. A delta that could not be written waits for the
// next flush.

import type { KV } from "@nats-io/kv";
import type { SubscriptionStats } from "../controller/records.ts";
import { updateKv } from "../nats/kv-update.ts";
import { statusKey } from "../nats/names.ts";
import { WORKER_DEFAULTS } from "./defaults.ts";
import { addDelta, applyDelta, emptyDelta, isEmptyDelta, type StatsDelta } from "./stats.ts";

export interface StatusWriterOptions {
  readonly flushIntervalMs?: number;
  readonly casAttempts?: number;
  readonly onError?: (key: string, err: unknown) => void;
}

export class StatusWriter {
  readonly #kv: KV;
  readonly #intervalMs: number;
  readonly #casAttempts: number;
  readonly #onError: (key: string, err: unknown) => void;
  #pending = new Map<string, StatsDelta>();
  /** Latest delivery per pending delta, as a number until the flush turns it into lastDeliveryTime. */
  #lastDelivery = new WeakMap<StatsDelta, number>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(kv: KV, opts: StatusWriterOptions = {}) {
    this.#kv = kv;
    this.#intervalMs = opts.flushIntervalMs ?? WORKER_DEFAULTS.statusFlushMs;
    this.#casAttempts = opts.casAttempts ?? WORKER_DEFAULTS.statusCasAttempts;
    this.#onError = opts.onError ?? (() => {});
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.flush(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** The key a subscription's counters live under (compute it once: this is the hot path). */
  static key(namespace: string, id: string): string {
    return statusKey.subscription(namespace, id);
  }

  /** `atMs`: epoch milliseconds (a Date per delivery is measurable on the hot path). */
  delivered(key: string, atMs: number): void {
    const d = this.#delta(key);
    d.delivered++;
    if (atMs > (this.#lastDelivery.get(d) ?? 0)) this.#lastDelivery.set(d, atMs);
  }

  failed(key: string, error: string, at: Date): void {
    const d = this.#delta(key);
    d.failed++;
    d.lastError = error;
    d.lastErrorTime = at.toISOString();
  }

  deadLettered(key: string, error: string, at: Date): void {
    const d = this.#delta(key);
    d.deadLettered++;
    d.lastError = error;
    d.lastErrorTime = at.toISOString();
  }

  /** Writes every pending delta; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushNow());
    return this.#flushing;
  }

  #delta(key: string): StatsDelta {
    let d = this.#pending.get(key);
    if (d === undefined) {
      d = emptyDelta();
      this.#pending.set(key, d);
    }
    return d;
  }

  async #flushNow(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    await Promise.all(
      [...batch].map(async ([key, delta]) => {
        const at = this.#lastDelivery.get(delta);
        if (at !== undefined) {
          const iso = new Date(at).toISOString();
          if (delta.lastDeliveryTime === null || iso > delta.lastDeliveryTime)
            delta.lastDeliveryTime = iso;
          this.#lastDelivery.delete(delta);
        }
        if (isEmptyDelta(delta)) return;
        try {
          await this.#write(key, delta);
        } catch (err) {
          this.#onError(key, err);
          // Keep it for the next flush, older than whatever accumulated meanwhile.
          const newer = this.#pending.get(key);
          if (newer) addDelta(delta, newer);
          this.#pending.set(key, delta);
        }
      }),
    );
  }

  #write(key: string, delta: StatsDelta): Promise<void> {
    return updateKv<Partial<SubscriptionStats>>(
      this.#kv,
      key,
      (current) => applyDelta(current, delta),
      this.#casAttempts,
    );
  }
}
