// The names every segwatch process agrees on: streams, subjects, KV buckets, headers (DESIGN.md "Names").
// Subjects carry the namespace and an id or partition as tokens, so consumers filter without parsing bodies.

export const EVENTS_STREAM = "SEGWATCH_EVENTS";
export const DELIVERIES_STREAM = "SEGWATCH_DELIVERIES";
export const DLQ_STREAM = "SEGWATCH_DLQ";

export const REGISTRY_BUCKET = "segwatch-registry";
export const PROFILES_BUCKET = "segwatch-profiles";
export const STATUS_BUCKET = "segwatch-status";

/** Events are partitioned by a hash of the user's identity, so one evaluator sees all of a user's events. */
export function eventSubject(namespace: string, partition: number): string {
  return `segwatch.events.${namespace}.${partition}`;
}
export const EVENTS_SUBJECTS = "segwatch.events.>";
/** Every namespace's events of one partition. */
export function partitionFilter(partition: number): string {
  return `segwatch.events.*.${partition}`;
}

/** A delivery lane: live transitions, or the paced backfill of a subscription. */
export type Lane = "live" | "backfill";

/** segwatch.deliver.<channel>.<subscription id>.<lane> */
export function deliverySubject(channel: string, subscriptionId: string, lane: Lane): string {
  return `segwatch.deliver.${channel}.${subscriptionId}.${lane}`;
}
export const DELIVERIES_SUBJECTS = "segwatch.deliver.>";
/** The durable consumer of one subscription's lane. */
export function deliveryConsumerName(subscriptionId: string, lane: Lane): string {
  return `deliver-${subscriptionId}-${lane}`;
}

/** segwatch.dlq.<channel>.<subscription id> */
export function dlqSubject(channel: string, subscriptionId: string): string {
  return `segwatch.dlq.${channel}.${subscriptionId}`;
}
export const DLQ_SUBJECTS = "segwatch.dlq.>";

/** Headers on event, delivery and DLQ messages. Nats-Msg-Id carries the idempotency key. */
export const HEADER = {
  msgId: "Nats-Msg-Id",
  /** On events: the collect stream name (/collect/json/:stream) and when the API received it. */
  stream: "Segwatch-Stream",
  receivedAt: "Segwatch-Received-At",
  namespace: "Segwatch-Namespace",
  subscription: "Segwatch-Subscription",
  /** The user the message is about (profile key): deliveries keep per-user order by it. */
  user: "Segwatch-User",
  lane: "Segwatch-Lane",
  /** On DLQ messages: the last error and the attempts made. */
  error: "Segwatch-Error",
  attempts: "Segwatch-Attempts",
  /**
   * On a replayed delivery: the message's idempotency key. Nats-Msg-Id must differ from the
   * original's (JetStream would drop the replay as a duplicate), the key a receiver sees must not.
   */
  idempotencyKey: "Segwatch-Idempotency-Key",
  /** On a replayed delivery: the DLQ sequence it came from. */
  replayOf: "Segwatch-Replay-Of",
} as const;

/** Registry keys (KV segwatch-registry). */
export const registryKey = {
  segment: (namespace: string, id: string) => `segments.${namespace}.${id}`,
  subscription: (namespace: string, id: string) => `subscriptions.${namespace}.${id}`,
  schema: (namespace: string) => `schemas.${namespace}`,
} as const;

/** Status keys (KV segwatch-status): counters the evaluator and delivery workers keep. */
export const statusKey = {
  segment: (namespace: string, id: string) => `segments.${namespace}.${id}`,
  subscription: (namespace: string, id: string) => `subscriptions.${namespace}.${id}`,
  /**
   * How far a subscription's backfill lane has delivered (`{ "seq": n }`): every backfill-lane message
   * with a SEGWATCH_DELIVERIES sequence ≤ n is acked (delivered or dead-lettered). The delivery worker
   * writes it, the evaluator reads it to keep a user's live changes behind their queued backfill.
   */
  backfillDelivered: (namespace: string, id: string) =>
    `subscriptions.${namespace}.${id}.backfill.delivered`,
} as const;
/** Every subscription's backfillDelivered key. */
export const BACKFILL_DELIVERED_KEYS = "subscriptions.*.*.backfill.delivered";

/**
 * The lease of one evaluator partition (KV segwatch-status), beside the delivery pools'
 * `leases.deliver.<pool>`: whoever holds it is the partition's only reader.
 */
export function evaluatorLeaseKey(partition: number): string {
  return `leases.evaluate.p${partition}`;
}
