// The durable consumers of a subscription: one per lane, on SEGWATCH_DELIVERIES. The controller and
// the delivery workers both call `ensureDeliveryConsumers`, so the config lives in one function and
// creating it twice is harmless.
//
// Why this shape:
// - explicit acks, redelivered forever (max_deliver -1): the worker counts attempts and dead-letters
//   itself; a message leaves the consumer's pending set only through an ack.
// - deliver policy "new": the consumers exist before the subscription is registered (and so before
//   anything is published for it); a consumer re-created later does not replay old deliveries.
// - no priority groups: one worker per channel reads at a time through a lease (lease.ts), which
//   keeps redeliveries in order at a handover where the server's pinned-client groups do not.
// - max_ack_pending bounds what a worker holds in memory per lane.

import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  type JetStreamManager,
  ReplayPolicy,
} from "@nats-io/jetstream";
import {
  DELIVERIES_STREAM,
  deliveryConsumerName,
  deliverySubject,
  type Lane,
} from "../nats/names.ts";
import { CONSUMER_DEFAULTS, msToNs } from "./defaults.ts";
import { DeliveryConsumerError, describeError } from "./errors.ts";

export const LANES: readonly Lane[] = ["live", "backfill"];

/** Metadata on each consumer, so an operator (and garbage collection) can tell whose it is. */
export const CONSUMER_METADATA = {
  subscription: "segwatch.io/subscription-id",
  lane: "segwatch.io/lane",
} as const;

/** The config of one lane's durable consumer. */
export function deliveryConsumerConfig(
  channel: string,
  subscriptionId: string,
  lane: Lane,
): ConsumerConfig {
  return {
    durable_name: deliveryConsumerName(subscriptionId, lane),
    description: `segwatch ${channel} delivery of subscription ${subscriptionId} (${lane})`,
    filter_subject: deliverySubject(channel, subscriptionId, lane),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
    replay_policy: ReplayPolicy.Instant,
    ack_wait: msToNs(CONSUMER_DEFAULTS.ackWaitMs),
    max_deliver: -1,
    max_ack_pending:
      lane === "live"
        ? CONSUMER_DEFAULTS.liveMaxAckPending
        : CONSUMER_DEFAULTS.backfillMaxAckPending,
    metadata: { [CONSUMER_METADATA.subscription]: subscriptionId, [CONSUMER_METADATA.lane]: lane },
  };
}

/** Settings that can change on an existing consumer, and that ensure brings up to date. */
const UPDATABLE = [
  "description",
  "filter_subject",
  "ack_wait",
  "max_deliver",
  "max_ack_pending",
  "priority_policy",
  "priority_groups",
] as const;

/**
 * Creates the consumer of a lane, or brings an existing one's updatable settings to this config.
 * Idempotent. An existing consumer that cannot be updated but can be read from (same subject,
 * explicit acks) is left as it is, with a warning through `onWarning`.
 */
export async function ensureDeliveryConsumer(
  jsm: JetStreamManager,
  channel: string,
  subscriptionId: string,
  lane: Lane,
  onWarning: (message: string) => void = () => {},
): Promise<void> {
  const config = deliveryConsumerConfig(channel, subscriptionId, lane);
  const name = config.durable_name!;
  let have: ConsumerInfo;
  try {
    await jsm.consumers.add(DELIVERIES_STREAM, config);
    return;
  } catch (addErr) {
    try {
      have = await jsm.consumers.info(DELIVERIES_STREAM, name);
    } catch {
      throw new DeliveryConsumerError(name, `cannot create: ${describeError(addErr)}`, {
        cause: addErr,
      });
    }
  }
  // An absent priority policy and "none" are the same thing.
  const value = (c: Partial<ConsumerConfig>, f: (typeof UPDATABLE)[number]) =>
    JSON.stringify((f === "priority_policy" && c[f] === "none" ? undefined : c[f]) ?? null);
  const differs = UPDATABLE.some((f) => value(have.config, f) !== value(config, f));
  if (!differs) return;
  const usable =
    have.config.filter_subject === config.filter_subject &&
    have.config.ack_policy === AckPolicy.Explicit;
  try {
    const {
      durable_name: _n,
      ack_policy: _a,
      deliver_policy: _d,
      replay_policy: _r,
      ...updatable
    } = config;
    const metadata = { ...serverless(have.config.metadata), ...config.metadata };
    // nats.js merges an update into the current config: clear what this config does not set (an
    // older pinned-client priority group) explicitly.
    await jsm.consumers.update(DELIVERIES_STREAM, name, {
      ...updatable,
      metadata,
      priority_policy: undefined,
      priority_groups: undefined,
      priority_timeout: undefined,
    });
  } catch (err) {
    if (!usable) {
      throw new DeliveryConsumerError(
        name,
        `exists with other settings and cannot be updated: ${describeError(err)}`,
        {
          cause: err,
        },
      );
    }
    onWarning(`consumer ${name} keeps its older settings: ${describeError(err)}`);
  }
}

/** The server adds its own `_nats.*` metadata; an update must not send it back. */
function serverless(meta: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta ?? {})) if (!k.startsWith("_nats")) out[k] = v;
  return out;
}

/** Both lanes' consumers of a subscription. */
export async function ensureDeliveryConsumers(
  jsm: JetStreamManager,
  channel: string,
  subscriptionId: string,
  onWarning?: (message: string) => void,
): Promise<void> {
  await Promise.all(
    LANES.map((lane) => ensureDeliveryConsumer(jsm, channel, subscriptionId, lane, onWarning)),
  );
}
