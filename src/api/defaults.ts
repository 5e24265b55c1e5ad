// Every default of `segwatch api` in one place, and the names it gives to what it writes (annotations,
// Secrets), so that the controller, kubectl users and the REST routes agree on them.

/** Port and address `segwatch api` listens on unless SEGWATCH_API_PORT / SEGWATCH_API_HOST say otherwise. */
export const DEFAULT_API_PORT = 8080;
/** All interfaces: the API runs in a container behind a Service. `segwatch dev` passes 127.0.0.1. */
export const DEFAULT_API_HOST = "0.0.0.0";

/** Largest request body accepted (collect batches and REST bodies), in bytes. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * JetStream publishes awaiting their PubAck across all requests of the process. Enough to keep the
 * server busy, bounded so a burst of large batches cannot starve the evaluators' consumers on the same
 * server (shared notes/performance.md); requests beyond it wait their turn.
 */
export const DEFAULT_PUBLISH_WINDOW = 1024;

/** A bad batch lists at most this many problems (one per event), so an error answer stays small. */
export const MAX_REPORTED_PROBLEMS = 20;

/** The namespace a single SEGWATCH_API_TOKEN maps to. */
export const DEFAULT_TOKEN_NAMESPACE = "default";

/** Log level of `segwatch api` unless SEGWATCH_LOG_LEVEL says otherwise. */
export const DEFAULT_LOG_LEVEL = "info";

/** How long `stop()` lets in-flight requests finish before closing their connections. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** Annotations the REST API keeps on the resources it writes. */
export const ANNOTATION = {
  /** The subscription name as the client gave it (the resource name is a DNS label made from it). */
  restName: "segwatch.io/rest-name",
  /** When the REST API last changed the spec (RFC 3339): the brief's `updated`. */
  updatedAt: "segwatch.io/updated-at",
  /** Fingerprint of the API token that created the resource: the brief's `user_id`. */
  createdBy: "segwatch.io/created-by",
} as const;

/** A subscription's sensitive values (webhook credentials, Segment write key) live in this Secret. */
export function credentialsSecretName(subscriptionName: string): string {
  return `${subscriptionName}-credentials`;
}
export const SEGMENTIO_WRITEKEY_SECRET_KEY = "segmentio-writekey";
export const CONNECTION_STRING_SECRET_KEY = "connection-string";
export const PUBSUB_CREDENTIALS_SECRET_KEY = "credentials.json";

/**
 * Subscription names leave room for the suffixes the controller derives from them (`-inline`,
 * `-signing`), so that a name the API accepts never makes a derived name invalid.
 */
export const MAX_SUBSCRIPTION_NAME_LENGTH = 56;
