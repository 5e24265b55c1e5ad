// Publishing to JetStream and knowing every message was stored, at the rate the server allows.
// nats.js's `js.publish` is a full request per message (and builds an Error on every one, even with
// noAsyncTraces); instead, core publishes carry a reply subject on one wildcard inbox subscription
// that collects the PubAcks (shared notes/performance.md). A bounded window of publishes in flight —
// never one await per message, never an unbounded burst that starves consumers on the same server.
// On the hot path a message costs one core publish and one callback: no promise, no timer, no
// closure per message (one sweep finds the acks that never came).

import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";

/** Publishes in flight at once per `publishAll` call. */
export const DEFAULT_PUBLISH_WINDOW = 512;
/** How long a publish waits for its PubAck. */
export const PUBLISH_ACK_TIMEOUT_MS = 10_000;

export interface OutgoingMessage {
  readonly subject: string;
  readonly data: Uint8Array | string;
  /** Nats-Msg-Id among them drops a message whose id the stream has seen within its window. */
  readonly headers?: MsgHdrs;
}

export interface PubAck {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate?: boolean;
}

/** A message JetStream did not acknowledge: no stream for the subject, an error, or a timeout. */
export class PublishError extends Error {
  readonly subject: string;
  constructor(message: string, subject: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PublishError";
    this.subject = subject;
  }
}

export interface PublisherOptions {
  /** How long a publish waits for its PubAck; default PUBLISH_ACK_TIMEOUT_MS. */
  readonly ackTimeoutMs?: number;
}

/** Told once per message: its PubAck, or why there is none. */
type Settle = (ack: PubAck | undefined, error: PublishError | undefined) => void;

interface Pending {
  readonly subject: string;
  readonly sentAt: number;
  readonly settle: Settle;
}

interface PubAckBody extends PubAck {
  readonly error?: {
    readonly code: number;
    readonly err_code?: number;
    readonly description: string;
  };
}

export class JetStreamPublisher {
  private readonly nc: NatsConnection;
  private readonly prefix: string;
  private readonly sub: Subscription;
  private readonly ackTimeoutMs: number;
  // Insertion order is send order, so the sweep stops at the first message still in time.
  private readonly pending = new Map<number, Pending>();
  private sweeper: NodeJS.Timeout | undefined;
  private next = 0;
  private closed = false;

  constructor(nc: NatsConnection, options: PublisherOptions = {}) {
    this.nc = nc;
    this.ackTimeoutMs = options.ackTimeoutMs ?? PUBLISH_ACK_TIMEOUT_MS;
    this.prefix = `${createInbox()}.`;
    this.sub = nc.subscribe(`${this.prefix}*`, {
      callback: (err, msg) => {
        if (!err) this.received(msg);
      },
    });
  }

  /** Publishes one message; resolves with its PubAck. */
  publish(subject: string, data: Uint8Array | string, headers?: MsgHdrs): Promise<PubAck> {
    return new Promise<PubAck>((resolve, reject) => {
      this.send(subject, data, headers, (ack, error) => (error ? reject(error) : resolve(ack!)));
    });
  }

  /**
   * Publishes every message and resolves with the acks in order; rejects if any was not acked.
   * Messages are written in order on one connection, so the stream stores them in order.
   */
  publishAll(
    messages: readonly OutgoingMessage[],
    window = DEFAULT_PUBLISH_WINDOW,
  ): Promise<PubAck[]> {
    if (!(window >= 1)) throw new RangeError(`publish window must be at least 1, got ${window}`);
    const acks: PubAck[] = new Array(messages.length);
    if (messages.length === 0) return Promise.resolve(acks);
    return new Promise<PubAck[]>((resolve, reject) => {
      let sent = 0;
      let settled = 0;
      let error: PublishError | undefined;
      const fill = () => {
        // After a failure nothing more is sent; the call ends when what is in flight has settled.
        while (error === undefined && sent < messages.length && sent - settled < window) {
          const i = sent++;
          const m = messages[i]!;
          this.send(m.subject, m.data, m.headers, (ack, err) => {
            settled++;
            if (err) error ??= err;
            else acks[i] = ack!;
            if (settled === sent && (error !== undefined || sent === messages.length)) {
              if (error) reject(error);
              else resolve(acks);
            } else fill();
          });
        }
      };
      fill();
    });
  }

  /** Stops listening for acks; publishes still waiting are rejected. */
  close(): void {
    this.closed = true;
    this.sub.unsubscribe();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.settle(undefined, new PublishError("publisher closed", p.subject));
  }

  private send(
    subject: string,
    data: Uint8Array | string,
    headers: MsgHdrs | undefined,
    settle: Settle,
  ): void {
    if (this.closed) {
      settle(undefined, new PublishError("publisher closed", subject));
      return;
    }
    const id = this.next++;
    this.pending.set(id, { subject, sentAt: performance.now(), settle });
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(10, this.ackTimeoutMs / 4));
    try {
      this.nc.publish(
        subject,
        data,
        headers ? { reply: this.prefix + id, headers } : { reply: this.prefix + id },
      );
    } catch (err) {
      this.pending.delete(id);
      settle(undefined, new PublishError(`cannot publish to ${subject}`, subject, { cause: err }));
    }
  }

  private received(msg: Msg): void {
    const id = Number(msg.subject.slice(this.prefix.length));
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (msg.headers?.hasError) {
      // No responders: nothing stores this subject.
      const h = msg.headers;
      p.settle(
        undefined,
        new PublishError(`no stream stores ${p.subject} (${h.code} ${h.description})`, p.subject),
      );
      return;
    }
    let body: PubAckBody;
    try {
      body = msg.json<PubAckBody>();
    } catch (e) {
      p.settle(
        undefined,
        new PublishError(`unreadable PubAck for ${p.subject}`, p.subject, { cause: e }),
      );
      return;
    }
    if (body.error)
      p.settle(
        undefined,
        new PublishError(`JetStream refused ${p.subject}: ${body.error.description}`, p.subject),
      );
    else p.settle(body, undefined);
  }

  /** Fails the publishes whose PubAck is overdue; stops sweeping when nothing is in flight. */
  private sweep(): void {
    if (this.pending.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
      return;
    }
    const due = performance.now() - this.ackTimeoutMs;
    const overdue: Pending[] = [];
    for (const [id, p] of this.pending) {
      if (p.sentAt > due) break;
      this.pending.delete(id);
      overdue.push(p);
    }
    for (const p of overdue)
      p.settle(
        undefined,
        new PublishError(`no PubAck for ${p.subject} within ${this.ackTimeoutMs} ms`, p.subject),
      );
  }
}
