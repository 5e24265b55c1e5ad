// The dead-letter queue as users see it: list what failed for good (with the last error) and replay
// it once the receiver is fixed. A replay publishes the message back to its subscription's lane —
// the worker then delivers it like any other, under the same idempotency key — and only after
// JetStream acknowledged the replay is the dead letter deleted: a crash in between leaves it in the
// DLQ, and replaying it again is deduplicated (see replay.ts).
//
// Replays are out of order by nature: a user's later changes may have been delivered already. The
// payload's segment_events carry enter/exit times for receivers that need to tell.

import type { JetStreamClient, JetStreamManager, MsgRequest, StoredMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { DLQ_STREAM, dlqSubject, registryKey } from "../nats/names.ts";
import { describeError } from "./errors.ts";
import { type DeadLetter, readDeadLetter, replayMessage } from "./replay.ts";

export interface DeadLetterFilter {
  /** One subscription's dead letters (default all). */
  readonly subscriptionId?: string;
  /** One channel's (default all). */
  readonly channel?: string;
  /** At most this many (default all). */
  readonly limit?: number;
  /** Only those after this DLQ sequence (the last one of the previous page). */
  readonly afterSeq?: number;
}

export type DeadLetterEntry =
  | {
      readonly ok: true;
      readonly deadLetter: DeadLetter;
      readonly time: Date;
      /** The message as the receiver gets it (the brief's v2 JSON). */
      readonly body: Uint8Array;
    }
  | { readonly ok: false; readonly seq: number; readonly reason: string; readonly time: Date };

export interface ReplayResult {
  /** Dead letters published back to their lane and removed from the DLQ. */
  readonly replayed: number;
  /** Dead letters left in the DLQ, each with why. */
  readonly skipped: readonly { readonly seq: number; readonly reason: string }[];
}

export class DeadLetterError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DeadLetterError";
  }
}

/** A subject token may not be empty or hold separators or wildcards. */
function token(value: string | undefined, what: string): string {
  if (value === undefined) return "*";
  if (!/^[^.*>\s]+$/.test(value))
    throw new DeadLetterError(`invalid ${what} "${value}": no dots, wildcards or spaces`);
  return value;
}

export function deadLetterSubjectFilter(filter: DeadLetterFilter): string {
  return dlqSubject(
    token(filter.channel, "channel"),
    token(filter.subscriptionId, "subscription id"),
  );
}

export class DeadLetterQueue {
  readonly #jsm: JetStreamManager;
  readonly #js: JetStreamClient;
  readonly #registry: KV;

  constructor(deps: { jsm: JetStreamManager; js: JetStreamClient; registry: KV }) {
    this.#jsm = deps.jsm;
    this.#js = deps.js;
    this.#registry = deps.registry;
  }

  /** The dead letters matching the filter, oldest first. */
  async *list(filter: DeadLetterFilter = {}): AsyncGenerator<DeadLetterEntry> {
    for await (const m of this.#messages(filter)) {
      const r = readDeadLetter({ seq: m.seq, subject: m.subject, headers: m.header });
      yield r.ok ? { ...r, time: m.time, body: m.data } : { ...r, time: m.time };
    }
  }

  /**
   * Publishes the matching dead letters back to their lanes, oldest first, and removes each from the
   * DLQ once the replay is stored. A dead letter whose subscription no longer exists stays.
   */
  async replay(filter: DeadLetterFilter = {}): Promise<ReplayResult> {
    let replayed = 0;
    const skipped: { seq: number; reason: string }[] = [];
    const exists = new Map<string, boolean>();
    for await (const m of this.#messages(filter)) {
      const r = readDeadLetter({ seq: m.seq, subject: m.subject, headers: m.header });
      if (!r.ok) {
        skipped.push({ seq: r.seq, reason: r.reason });
        continue;
      }
      const d = r.deadLetter;
      const key = registryKey.subscription(d.namespace, d.subscriptionId);
      let known = exists.get(key);
      if (known === undefined) {
        const entry = await this.#registry.get(key);
        known = entry !== null && entry.operation === "PUT";
        exists.set(key, known);
      }
      if (!known) {
        skipped.push({ seq: d.seq, reason: `subscription ${d.subscriptionId} no longer exists` });
        continue;
      }
      const { subject, headers } = replayMessage(d, m.header);
      try {
        await this.#js.publish(subject, m.data, { headers });
      } catch (err) {
        throw new DeadLetterError(
          `replaying dead letter ${d.seq} failed after ${replayed} replayed: ${describeError(err)}`,
          { cause: err },
        );
      }
      try {
        await this.#jsm.streams.deleteMessage(DLQ_STREAM, d.seq, false);
      } catch (err) {
        // Stored twice for now; replaying again is deduplicated within the duplicate window.
        throw new DeadLetterError(
          `dead letter ${d.seq} was replayed but not removed (${replayed} before it were): ${describeError(err)}`,
          { cause: err },
        );
      }
      replayed++;
    }
    return { replayed, skipped };
  }

  /**
   * Reads by sequence with the stream's "next message on this subject" lookup: no consumer to
   * create or clean up, and the walk ends at the stream's end as it was when the walk started, so
   * dead letters arriving meanwhile (a replay failing again) are not picked up in the same pass.
   */
  async *#messages(filter: DeadLetterFilter): AsyncGenerator<StoredMsg> {
    const subject = deadLetterSubjectFilter(filter);
    const limit = filter.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    let info: Awaited<ReturnType<JetStreamManager["streams"]["info"]>>;
    try {
      info = await this.#jsm.streams.info(DLQ_STREAM);
    } catch (err) {
      throw new DeadLetterError(`reading the DLQ failed: ${describeError(err)}`, { cause: err });
    }
    const last = info.state.last_seq;
    let seq = Math.max(info.state.first_seq, (filter.afterSeq ?? 0) + 1);
    let n = 0;
    while (seq <= last && n < limit) {
      const request = { seq, next_by_subj: subject } as unknown as MsgRequest;
      let m: StoredMsg | null;
      try {
        m = await this.#jsm.streams.getMessage(DLQ_STREAM, request);
      } catch (err) {
        throw new DeadLetterError(`reading the DLQ at ${seq} failed: ${describeError(err)}`, {
          cause: err,
        });
      }
      if (m === null || m.seq > last) return;
      yield m;
      n++;
      seq = m.seq + 1;
    }
  }
}
