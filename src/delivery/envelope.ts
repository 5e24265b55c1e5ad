// The message an evaluator publishes for a delivery worker: the body is exactly what the channel
// sends (the brief's v2 payload); the headers carry what the worker needs to route, order and dedupe.

import { type MsgHdrs, headers as natsHeaders } from "@nats-io/transport-node";
import { HEADER, type Lane } from "../nats/names.ts";

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
  const msgId = h.get(HEADER.idempotencyKey) || h.get(HEADER.msgId);
  const namespace = h.get(HEADER.namespace);
  const subscriptionId = h.get(HEADER.subscription);
  const userKey = h.get(HEADER.user);
  const lane = h.get(HEADER.lane);
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
