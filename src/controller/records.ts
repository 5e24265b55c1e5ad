// What the controller registers in KV segwatch-registry for the other processes: compiled-ready
// segments, subscriptions with resolved channel settings, and each namespace's profile schema. The
// evaluators and delivery workers watch these keys; they never read resources directly.

import type { Channel, TriggerEvent } from "../resources/types.ts";
import type { FieldType } from "../segmentql/index.ts";

export interface SegmentRecord {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  /** INCLUDE and the REST API refer to it by this. */
  readonly slug: string;
  /** The statement as written. */
  readonly segmentql: string;
  readonly generation: number;
}

export interface SchemaRecord {
  readonly namespace: string;
  readonly identityFields: readonly string[];
  readonly fields: Readonly<Record<string, FieldType>>;
}

export interface DeliveryRecord {
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly timeoutMs: number;
  readonly maxInFlight: number;
}

export interface WebhookRecord {
  readonly url: string;
  /** All headers, secret ones resolved. */
  readonly headers: Readonly<Record<string, string>>;
  /** Standard Webhooks secrets: the current one first; a second one while a rotation is under way. */
  readonly signingSecrets: readonly string[];
  /**
   * While a rotation is under way: when the second signing secret stops being used (RFC 3339). The
   * controller drops it from the record then; a worker may stop signing with it at that instant.
   */
  readonly previousSigningSecretExpiresAt?: string;
  readonly segmentioWriteKey?: string;
}

/** An Event Hubs subscription's settings, its connection string read from the Secret. */
export interface EventHubRecord {
  readonly connectionString: string;
  /** Absent: the connection string's EntityPath names the hub. */
  readonly eventHubName?: string;
  /** Profile field used as the partition key; the user's identity when absent or empty. */
  readonly partitionKeyField?: string;
}

/** spec.pubsub with its Secret read (channel-settings.ts). */
export interface PubSubRecord {
  readonly projectId: string;
  /** A topic id in projectId, or a full name "projects/<project>/topics/<id>". */
  readonly topic: string;
  /** Profile field whose value is the ordering key; the user's identity when unset or absent. */
  readonly orderingKeyField?: string;
  /** A service-account key (JSON) from the Secret; Application Default Credentials without it. */
  readonly credentials?: string;
}

/** Static AWS credentials, read from the subscription's credentials Secret. */
export interface AwsCredentialsRecord {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface KinesisRecord {
  readonly region: string;
  /** A stream name, or a stream ARN. */
  readonly stream: string;
  /** Assume this role through STS (with the base credentials below, or the default chain's). */
  readonly roleArn?: string;
  readonly externalId?: string;
  /** Profile field for the partition key; the user's identity when absent from the payload. */
  readonly identifierField?: string;
  /** Endpoint override for Kinesis, and for STS when a role is assumed (local servers). */
  readonly endpoint?: string;
  /** Base credentials; without them, the SDK's default provider chain. */
  readonly credentials?: AwsCredentialsRecord;
}

export interface SubscriptionRecord {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly channel: Channel;
  readonly generation: number;
  readonly segmentIds: readonly string[];
  readonly events: readonly TriggerEvent[];
  /** Profile fields in the payload; empty means all. */
  readonly fields: readonly string[];
  /** Set when a backfill was asked for: the instant "current members" refers to. */
  readonly backfillRequestedAt?: string;
  readonly delivery: DeliveryRecord;
  readonly webhook?: WebhookRecord;
  /** Channel settings of the stream channels, resolved (credentials included). */
  readonly kinesis?: KinesisRecord;
  readonly eventHub?: EventHubRecord;
  readonly pubsub?: PubSubRecord;
}

/** Defaults for a subscription's delivery settings (DESIGN.md's example values). */
export const DELIVERY_DEFAULTS: DeliveryRecord = {
  maxAttempts: 12,
  initialBackoffMs: 1_000,
  maxBackoffMs: 600_000,
  timeoutMs: 15_000,
  maxInFlight: 32,
};

/** Counters an evaluator keeps per segment (KV segwatch-status). */
export interface SegmentStats {
  readonly members: number;
  readonly updatedAt: string;
}

/** Counters the delivery workers keep per subscription (KV segwatch-status). */
export interface SubscriptionStats {
  readonly delivered: number;
  readonly failed: number;
  readonly deadLettered: number;
  readonly lastDeliveryTime: string | null;
  readonly lastError: string | null;
  /**
   * When lastError happened (RFC 3339). The controller reports DeliveryFailing while it is recent and
   * no delivery succeeded after it; without it, the entry's own time stands in.
   */
  readonly lastErrorTime?: string | null;
  readonly backfill?: {
    readonly state: "Running" | "Complete";
    /** The backfill request these figures are for (SubscriptionRecord.backfillRequestedAt). */
    readonly requestedAt?: string;
    readonly members: number;
    readonly at: string;
  };
}
