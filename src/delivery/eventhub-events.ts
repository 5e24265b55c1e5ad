// What a delivery becomes on an event hub: one event whose body is the payload exactly as the evaluator
// published it, its partition key, and the batches that carry a `deliver` call's events. Pure.

import type { DeliveryItem } from "./channel.ts";
import { EVENTHUB_DEFAULTS } from "./defaults.ts";
import { routingKey, withinUtf16Units } from "./routing-key.ts";

/** Application properties set on every event, so consumers can route without parsing the body. */
export const EVENT_PROPERTY = {
  subscriptionId: "subscription_id",
  /** The distinct segment events of the message, comma-separated in payload order ("enter,exit"). */
  eventTypes: "event_types",
} as const;

export const JSON_CONTENT_TYPE = "application/json";

/** The shape of the SDK's EventData that this channel fills in. */
export interface OutgoingEvent {
  readonly body: Buffer;
  readonly contentType: string;
  /** The idempotency key: consumers drop an event they have seen by this id. */
  readonly messageId: string;
  readonly properties: Readonly<Record<string, string>>;
}

/** A payload the channel could not read (never happens with the evaluator's payloads). */
export class EventPayloadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EventPayloadError";
  }
}

interface PayloadView {
  readonly data?: Record<string, unknown> & { readonly segment_events?: unknown };
  readonly meta?: { readonly subscription_id?: unknown };
}

function readPayload(body: Uint8Array): PayloadView {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
  } catch (err) {
    throw new EventPayloadError("the payload is not JSON", { cause: err });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new EventPayloadError("the payload is not a JSON object");
  return value as PayloadView;
}

/** The distinct `event` values of the payload's segment_events, in order of first appearance. */
export function eventTypesOf(payload: PayloadView): string[] {
  const events = payload.data?.segment_events;
  if (!Array.isArray(events)) return [];
  const out: string[] = [];
  for (const e of events) {
    const t = (e as { event?: unknown } | null)?.event;
    if (typeof t === "string" && !out.includes(t)) out.push(t);
  }
  return out;
}

/** The partition key of a message (src/delivery/routing-key.ts: one rule for every channel). */
export function partitionKeyFor(
  payload: PayloadView,
  field: string | undefined,
  userKey: string,
): string {
  return routingKey(
    payload.data as Readonly<Record<string, unknown>> | undefined,
    field,
    userKey,
    FITS_PARTITION_KEY,
  );
}

const FITS_PARTITION_KEY = withinUtf16Units(EVENTHUB_DEFAULTS.maxPartitionKeyLength);

export interface PreparedEvent {
  readonly partitionKey: string;
  readonly event: OutgoingEvent;
}

/** The event and partition key of one delivery. Throws EventPayloadError for an unreadable body. */
export function prepareEvent(
  item: DeliveryItem,
  subscriptionId: string,
  partitionKeyField: string | undefined,
): PreparedEvent {
  const payload = readPayload(item.body);
  const body = Buffer.from(item.body.buffer, item.body.byteOffset, item.body.byteLength);
  return {
    partitionKey: partitionKeyFor(payload, partitionKeyField, item.envelope.userKey),
    event: {
      body,
      contentType: JSON_CONTENT_TYPE,
      messageId: item.envelope.msgId,
      properties: {
        [EVENT_PROPERTY.subscriptionId]: subscriptionId,
        [EVENT_PROPERTY.eventTypes]: eventTypesOf(payload).join(","),
      },
    },
  };
}

/**
 * Indices of `keys` grouped by equal key, groups in order of first appearance and indices ascending
 * within a group. An EventDataBatch carries one partition key, so each group becomes one batch (or
 * more, when it outgrows the batch size).
 */
export function groupByPartitionKey(keys: readonly string[]): number[][] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  }
  return [...groups.values()];
}
