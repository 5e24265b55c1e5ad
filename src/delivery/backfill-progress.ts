// A backfill lane's report of how far it has delivered, for the evaluator (which keeps a user's live
// changes behind their undelivered backfill message): KV segwatch-status statusKey.backfillDelivered
// = { "seq": n }, meaning every message of the lane with a stream sequence ≤ n is acked (delivered or
// dead-lettered). n is the consumer's ack floor as the server reports it — never a local guess, so it
// is never too high; when the lane has nothing pending or unacked it is raised to the stream's last
// sequence read before (nothing of the lane at or below it can still be undelivered).
//
// Written only while the lane acks something: at most once per interval after an ack, which also
// makes the last write follow the lane going idle. A lane without work costs nothing.

import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { DELIVERIES_STREAM } from "../nats/names.ts";
import { describeError } from "./errors.ts";
import type { DeliveryLog } from "./lane.ts";

export interface BackfillProgressDeps {
  readonly jsm: JetStreamManager;
  /** KV segwatch-status. */
  readonly kv: KV;
  readonly consumer: string;
  /** statusKey.backfillDelivered of the subscription. */
  readonly key: string;
  readonly intervalMs: number;
  readonly log: DeliveryLog;
  /** Whether the lane holds no message right now. */
  readonly idle: () => boolean;
}

/** What the server says about a lane, reduced to the sequence to report. */
export function deliveredSeq(
  consumer: { ackFloor: number; numPending: number; numAckPending: number },
  streamLastSeqBefore: number | undefined,
): number {
  const drained = consumer.numPending === 0 && consumer.numAckPending === 0;
  return drained && streamLastSeqBefore !== undefined
    ? Math.max(consumer.ackFloor, streamLastSeqBefore)
    : consumer.ackFloor;
}

export class BackfillProgress {
  readonly #deps: BackfillProgressDeps;
  #timer: NodeJS.Timeout | undefined;
  #written = 0;
  #stopped = false;
  /** A report is being made; a poke meanwhile asks for another one after it. */
  #reporting = false;
  #again = false;

  constructor(deps: BackfillProgressDeps) {
    this.#deps = deps;
  }

  /** The lane acked something: report within the interval. */
  poke(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    if (this.#reporting) {
      this.#again = true;
      return;
    }
    this.#timer = setTimeout(() => void this.#report(), this.#deps.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #report(): Promise<void> {
    const { jsm, kv, consumer, key, log } = this.#deps;
    this.#timer = undefined;
    this.#reporting = true;
    this.#again = false;
    try {
      const idle = this.#deps.idle();
      // Read before the consumer: a message published after this read has a higher sequence.
      const last = idle ? (await jsm.streams.info(DELIVERIES_STREAM)).state.last_seq : undefined;
      const info = await jsm.consumers.info(DELIVERIES_STREAM, consumer);
      const seq = deliveredSeq(
        {
          ackFloor: info.ack_floor.stream_seq,
          numPending: info.num_pending,
          numAckPending: info.num_ack_pending,
        },
        last,
      );
      if (this.#stopped) return;
      if (seq > this.#written) {
        await kv.put(key, JSON.stringify({ seq }));
        this.#written = seq;
      }
      // Acks sent just before may not have moved the floor yet: look again until they did.
      if (idle && info.num_ack_pending > 0) this.#again = true;
    } catch (err) {
      log("warn", "writing backfill delivery progress failed", {
        consumer,
        error: describeError(err),
      });
      this.#again = true;
    } finally {
      this.#reporting = false;
    }
    if (this.#again) this.poke();
  }
}
