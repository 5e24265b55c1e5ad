// How collect hands events to JetStream. The route answers only after every event of the request is
// acknowledged (an accepted event is never lost), yet never awaits one publish at a time: each
// request's publishes go out back to back, and one window bounds the publishes awaiting their
// PubAck across all requests of the process, so a burst of large batches queues here instead of
// flooding the server that the evaluators consume from (shared notes/performance.md).

import { jetstream } from "@nats-io/jetstream";
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { JetStreamPublisher } from "../nats/publisher.ts";
import { DEFAULT_PUBLISH_WINDOW } from "./defaults.ts";

export interface EventMessage {
  readonly subject: string;
  readonly data: Uint8Array | string;
  readonly headers: MsgHdrs;
}

export interface EventPublisher {
  /** Resolves once JetStream acknowledged every message; rejects if any was not. */
  publish(messages: readonly EventMessage[]): Promise<void>;
  /** Publishes awaiting their ack right now (for /metrics). */
  inFlight(): number;
  /** Waits for the publishes in flight to settle, then releases what the publisher holds. */
  close(): Promise<void>;
}

/** One JetStream publish: resolves on the PubAck, rejects when the message was not stored. */
export type PublishOne = (
  subject: string,
  data: Uint8Array | string,
  headers: MsgHdrs,
) => Promise<unknown>;

/** Thrown when some events of a request were not acknowledged. */
export class EventsNotStoredError extends Error {
  readonly failed: number;
  readonly total: number;
  constructor(failed: number, total: number, cause: unknown) {
    super(
      `JetStream did not acknowledge ${failed} of ${total} events: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = "EventsNotStoredError";
    this.failed = failed;
    this.total = total;
  }
}

/**
 * A shared window over any single-message publish. Messages of one request are started in order
 * (the stream stores a user's events in the order the client sent them); a request whose messages
 * do not all fit waits, first come first served, for acks to free slots.
 *
 * Requests are started together once per turn of the event loop (setImmediate): nats.js writes to
 * its socket once per microtask checkpoint, so publishing from each request's own handler costs a
 * socket write per request, while the requests that arrived in one turn share one write.
 */
export class WindowedPublisher implements EventPublisher {
  private readonly send: PublishOne;
  private readonly window: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private idle: (() => void) | undefined;
  private readonly onClose: () => void;
  private turn: PendingRequest[] = [];
  private scheduled = false;

  constructor(send: PublishOne, window = DEFAULT_PUBLISH_WINDOW, onClose: () => void = () => {}) {
    this.send = send;
    this.window = window;
    this.onClose = onClose;
  }

  inFlight(): number {
    return this.active;
  }

  publish(messages: readonly EventMessage[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.turn.push({ messages, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.startTurn);
      }
    });
  }

  private readonly startTurn = (): void => {
    this.scheduled = false;
    const requests = this.turn;
    this.turn = [];
    for (const r of requests) this.publishNow(r.messages).then(r.resolve, r.reject);
  };

  private publishNow(messages: readonly EventMessage[]): Promise<void> {
    // The common case — a small request, a free window — starts every message at once.
    if (this.waiting.length === 0 && this.active + messages.length <= this.window) {
      const acks = new Array<Promise<unknown>>(messages.length);
      for (let i = 0; i < messages.length; i++) {
        this.active++;
        acks[i] = this.run(messages[i]!);
      }
      return settle(acks);
    }
    return this.publishQueued(messages);
  }

  private async publishQueued(messages: readonly EventMessage[]): Promise<void> {
    const acks: Promise<unknown>[] = [];
    for (const m of messages) {
      // A freed slot is handed over to the waiter (release does not decrement), so the window is exact.
      if (this.active >= this.window || this.waiting.length > 0)
        await new Promise<void>((resolve) => this.waiting.push(resolve));
      else this.active++;
      acks.push(this.run(m));
    }
    return settle(acks);
  }

  /** Sends one message on a slot already counted in `active`. */
  private run(m: EventMessage): Promise<unknown> {
    let p: Promise<unknown>;
    try {
      p = this.send(m.subject, m.data, m.headers);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(this.release, this.release);
    return p;
  }

  private readonly release = (): void => {
    const next = this.waiting.shift();
    if (next) {
      next();
      return;
    }
    this.active--;
    if (this.active === 0 && this.idle) this.idle();
  };

  async close(): Promise<void> {
    if (this.scheduled) await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.active > 0 || this.waiting.length > 0)
      await new Promise<void>((resolve) => {
        this.idle = resolve;
      });
    this.onClose();
  }
}

interface PendingRequest {
  readonly messages: readonly EventMessage[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Waits for every ack; rejects with how many failed (not at the first failure, so the count is right). */
async function settle(acks: readonly Promise<unknown>[]): Promise<void> {
  if (acks.length === 1) {
    try {
      await acks[0];
      return;
    } catch (err) {
      throw new EventsNotStoredError(1, 1, err);
    }
  }
  const results = await Promise.allSettled(acks);
  let failed = 0;
  let first: unknown;
  for (const r of results) {
    if (r.status === "rejected") {
      failed++;
      first ??= r.reason;
    }
  }
  if (failed > 0) throw new EventsNotStoredError(failed, acks.length, first);
}

/**
 * The default: core publishes with a reply subject on one inbox subscription that collects the
 * PubAcks (src/nats/publisher.ts) — several times the rate of `jetstream(nc).publish`, which makes a
 * full request of every message.
 */
export function jetStreamEventPublisher(
  nc: NatsConnection,
  window = DEFAULT_PUBLISH_WINDOW,
): EventPublisher {
  const publisher = new JetStreamPublisher(nc);
  return new WindowedPublisher(
    (subject, data, headers) => publisher.publish(subject, data, headers),
    window,
    () => publisher.close(),
  );
}

/** The same window over nats.js's own `jetstream(nc).publish` (kept for comparison in bench/collect.ts). */
export function jetStreamClientPublisher(
  nc: NatsConnection,
  window = DEFAULT_PUBLISH_WINDOW,
): EventPublisher {
  const js = jetstream(nc);
  return new WindowedPublisher(
    (subject, data, headers) => js.publish(subject, data, { headers }),
    window,
  );
}
