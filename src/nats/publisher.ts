// Publishing to JetStream and knowing every message was stored, at the rate the server allows.
// nats.js's `js.publish` is a full request per message (and builds an Error on every one, even with
// noAsyncTraces); instead, core publishes carry a reply subject on one wildcard inbox subscription
// that collects the PubAcks (shared notes/performance.md). A bounded window of publishes in flight —
// never one await per message, never an unbounded burst that starves consumers on the same server.

import {
  createInbox,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";

/** Publishes in flight at once per `publishAll` call. */
export const DEFAULT_PUBLISH_WINDOW = 256;
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

interface Pending {
  readonly subject: string;
  readonly resolve: (ack: PubAck) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class JetStreamPublisher {
  private readonly nc: NatsConnection;
  private readonly prefix: string;
  private readonly sub: Subscription;
  private readonly pending = new Map<number, Pending>();
  private next = 0;

  constructor(nc: NatsConnection) {
    this.nc = nc;
    this.prefix = createInbox();
    this.sub = nc.subscribe(`${this.prefix}.*`, {
      callback: (err, msg) => {
        if (err) return;
        const id = Number(msg.subject.slice(this.prefix.length + 1));
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        clearTimeout(p.timer);
        if (msg.headers?.hasError) {
          // No responders: nothing stores this subject.
          p.reject(
            new PublishError(
              `no stream stores ${p.subject} (${msg.headers.code} ${msg.headers.description})`,
              p.subject,
            ),
          );
          return;
        }
        try {
          const body = msg.json<
            PubAck & { error?: { code: number; err_code?: number; description: string } }
          >();
          if (body.error)
            p.reject(
              new PublishError(
                `JetStream refused ${p.subject}: ${body.error.description}`,
                p.subject,
              ),
            );
          else p.resolve(body);
        } catch (e) {
          p.reject(new PublishError(`unreadable PubAck for ${p.subject}`, p.subject, { cause: e }));
        }
      },
    });
  }

  /** Publishes one message; resolves with its PubAck. */
  publish(subject: string, data: Uint8Array | string, headers?: MsgHdrs): Promise<PubAck> {
    return new Promise<PubAck>((resolve, reject) => {
      const id = this.next++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new PublishError(`no PubAck for ${subject} within ${PUBLISH_ACK_TIMEOUT_MS} ms`, subject),
        );
      }, PUBLISH_ACK_TIMEOUT_MS);
      this.pending.set(id, { subject, resolve, reject, timer });
      try {
        this.nc.publish(subject, data, {
          reply: `${this.prefix}.${id}`,
          ...(headers ? { headers } : {}),
        });
      } catch (err) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new PublishError(`cannot publish to ${subject}`, subject, { cause: err }));
      }
    });
  }

  /**
   * Publishes every message and resolves with the acks in order; rejects if any was not acked.
   * Messages are written in order on one connection, so the stream stores them in order.
   */
  async publishAll(
    messages: readonly OutgoingMessage[],
    window = DEFAULT_PUBLISH_WINDOW,
  ): Promise<PubAck[]> {
    const acks: PubAck[] = new Array(messages.length);
    let next = 0;
    let error: Error | undefined;
    const lane = async () => {
      while (next < messages.length && error === undefined) {
        const i = next++;
        const m = messages[i]!;
        try {
          acks[i] = await this.publish(m.subject, m.data, m.headers);
        } catch (err) {
          error ??= err as Error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, messages.length) }, lane));
    if (error) throw error;
    return acks;
  }

  /** Stops listening for acks; publishes still waiting are rejected. */
  close(): void {
    this.sub.unsubscribe();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new PublishError("publisher closed", p.subject));
      this.pending.delete(id);
    }
  }
}
