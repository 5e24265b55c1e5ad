// Every default of the controller in one place: timings of the work queue and resync, the rotation
// window of signing secrets, and the names the controller derives for the objects it creates.

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

export const CONTROLLER_DEFAULTS = {
  /** Reconciles running at once (one key is never reconciled twice at the same time). */
  workers: 4,
  /**
   * Every resource is reconciled again this often: counters reach status, missed notifications heal,
   * and registry entries and consumers of vanished resources are collected (level-triggered cleanup).
   */
  resyncMs: 30 * SECOND_MS,
  /**
   * After a counter changes in KV segwatch-status, its resource is reconciled this much later; the
   * changes in between coalesce into one status write.
   */
  statsRefreshDelayMs: 2 * SECOND_MS,
  /** Per-key retry backoff after a failed reconcile: base · 2^failures, capped (client-go's shape). */
  retryBaseMs: 500,
  retryMaxMs: 5 * MINUTE_MS,
  /** Overall bucket for retries, so that a broken dependency cannot turn into a retry storm. */
  retryRatePerSecond: 10,
  retryBurst: 100,
  /**
   * A resource found gone when its status is written was deleted mid-reconcile: retried quietly
   * this many times (the retry sees the deletion), then reported as a failure.
   */
  notFoundRetries: 5,
  /**
   * A missing Secret is looked for again this often: the resource sources report changes of
   * Segments, Subscriptions and ProfileSchemas, not of Secrets.
   */
  missingSecretRetryMs: 10 * SECOND_MS,
  /** After a signing secret changes, the previous one keeps signing alongside for this long. */
  signingSecretRotationMs: 24 * HOUR_MS,
  /** A delivery error younger than this makes DeliveryReady False (DeliveryFailing). */
  deliveryFailingWindowMs: 10 * MINUTE_MS,
  /** Segment analyses (alias, slug, spec errors) kept between reconciles. */
  segmentFactsCacheSize: 10_000,
} as const;

/**
 * Leader election through a coordination.k8s.io/v1 Lease, with controller-runtime's timings: a
 * leader renews every retry period and steps down when it could not renew for the renew deadline;
 * the others take over when the lease was not renewed for the lease duration (measured on their own
 * clock from when they saw it change), or at once when the leader released it.
 */
export const LEADER_ELECTION_DEFAULTS = {
  leaseDurationMs: 15 * SECOND_MS,
  renewDeadlineMs: 10 * SECOND_MS,
  retryPeriodMs: 2 * SECOND_MS,
  /** Candidates retry within [retry, retry · (1 + jitter)] so they do not all ask at once. */
  retryJitter: 0.2,
  /** The Lease's name, in the controller's namespace. */
  leaseName: "segwatch-controller",
} as const;

export type LeaderElectionSettings = {
  -readonly [K in keyof typeof LEADER_ELECTION_DEFAULTS]: (typeof LEADER_ELECTION_DEFAULTS)[K] extends string
    ? string
    : number;
};

/**
 * The per-channel delivery Deployments the controller keeps on a cluster: `segwatch deliver
 * --channel <c>` in a Deployment named `<prefix><channel>`, created when the channel's first
 * subscription appears and scaled to zero when its last one goes.
 */
export const DELIVERY_DEPLOYMENT_DEFAULTS = {
  namePrefix: "segwatch-deliver-",
  image: "segwatch:latest",
  replicas: 1,
  /** After a subscription changes, the channels' Deployments are brought in line this much later. */
  syncDelayMs: 250,
  /** Where a NATS .creds file from a Secret is mounted (the chart's pods use the same path). */
  natsCredsDir: "/etc/segwatch/nats",
  natsCredsFile: "nats.creds",
} as const;

/** CONTROLLER_DEFAULTS' shape with plain numbers, for overrides. */
export type ControllerSettings = { -readonly [K in keyof typeof CONTROLLER_DEFAULTS]: number };

/** A subscription's inline segment (spec.segmentql) is a Segment with this name, owned by it. */
export function inlineSegmentName(subscriptionName: string): string {
  return `${subscriptionName}-inline`;
}

/** Where a generated Standard Webhooks signing secret is stored: Secret `<subscription>-signing`. */
export function generatedSigningSecretName(subscriptionName: string): string {
  return `${subscriptionName}-signing`;
}
/** The key of that Secret. */
export const GENERATED_SIGNING_SECRET_KEY = "secret";
/** Random bytes in a generated signing secret ("whsec_" + base64 of them). */
export const SIGNING_SECRET_BYTES = 24;

/** Label on an inline segment naming the subscription it belongs to. */
export const SUBSCRIPTION_LABEL = "segwatch.io/subscription";

/**
 * The finalizer on every Subscription: its deletion waits until the controller has removed what
 * lives outside the API server (its NATS consumers and registry record).
 */
export const CLEANUP_FINALIZER = "segwatch.io/cleanup";

/** Default transitions a subscription delivers. */
export const DEFAULT_EVENTS = ["enter", "exit"] as const;
