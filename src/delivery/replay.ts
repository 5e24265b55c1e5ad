// Turning a dead letter back into a delivery message. Pure.
//
// A replay goes to the lane it came from with the original body and envelope, so the receiver sees
// the same payload and the same idempotency key (webhook-id) as on the failed attempts. Its
// Nats-Msg-Id is derived from the DLQ sequence instead: JetStream would drop a second message with
// the original id inside the duplicate window, and replaying the same dead letter twice (a crash
// between the publish and the DLQ delete) must still give one delivery message.

import type { MsgHdrs } from "@nats-io/transport-node";
import { DLQ_SUBJECTS, deliverySubject, HEADER } from "../nats/names.ts";
import { copyHeaders } from "./dead-letter.ts";
import { readEnvelope } from "./envelope.ts";

export interface DeadLetterMessage {
  readonly seq: number;
  readonly subject: string;
  readonly headers: MsgHdrs | undefined;
}

export interface DeadLetter {
  readonly seq: number;
  readonly channel: string;
  readonly subscriptionId: string;
  readonly namespace: string;
  readonly userKey: string;
  readonly lane: "live" | "backfill";
  /** The idempotency key the receiver saw. */
  readonly idempotencyKey: string;
  readonly error: string;
  readonly attempts: number;
}

export type DeadLetterReading =
  | { readonly ok: true; readonly deadLetter: DeadLetter }
  | { readonly ok: false; readonly seq: number; readonly reason: string };

const DLQ_PREFIX = DLQ_SUBJECTS.slice(0, -1); // "segwatch.dlq."

/** What a DLQ message says about itself; a message without its envelope cannot be replayed. */
export function readDeadLetter(m: DeadLetterMessage): DeadLetterReading {
  if (!m.subject.startsWith(DLQ_PREFIX))
    return { ok: false, seq: m.seq, reason: `not a dead letter subject: ${m.subject}` };
  const [channel, subscriptionId, ...rest] = m.subject.slice(DLQ_PREFIX.length).split(".");
  if (!channel || !subscriptionId || rest.length > 0)
    return { ok: false, seq: m.seq, reason: `malformed dead letter subject: ${m.subject}` };
  const envelope = readEnvelope(m.headers);
  if (!envelope)
    return {
      ok: false,
      seq: m.seq,
      reason: "the envelope headers are missing (it never was a delivery)",
    };
  if (envelope.subscriptionId !== subscriptionId)
    return {
      ok: false,
      seq: m.seq,
      reason: `subject names subscription ${subscriptionId}, headers ${envelope.subscriptionId}`,
    };
  const attempts = Number(m.headers?.get(HEADER.attempts));
  return {
    ok: true,
    deadLetter: {
      seq: m.seq,
      channel,
      subscriptionId,
      namespace: envelope.namespace,
      userKey: envelope.userKey,
      lane: envelope.lane,
      idempotencyKey: envelope.msgId,
      error: m.headers?.get(HEADER.error) || "",
      attempts: Number.isInteger(attempts) && attempts > 0 ? attempts : 0,
    },
  };
}

/** The Nats-Msg-Id of the replay of DLQ message `seq`. */
export function replayMsgId(idempotencyKey: string, seq: number): string {
  return `${idempotencyKey}:replay:${seq}`;
}

/** Subject and headers of the delivery message that replays a dead letter. */
export function replayMessage(
  d: DeadLetter,
  original: MsgHdrs | undefined,
): { readonly subject: string; readonly headers: MsgHdrs } {
  const h = copyHeaders(original, DROPPED_ON_REPLAY);
  h.set(HEADER.idempotencyKey, d.idempotencyKey);
  h.set(HEADER.msgId, replayMsgId(d.idempotencyKey, d.seq));
  h.set(HEADER.replayOf, String(d.seq));
  return { subject: deliverySubject(d.channel, d.subscriptionId, d.lane), headers: h };
}

const DROPPED_ON_REPLAY = new Set<string>([
  HEADER.error,
  HEADER.attempts,
  HEADER.msgId,
  HEADER.idempotencyKey,
  HEADER.replayOf,
]);
