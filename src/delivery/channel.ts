// The contract between the worker loop and a channel. The worker owns ordering, concurrency, retries,
// acks and dead-lettering; a channel only turns a batch of messages into one outcome per message.
// Webhooks take one message per call; Kinesis (PutRecords), Event Hubs and Pub/Sub will take batches.

import type { SubscriptionRecord } from "../controller/records.ts";
import type { Channel } from "../resources/types.ts";
import type { DeliveryEnvelope } from "./envelope.ts";

export interface DeliveryItem {
  readonly envelope: DeliveryEnvelope;
  /** The payload exactly as the evaluator published it (the brief's v2 JSON). */
  readonly body: Uint8Array;
  /** 1 on the first try. */
  readonly attempt: number;
  /**
   * Parts of this message already delivered by earlier attempts. A channel that makes more than one
   * request per message (the webhook's Segment identify call) records each part here, so that a retry
   * repeats only what failed. Kept by the worker across attempts of the same message.
   */
  readonly progress: Set<string>;
}

export type DeliveryOutcome =
  | { readonly kind: "success" }
  /** Try again later: after `retryAfterMs` when the receiver said so, else after the backoff. */
  | { readonly kind: "retry"; readonly error: string; readonly retryAfterMs?: number }
  /** Never going to work (a 4xx, a refused target, a broken config): dead-letter it. */
  | { readonly kind: "permanent"; readonly error: string };

/** A channel bound to one subscription's settings (URL, headers, secrets, credentials). */
export interface ChannelTarget {
  /** One outcome per item, in the items' order. Never rejects: failures are outcomes. */
  deliver(items: readonly DeliveryItem[]): Promise<DeliveryOutcome[]>;
}

export interface DeliveryChannel {
  readonly name: Channel;
  /** Most items one `deliver` call takes. */
  readonly maxBatch: number;
  /**
   * Binds the channel to a subscription. Throws a ChannelConfigError when the record cannot be
   * delivered with; the worker then dead-letters that subscription's messages with the error.
   */
  open(record: SubscriptionRecord): ChannelTarget;
  /** Closes connections once requests in flight are done. */
  close(): Promise<void>;
  /** Aborts requests in flight and closes connections. */
  destroy(): Promise<void>;
}
