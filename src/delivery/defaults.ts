// Every default of the delivery worker in one place. A subscription's own settings (max attempts,
// backoffs, timeout, max in flight) come from its record (controller/records.ts DELIVERY_DEFAULTS);
// these are the worker's and the consumers'.

const SECOND_MS = 1_000;
const NS_PER_MS = 1_000_000;
const MIB = 1024 * 1024;

/** Settings of the durable consumers; `deliveryConsumerConfig` turns them into JetStream config. */
export const CONSUMER_DEFAULTS = {
  /**
   * How long the server waits for an ack before redelivering. The worker keeps long-held messages
   * (waiting to retry, or queued behind the same user) alive with `working()`, so this only bounds how
   * soon a crashed worker's messages come back.
   */
  ackWaitMs: 30 * SECOND_MS,
  /** Messages a live lane may hold unacknowledged: the buffer other users proceed from while one user waits. */
  liveMaxAckPending: 1_000,
  /** A backfill lane holds little: it is paced anyway, and a small window keeps a restart cheap. */
  backfillMaxAckPending: 64,
} as const;

/** Options of `consume()`. */
export const CONSUME_DEFAULTS = {
  /** A pull request's batch; the client pulls again when a quarter is left. */
  liveBatch: 256,
  backfillBatch: 16,
  /** How long a pull request waits before the client pulls again. */
  expiresMs: 10 * SECOND_MS,
} as const;

/** The active worker's lease (lease.ts). */
export const LEASE_DEFAULTS = {
  /**
   * A lease not renewed for this long is taken over. It must exceed the ack wait plus the renew
   * interval: by the time a standby takes over from a worker that died, everything the dead one held
   * is back in the consumer's redelivery queue — served first, in stream order.
   */
  ttlMs: 45 * SECOND_MS,
  renewMs: 5 * SECOND_MS,
  /** How often a standby looks at the lease (the handover delay after a graceful stop). */
  pollMs: 1 * SECOND_MS,
} as const;

export const WORKER_DEFAULTS = {
  /** How often held messages are checked; those held longer than this get `working()`. */
  extendEveryMs: 10 * SECOND_MS,
  /** Counters reach KV segwatch-status at most this often per subscription. */
  statusFlushMs: 1 * SECOND_MS,
  /** Compare-and-set attempts per flush before the deltas wait for the next one. */
  statusCasAttempts: 5,
  /** On stop: how long in-flight deliveries may take before their messages are released unacked. */
  stopTimeoutMs: 10 * SECOND_MS,
  /** On stop: how long to wait for the server to drop the closed consumer's pull request. */
  releaseWaitMs: 2 * SECOND_MS,
  /** A DLQ publish that failed (NATS unavailable) is tried again after this long. */
  dlqRetryMs: 2 * SECOND_MS,
  /** Backfill lane: its own small concurrency, whatever the subscription allows live. */
  backfillMaxInFlight: 4,
  /** Backfill lane: deliveries per second (a token bucket whose burst is the lane's concurrency). */
  backfillRatePerSecond: 50,
  /** Backfill lane: how often at most its delivered sequence is written for the evaluator. */
  backfillProgressMs: 1 * SECOND_MS,
} as const;

export const WEBHOOK_DEFAULTS = {
  /** Segment's HTTP tracking API. */
  segmentEndpoint: "https://api.segment.io",
  userAgent: "segwatch",
  /** TCP (and TLS) connect bound, separate from the subscription's per-request timeout. */
  connectTimeoutMs: 10 * SECOND_MS,
  /** Idle keep-alive sockets close after this long (unless the server's Keep-Alive hint is shorter). */
  keepAliveTimeoutMs: 30 * SECOND_MS,
  /** How much of an error response's body goes into the error text. */
  errorBodyBytes: 512,
} as const;

/** The Kinesis channel: PutRecords limits (the service's) and client settings. */
export const KINESIS_DEFAULTS = {
  /** Records per PutRecords call (service limit). */
  maxRecordsPerCall: 500,
  /** Bytes per PutRecords call, data and partition keys together (service limit: 5 MiB). */
  maxBytesPerCall: 5 * MIB,
  /** Bytes per record, data and partition key together (service limit: 1 MiB). */
  maxRecordBytes: 1 * MIB,
  /** Longest partition key, in Unicode code points (service limit). */
  maxPartitionKeyLength: 256,
  /**
   * Items one `deliver` takes. A batch holds one message per user and is bounded by the
   * subscription's maxInFlight anyway; this is the most one PutRecords call could carry.
   */
  maxBatch: 500,
  /**
   * PutRecords calls in flight per subscription. Records handed over while they are out wait and go
   * together in the next call: batches grow with the load instead of one call per message.
   */
  callsInFlight: 2,
  /** The role session name of assume-role calls (shows in the role's CloudTrail entries). */
  roleSessionName: "segwatch-delivery",
  /** How long assumed-role credentials last; the client refreshes them 5 minutes before expiry. */
  assumeRoleDurationSeconds: 3600,
  /** TCP (and TLS) connect bound, separate from the subscription's per-request timeout. */
  connectTimeoutMs: 10 * SECOND_MS,
  /** Bound on one STS assume-role call (credentials are fetched before the PutRecords request). */
  stsRequestTimeoutMs: 10 * SECOND_MS,
  /** A client (sockets, cached credentials) unused for this long is closed. */
  clientIdleMs: 10 * 60 * SECOND_MS,
} as const;

export function msToNs(ms: number): number {
  return ms * NS_PER_MS;
}

export const EVENTHUB_DEFAULTS = {
  /**
   * Partition keys longer than this are replaced by their SHA-256 (Service Bus documents 128
   * characters for the key, and Event Hubs runs on the same broker).
   */
  maxPartitionKeyLength: 128,
  /** After ServerBusyError (throttling) the next attempt waits at least this long. */
  serverBusyRetryMs: 4 * SECOND_MS,
  /** A producer client (one AMQP connection) unused this long is closed; the next use reopens it. */
  idleCloseMs: 5 * 60 * SECOND_MS,
  /**
   * Events per `deliver` call. A call settles when its slowest send does, so several small calls in
   * flight keep the link busier than one large one (bench/eventhub.ts: 8 beat 1 and 32); events of a
   * call that share a partition key still share a batch.
   */
  maxBatch: 8,
} as const;

/** The Pub/Sub channel (pubsub.ts). Service limits: cloud.google.com/pubsub/quotas#resource_limits. */
export const PUBSUB_DEFAULTS = {
  /**
   * Items per `deliver` call. The client publishes each ordering key's messages as its own request, so
   * this only bounds how many publishes one call starts.
   */
  maxBatch: 100,
  /**
   * How long the client gathers messages of one ordering key before publishing them. 0: right after
   * the current `deliver` call has handed over its items (a user has only one message in flight).
   */
  batchDelayMs: 0,
  /**
   * Longest wait of a client's gRPC channel between reconnection attempts (gRPC's default, 120 s,
   * would keep failing every delivery for minutes after the network is back).
   */
  maxReconnectBackoffMs: 10 * SECOND_MS,
  /** Service limit: the data of one message (the request limit, 10 MB, also covers attributes). */
  maxMessageBytes: 10_000_000,
  /** Service limit: an attribute value. */
  maxAttributeValueBytes: 1_024,
  /** Service limit: an ordering key. A longer identity is replaced by its SHA-256 (see pubsub-message.ts). */
  maxOrderingKeyBytes: 1_024,
} as const;
