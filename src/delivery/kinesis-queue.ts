// The records of one subscription waiting for a PutRecords call. The worker hands the channel
// messages as they arrive — often one at a time — and a call per message would spend the service's
// time (and the subscription's concurrency) on per-call overhead. So a subscription keeps at most
// `maxCalls` PutRecords calls in flight; records that arrive meanwhile wait and leave together in the
// next call, up to the service's limits. Batches grow with the load and stay at one record when idle.
//
// Order: the worker gives the channel at most one message per user at a time, so records in the
// queue never belong to the same user, and any grouping of them keeps each user's order.

import type { DeliveryOutcome } from "./channel.ts";
import { type KinesisEntry, type KinesisLimits, recordsForOneCall } from "./kinesis-records.ts";
import { retry } from "./outcome.ts";

/** Sends one PutRecords call; resolves with one outcome per record, in order. Never rejects. */
export type SendRecords = (records: readonly KinesisEntry[]) => Promise<DeliveryOutcome[]>;

interface Waiting {
  readonly record: KinesisEntry;
  readonly resolve: (o: DeliveryOutcome) => void;
}

export class PutRecordsQueue {
  readonly #maxCalls: number;
  readonly #limits: Pick<KinesisLimits, "maxRecordsPerCall" | "maxBytesPerCall">;
  readonly #send: SendRecords;
  #waiting: Waiting[] = [];
  #calls = 0;
  #scheduled = false;
  #idle: (() => void)[] = [];

  constructor(opts: {
    readonly maxCalls: number;
    readonly limits: Pick<KinesisLimits, "maxRecordsPerCall" | "maxBytesPerCall">;
    readonly send: SendRecords;
  }) {
    this.#maxCalls = Math.max(1, opts.maxCalls);
    this.#limits = opts.limits;
    this.#send = opts.send;
  }

  /** PutRecords calls in flight. */
  get calls(): number {
    return this.#calls;
  }

  /** Records waiting for a call. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Queues records; each promise resolves with its record's outcome. Calls start once the current
   * turn of the event loop is done, so that records handed over in one turn share a call.
   */
  add(records: readonly KinesisEntry[]): Promise<DeliveryOutcome>[] {
    const out = records.map(
      (record) =>
        new Promise<DeliveryOutcome>((resolve) => this.#waiting.push({ record, resolve })),
    );
    if (!this.#scheduled && records.length > 0) {
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        this.#pump();
      });
    }
    return out;
  }

  /** Resolves when nothing waits and no call is in flight. */
  whenIdle(): Promise<void> {
    if (this.#calls === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#calls < this.#maxCalls && this.#waiting.length > 0) {
      const batch = this.#take();
      this.#calls++;
      void this.#send(batch.map((w) => w.record))
        .catch((err: unknown) => batch.map(() => retry(`kinesis: ${String(err)}`)))
        .then((outcomes) => {
          for (const [i, w] of batch.entries()) {
            w.resolve(outcomes[i] ?? retry("kinesis: no answer for this record"));
          }
          this.#calls--;
          this.#pump();
          this.#checkIdle();
        });
    }
  }

  /** The longest head of the queue one call can carry (at least one record). */
  #take(): Waiting[] {
    const sizes = this.#waiting.slice(0, this.#limits.maxRecordsPerCall).map((w) => w.record.bytes);
    return this.#waiting.splice(0, recordsForOneCall(sizes, this.#limits));
  }

  #checkIdle(): void {
    if (this.#calls > 0 || this.#waiting.length > 0) return;
    for (const r of this.#idle.splice(0)) r();
  }
}
