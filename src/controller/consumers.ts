// The durable JetStream consumers of a subscription, one per lane ("live", and "backfill" so that a
// backfill never delays live transitions). Their config is the delivery worker's
// (src/delivery/consumer-config.ts): both sides ensure them, and one definition keeps them agreeing.
// The controller ensures them before it registers the subscription, so nothing the evaluators
// publish for it precedes its consumer, and deletes them when the subscription goes away.

import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";
import { ensureDeliveryConsumers, LANES } from "../delivery/consumer-config.ts";
import {
  DELIVERIES_STREAM,
  deliveryConsumerName,
  deliverySubject,
  type Lane,
} from "../nats/names.ts";

/** `deliver-<32 hex>-<lane>`: the consumers segwatch owns. */
const CONSUMER_NAME_RE = /^deliver-([0-9a-f]{32})-(live|backfill)$/;

export function parseConsumerName(
  name: string,
): { readonly subscriptionId: string; readonly lane: Lane } | undefined {
  const m = CONSUMER_NAME_RE.exec(name);
  return m ? { subscriptionId: m[1]!, lane: m[2] as Lane } : undefined;
}

export class ConsumerManager {
  private readonly jsm: JetStreamManager;

  constructor(jsm: JetStreamManager) {
    this.jsm = jsm;
  }

  /** Creates the lanes' consumers, or brings their settings up to date. */
  ensure(subscription: { readonly id: string; readonly channel: string }): Promise<void> {
    return ensureDeliveryConsumers(this.jsm, subscription.channel, subscription.id);
  }

  /**
   * Deletes the lanes' consumers; true when one existed. With `purge`, also what was published for
   * the subscription (it is gone for good). Without, leftovers are not delivered either: a
   * re-created consumer starts with new messages.
   */
  async remove(subscriptionId: string, opts: { purge: boolean }): Promise<boolean> {
    let removed = false;
    for (const lane of LANES) {
      try {
        await this.jsm.consumers.delete(
          DELIVERIES_STREAM,
          deliveryConsumerName(subscriptionId, lane),
        );
        removed = true;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (opts.purge) {
      // Whatever the channel was.
      await this.jsm.streams.purge(DELIVERIES_STREAM, {
        filter: deliverySubject("*", subscriptionId, "*" as Lane),
      });
    }
    return removed;
  }

  /** Subscription ids that have a segwatch consumer. */
  async subscriptionIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    for await (const info of this.jsm.consumers.list(DELIVERIES_STREAM)) {
      const parsed = parseConsumerName(info.name);
      if (parsed) ids.add(parsed.subscriptionId);
    }
    return ids;
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound;
}
