// What one delivery becomes on Pub/Sub. Pure.
//
// - data: the payload exactly as the evaluator published it (the brief's v2 JSON bytes).
// - ordering key: the user's identity, or the subscription's `orderingKeyField` profile field when the
//   payload has it (a string, number or boolean); an identity longer than the service allows is
//   replaced by "sha256:<hex>" of it, which keeps one key per user.
// - attributes (for subscription filters and consumers that route before parsing):
//     segwatch_subscription_id   the subscription's id (meta.subscription_id)
//     segwatch_idempotency_key   stable across redeliveries: deduplicate on it
//     segwatch_events            the message's event types, "enter", "exit" or "enter,exit"
//     segwatch_segments          the slugs of the message's segment events, comma-separated, in order;
//                                cut at a slug boundary to the service's 1024-byte value limit, with
//                                segwatch_segments_truncated = "true" when cut (the data has them all)

import { PUBSUB_DEFAULTS } from "./defaults.ts";
import type { DeliveryEnvelope } from "./envelope.ts";
import { routingKey, withinUtf8Bytes } from "./routing-key.ts";

export const PUBSUB_ATTRIBUTE = {
  subscriptionId: "segwatch_subscription_id",
  idempotencyKey: "segwatch_idempotency_key",
  events: "segwatch_events",
  segments: "segwatch_segments",
  segmentsTruncated: "segwatch_segments_truncated",
} as const;

export interface PubSubMessage {
  readonly data: Buffer;
  readonly orderingKey: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** A delivery that cannot be published as it stands (too large, not the v2 JSON). */
export class PubSubMessageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PubSubMessageError";
  }
}

const EVENT_ORDER = ["enter", "exit"] as const;

export function buildPubSubMessage(
  envelope: DeliveryEnvelope,
  body: Uint8Array,
  orderingKeyField?: string,
): PubSubMessage {
  if (body.byteLength > PUBSUB_DEFAULTS.maxMessageBytes) {
    throw new PubSubMessageError(
      `the payload is ${body.byteLength} bytes; a Pub/Sub message holds at most ${PUBSUB_DEFAULTS.maxMessageBytes}`,
    );
  }
  const data = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let payload: { data?: Record<string, unknown> };
  try {
    payload = JSON.parse(data.toString("utf8"));
  } catch (err) {
    throw new PubSubMessageError("the payload is not JSON", { cause: err });
  }
  const profile =
    typeof payload?.data === "object" && payload.data !== null ? payload.data : undefined;
  if (!profile) throw new PubSubMessageError("the payload has no data object");
  const events = Array.isArray(profile.segment_events) ? profile.segment_events : [];
  const types = new Set<string>();
  const slugs: string[] = [];
  for (const e of events as { event?: unknown; slug?: unknown }[]) {
    if (typeof e?.event === "string") types.add(e.event);
    if (typeof e?.slug === "string" && e.slug !== "" && !slugs.includes(e.slug)) slugs.push(e.slug);
  }
  const attributes: Record<string, string> = {
    [PUBSUB_ATTRIBUTE.subscriptionId]: envelope.subscriptionId,
    [PUBSUB_ATTRIBUTE.idempotencyKey]: envelope.msgId,
    [PUBSUB_ATTRIBUTE.events]: EVENT_ORDER.filter((t) => types.has(t)).join(","),
  };
  const segments = joinWithin(slugs, PUBSUB_DEFAULTS.maxAttributeValueBytes);
  attributes[PUBSUB_ATTRIBUTE.segments] = segments.value;
  if (segments.truncated) attributes[PUBSUB_ATTRIBUTE.segmentsTruncated] = "true";
  return {
    data,
    orderingKey: orderingKeyFor(envelope.userKey, profile, orderingKeyField),
    attributes,
  };
}

/** The ordering key (src/delivery/routing-key.ts: one rule for every channel). */
export function orderingKeyFor(
  userKey: string,
  profile: Readonly<Record<string, unknown>>,
  field: string | undefined,
): string {
  return routingKey(profile, field, userKey, FITS_ORDERING_KEY);
}

const FITS_ORDERING_KEY = withinUtf8Bytes(PUBSUB_DEFAULTS.maxOrderingKeyBytes);

/** As many of `parts` as fit in `maxBytes` joined with commas. */
function joinWithin(
  parts: readonly string[],
  maxBytes: number,
): { value: string; truncated: boolean } {
  let value = "";
  for (const [i, p] of parts.entries()) {
    const next = value === "" ? p : `${value},${p}`;
    if (Buffer.byteLength(next) > maxBytes) return { value, truncated: i < parts.length };
    value = next;
  }
  return { value, truncated: false };
}
