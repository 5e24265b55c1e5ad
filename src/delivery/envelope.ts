// The message an evaluator publishes for a delivery worker: the body is exactly what the channel
// sends (the brief's v2 payload); the headers carry what the worker needs to route, order and dedupe.

import type { JsMsg } from "@nats-io/jetstream";
import { type MsgHdrs, headers as natsHeaders } from "@nats-io/transport-node";
import { HEADER, type Lane } from "../nats/names.ts";
import { rawHeaderBlock } from "../nats/raw-headers.ts";

/** One segment change in a payload (the brief's segment_events[]). */
export interface SegmentEvent {
  readonly id: string;
  readonly event: "enter" | "exit";
  /** When the user entered (RFC 3339). */
  readonly enter: string;
  /** When the user left; null while a member. */
  readonly exit: string | null;
  readonly slug: string;
}

/** The brief's v2 payload: the user's fields with every segment event of one change. */
export interface TriggerPayload {
  readonly data: Readonly<Record<string, unknown>> & {
    readonly _created: string;
    readonly _modified: string;
    readonly segment_events: readonly SegmentEvent[];
  };
  readonly meta: {
    readonly object: "user";
    readonly source: "subscription";
    readonly subscription_id: string;
  };
}

export interface DeliveryEnvelope {
  /** Idempotency key: webhook-id when delivered; Nats-Msg-Id, unless the message is a DLQ replay. */
  readonly msgId: string;
  readonly namespace: string;
  readonly subscriptionId: string;
  /** The user's profile key: deliveries keep per-user order by it. */
  readonly userKey: string;
  readonly lane: Lane;
}

export function envelopeHeaders(e: DeliveryEnvelope): MsgHdrs {
  const h = natsHeaders();
  h.set(HEADER.msgId, e.msgId);
  h.set(HEADER.namespace, e.namespace);
  h.set(HEADER.subscription, e.subscriptionId);
  h.set(HEADER.user, e.userKey);
  h.set(HEADER.lane, e.lane);
  return h;
}

/** Reads an envelope back from message headers; undefined when a header is missing. */
export function readEnvelope(h: MsgHdrs | undefined): DeliveryEnvelope | undefined {
  if (!h) return undefined;
  return envelopeOf(
    h.get(HEADER.idempotencyKey) || h.get(HEADER.msgId),
    h.get(HEADER.namespace),
    h.get(HEADER.subscription),
    h.get(HEADER.user),
    h.get(HEADER.lane),
  );
}

/**
 * A delivery message's envelope, read from its header bytes as they arrived: what `readEnvelope`
 * reads from `m.headers`, without nats.js decoding (and validating) every header into a MsgHdrs
 * first, which was a tenth of a webhook delivery's CPU. Falls back to `m.headers` when the bytes are
 * not at hand.
 */
export function messageEnvelope(m: JsMsg): DeliveryEnvelope | undefined {
  const block = rawHeaderBlock(m);
  return block === undefined ? readEnvelope(m.headers) : readEnvelopeBlock(block);
}

/**
 * The envelope in a NATS header block ("NATS/1.0\r\nName: value\r\n…"), read as nats.js's decoder
 * and `readEnvelope` would: a name is the text before a line's first colon, exact case; a value is
 * trimmed; the first of repeated names counts.
 */
export function readEnvelopeBlock(block: string): DeliveryEnvelope | undefined {
  let idempotencyKey: string | undefined;
  let msgId: string | undefined;
  let namespace: string | undefined;
  let subscriptionId: string | undefined;
  let userKey: string | undefined;
  let lane: string | undefined;
  let start = block.indexOf("\r\n");
  if (start < 0) return undefined;
  start += 2;
  while (start < block.length) {
    let end = block.indexOf("\r\n", start);
    if (end < 0) end = block.length;
    const colon = block.indexOf(":", start);
    if (colon > start && colon < end) {
      const n = colon - start;
      if (isName(block, start, n, HEADER.msgId)) msgId ??= valueAt(block, colon, end);
      else if (isName(block, start, n, HEADER.idempotencyKey))
        idempotencyKey ??= valueAt(block, colon, end);
      else if (isName(block, start, n, HEADER.namespace)) namespace ??= valueAt(block, colon, end);
      else if (isName(block, start, n, HEADER.subscription))
        subscriptionId ??= valueAt(block, colon, end);
      else if (isName(block, start, n, HEADER.user)) userKey ??= valueAt(block, colon, end);
      else if (isName(block, start, n, HEADER.lane)) lane ??= valueAt(block, colon, end);
    }
    start = end + 2;
  }
  return envelopeOf(idempotencyKey || msgId, namespace, subscriptionId, userKey, lane);
}

function isName(block: string, start: number, length: number, name: string): boolean {
  return length === name.length && block.startsWith(name, start);
}

function valueAt(block: string, colon: number, end: number): string {
  return block.slice(colon + 1, end).trim();
}

function envelopeOf(
  msgId: string | undefined,
  namespace: string | undefined,
  subscriptionId: string | undefined,
  userKey: string | undefined,
  lane: string | undefined,
): DeliveryEnvelope | undefined {
  if (
    !msgId ||
    !namespace ||
    !subscriptionId ||
    !userKey ||
    (lane !== "live" && lane !== "backfill")
  )
    return undefined;
  return { msgId, namespace, subscriptionId, userKey, lane };
}
