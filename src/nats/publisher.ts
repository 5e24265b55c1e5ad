// Publishing many messages to JetStream and knowing that every one was stored: a bounded window of
// publishes in flight (never one await per message, never an unbounded burst that starves consumers
// on the same server; shared notes/performance.md).

import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/transport-node";

/** Publishes in flight at once per call. */
export const DEFAULT_PUBLISH_WINDOW = 256;

export interface OutgoingMessage {
  readonly subject: string;
  readonly data: Uint8Array | string;
  readonly headers?: MsgHdrs;
  /** Nats-Msg-Id: JetStream drops a message whose id it has seen within the stream's window. */
  readonly msgId?: string;
}

/** Thrown when some messages were not acknowledged; the caller must treat all as unpublished. */
export class PublishError extends Error {
  readonly failed: number;
  constructor(failed: number, total: number, cause: unknown) {
    super(`${failed} of ${total} messages were not acknowledged by JetStream`, { cause });
    this.name = "PublishError";
    this.failed = failed;
  }
}

/** Publishes every message and resolves with the acks in order; rejects if any was not acked. */
export async function publishAll(
  js: JetStreamClient,
  messages: readonly OutgoingMessage[],
  window = DEFAULT_PUBLISH_WINDOW,
): Promise<PubAck[]> {
  const acks: PubAck[] = new Array(messages.length);
  let next = 0;
  let failed = 0;
  let firstError: unknown;
  const lane = async () => {
    while (next < messages.length) {
      const i = next++;
      const m = messages[i]!;
      try {
        acks[i] = await js.publish(m.subject, m.data, {
          ...(m.headers ? { headers: m.headers } : {}),
          ...(m.msgId ? { msgID: m.msgId } : {}),
        });
      } catch (err) {
        failed++;
        firstError ??= err;
      }
    }
  };
  const lanes: Promise<void>[] = [];
  for (let i = 0; i < Math.min(window, messages.length); i++) lanes.push(lane());
  await Promise.all(lanes);
  if (failed > 0) throw new PublishError(failed, messages.length, firstError);
  return acks;
}
