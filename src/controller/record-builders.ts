// What goes into KV segwatch-registry, built from resources and what the reconciles resolved. Pure:
// the same inputs give the same record, key order included, so that "unchanged" is a string compare.

import {
  DEFAULT_IDENTITY_FIELDS,
  type DeliverySettings,
  type ProfileSchemaSpec,
  resourceId,
  type Segment,
  type Subscription,
} from "../resources/types.ts";
import { parseDuration } from "../resources/validation.ts";
import { type FieldType, type FieldTypes, parseFieldType } from "../segmentql/index.ts";
import { DEFAULT_EVENTS } from "./defaults.ts";
import {
  DELIVERY_DEFAULTS,
  type DeliveryRecord,
  type EventHubRecord,
  type KinesisRecord,
  type PubSubRecord,
  type SchemaRecord,
  type SegmentRecord,
  type SubscriptionRecord,
  type WebhookRecord,
} from "./records.ts";

export function buildSegmentRecord(segment: Segment, slug: string): SegmentRecord {
  return {
    id: resourceId(segment.metadata),
    namespace: segment.metadata.namespace,
    name: segment.metadata.name,
    slug,
    segmentql: segment.spec.segmentql,
    generation: segment.metadata.generation ?? 1,
  };
}

/** Declared types of a (valid) schema spec, canonical names ("date" → "time"); unknown ones skipped. */
export function schemaFieldTypes(spec: ProfileSchemaSpec | undefined): FieldTypes {
  const out: Record<string, FieldType> = {};
  for (const field of Object.keys(spec?.fields ?? {}).sort()) {
    const raw = spec!.fields![field];
    const type = typeof raw === "string" ? parseFieldType(raw) : undefined;
    if (type) out[field] = type;
  }
  return out;
}

export function buildSchemaRecord(
  namespace: string,
  spec: ProfileSchemaSpec | undefined,
): SchemaRecord {
  return {
    namespace,
    identityFields: spec?.identityFields?.length
      ? [...spec.identityFields]
      : [...DEFAULT_IDENTITY_FIELDS],
    fields: schemaFieldTypes(spec),
  };
}

/** A subscription's delivery settings with defaults filled in and durations in milliseconds. */
export function buildDeliveryRecord(settings: DeliverySettings | undefined): DeliveryRecord {
  const ms = (v: string | undefined, fallback: number) => parseDuration(v) ?? fallback;
  return {
    maxAttempts: settings?.maxAttempts ?? DELIVERY_DEFAULTS.maxAttempts,
    initialBackoffMs: ms(settings?.initialBackoff, DELIVERY_DEFAULTS.initialBackoffMs),
    maxBackoffMs: ms(settings?.maxBackoff, DELIVERY_DEFAULTS.maxBackoffMs),
    timeoutMs: ms(settings?.timeout, DELIVERY_DEFAULTS.timeoutMs),
    maxInFlight: settings?.maxInFlight ?? DELIVERY_DEFAULTS.maxInFlight,
  };
}

/** A channel's settings with the Secrets they reference read (see channel-settings.ts). */
export interface ResolvedChannel {
  readonly webhook?: WebhookRecord;
  readonly kinesis?: KinesisRecord;
  readonly eventHub?: EventHubRecord;
  readonly pubsub?: PubSubRecord;
}

export function buildSubscriptionRecord(input: {
  readonly subscription: Subscription;
  readonly segmentIds: readonly string[];
  readonly channel: ResolvedChannel;
  readonly backfillRequestedAt: string | undefined;
}): SubscriptionRecord {
  const { subscription: sub, channel } = input;
  const spec = sub.spec;
  return {
    id: resourceId(sub.metadata),
    namespace: sub.metadata.namespace,
    name: sub.metadata.name,
    channel: spec.channel,
    generation: sub.metadata.generation ?? 1,
    segmentIds: [...input.segmentIds],
    events: spec.events?.length ? [...new Set(spec.events)] : [...DEFAULT_EVENTS],
    fields: [...(spec.fields ?? [])],
    ...(input.backfillRequestedAt ? { backfillRequestedAt: input.backfillRequestedAt } : {}),
    delivery: buildDeliveryRecord(spec.delivery),
    ...(channel.webhook ? { webhook: channel.webhook } : {}),
    ...(channel.kinesis ? { kinesis: channel.kinesis } : {}),
    ...(channel.eventHub ? { eventHub: channel.eventHub } : {}),
    ...(channel.pubsub ? { pubsub: channel.pubsub } : {}),
  };
}
