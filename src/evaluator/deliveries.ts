// From transitions to delivery messages: one message per (subscription, user change), carrying every
// segment event of that change the subscription listens to, in the brief's v2 payload, with an
// idempotency key derived from what caused the change — so reprocessing the same cause (a redelivered
// event, a repeated timer, a rerun scan) yields the same key and JetStream drops the duplicate.

import type { SubscriptionRecord } from "../controller/records.ts";
import type { DeliveryEnvelope, SegmentEvent, TriggerPayload } from "../delivery/envelope.ts";
import { deliverySubject, type Lane } from "../nats/names.ts";
import { CREATED_FIELD, MODIFIED_FIELD, type Profile } from "../profile/profile.ts";
import type { Transition } from "./evaluate.ts";
import type { NamespaceModel } from "./model.ts";

/** What caused a change; it names the idempotency key. */
export type Cause =
  /** An event, by its stream sequence (unique per event). */
  | { readonly kind: "event"; readonly seq: number }
  /** A time-dependent segment's boundary, by the instant. */
  | { readonly kind: "timer"; readonly at: number }
  /** A re-evaluation after segment definitions changed, by a digest of the definitions. */
  | { readonly kind: "scan"; readonly version: string }
  /** A subscription's backfill, by the request it serves (turning backfill off and on is a new one). */
  | { readonly kind: "backfill"; readonly requestedAt: string };

export interface OutgoingDelivery {
  readonly subject: string;
  readonly envelope: DeliveryEnvelope;
  /** The payload as published: the brief's v2 JSON (a TriggerPayload). */
  readonly body: string;
}

export function idempotencyKey(cause: Cause, profileKey: string, subscriptionId: string): string {
  switch (cause.kind) {
    case "event":
      return `ev:${cause.seq}:${subscriptionId}`;
    case "timer":
      return `tm:${profileKey}:${cause.at}:${subscriptionId}`;
    case "scan":
      return `sc:${profileKey}:${cause.version}:${subscriptionId}`;
    case "backfill":
      return `bf:${subscriptionId}:${cause.requestedAt}:${profileKey}`;
  }
}

export function deliveriesFor(
  model: NamespaceModel,
  profile: Profile,
  transitions: readonly Transition[],
  cause: Cause,
  only?: SubscriptionRecord,
  /** Default: the backfill lane for a backfill, else live. */
  laneOverride?: Lane,
): OutgoingDelivery[] {
  if (transitions.length === 0) return [];
  const bySubscription = new Map<string, { sub: SubscriptionRecord; events: SegmentEvent[] }>();
  for (const t of transitions) {
    const subs = only
      ? only.segmentIds.includes(t.segmentId)
        ? [only]
        : []
      : (model.subscriptionsBySegment.get(t.segmentId) ?? []);
    for (const sub of subs) {
      if (!sub.events.includes(t.event)) continue;
      const slug = model.segments.get(t.segmentId)?.record.slug ?? "";
      let entry = bySubscription.get(sub.id);
      if (!entry) {
        entry = { sub, events: [] };
        bySubscription.set(sub.id, entry);
      }
      entry.events.push({ id: t.segmentId, event: t.event, enter: t.enter, exit: t.exit, slug });
    }
  }
  const lane: Lane = laneOverride ?? (cause.kind === "backfill" ? "backfill" : "live");
  const out: OutgoingDelivery[] = [];
  // Every subscription that sends all fields sends the same text for them.
  const allFields = { json: undefined as string | undefined };
  for (const { sub, events } of bySubscription.values()) {
    out.push({
      subject: deliverySubject(sub.channel, sub.id, lane),
      envelope: {
        msgId: idempotencyKey(cause, profile.key, sub.id),
        namespace: model.namespace,
        subscriptionId: sub.id,
        userKey: profile.key,
        lane,
      },
      body: payloadJson(profile, sub, events, allFields),
    });
  }
  return out;
}

/**
 * `JSON.stringify(buildPayload(profile, sub, events))`, without copying the profile's fields into a
 * new object for each message: a profile has hundreds of fields, and the copy and its garbage cost
 * more than the evaluation. `allFields.json` keeps the fields' JSON for the next subscription.
 */
export function payloadJson(
  profile: Profile,
  sub: SubscriptionRecord,
  events: readonly SegmentEvent[],
  allFields: { json?: string | undefined } = {},
): string {
  // A profile field named segment_events is replaced by the events, as buildPayload does.
  if (sub.fields.length > 0 || Object.hasOwn(profile.fields, SEGMENT_EVENTS))
    return JSON.stringify(buildPayload(profile, sub, events));
  allFields.json ??= JSON.stringify(profile.fields);
  const fields = allFields.json;
  const open = fields.length > 2 ? `${fields.slice(0, -1)},` : "{";
  return `{"data":${open}"${SEGMENT_EVENTS}":${JSON.stringify(events)}},"meta":{"object":"user","source":"subscription","subscription_id":${JSON.stringify(sub.id)}}}`;
}

const SEGMENT_EVENTS = "segment_events";

/** The brief's v2 payload: the profile's fields (all, or the subscription's), plus the segment events. */
export function buildPayload(
  profile: Profile,
  sub: SubscriptionRecord,
  events: readonly SegmentEvent[],
): TriggerPayload {
  const data: Record<string, unknown> = {};
  if (sub.fields.length === 0) Object.assign(data, profile.fields);
  else {
    // The identity always travels: a receiver must know who entered or left.
    const id = profile.identity.field;
    if (Object.hasOwn(profile.fields, id)) data[id] = profile.fields[id];
    for (const f of sub.fields) if (Object.hasOwn(profile.fields, f)) data[f] = profile.fields[f];
    data[CREATED_FIELD] = profile.fields[CREATED_FIELD];
    data[MODIFIED_FIELD] = profile.fields[MODIFIED_FIELD];
  }
  data.segment_events = events;
  return {
    data: data as TriggerPayload["data"],
    meta: { object: "user", source: "subscription", subscription_id: sub.id },
  };
}
