// What a failed publish means for a delivery. Pure.
//
// gRPC status codes (the client library's errors carry them as `code`):
// - UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, and CANCELLED / UNKNOWN
//   (a connection torn down under the call): retry.
// - NOT_FOUND, PERMISSION_DENIED, INVALID_ARGUMENT, UNAUTHENTICATED, and every other code: permanent.
//   A missing topic is permanent, as a webhook's 404 is: the message waits in the dead-letter queue,
//   where status shows it with the topic named and it can be replayed once the topic exists; retrying
//   would hold each user's later messages behind it for the whole backoff ladder first.
// - A token request the identity provider refused (invalid_grant: a deleted or disabled key) reaches
//   gRPC as UNAVAILABLE "Getting metadata from plugin failed"; it is permanent.
// - Errors without a gRPC code: node's argument errors are permanent; anything else (network errors
//   of the token request, a credentials lookup that failed) retries.

import type { DeliveryOutcome } from "./channel.ts";
import { describeError } from "./errors.ts";
import { isRetryableStatus, permanent, retry } from "./outcome.ts";

/** gRPC status codes by number (grpc/doc/statuscodes.md). */
export const GRPC_STATUS = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

const RETRYABLE = new Set<string>([
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
  "RESOURCE_EXHAUSTED",
  "ABORTED",
  "INTERNAL",
  "CANCELLED",
  "UNKNOWN",
]);

/** OAuth errors of a token request that no retry can fix (RFC 6749 §5.2). */
const REFUSED_TOKEN_RE = /\b(invalid_grant|invalid_client|unauthorized_client)\b/;

/** The gRPC status name of an error, when it carries one. */
export function grpcStatusName(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" && Number.isInteger(code) ? GRPC_STATUS[code] : undefined;
}

/** The outcome of a publish to `topic` that failed with `err`. */
export function publishErrorOutcome(topic: string, err: unknown): DeliveryOutcome {
  const text = errorText(err);
  const error = `pubsub: ${topic}: ${text}`;
  const status = grpcStatusName(err);
  if (status !== undefined) {
    if (status === "UNAVAILABLE" && REFUSED_TOKEN_RE.test(text)) return permanent(error);
    return RETRYABLE.has(status) ? retry(error) : permanent(error);
  }
  const http = httpStatus(err);
  if (http !== undefined) return isRetryableStatus(http) ? retry(error) : permanent(error);
  if (err instanceof TypeError || err instanceof RangeError) return permanent(error);
  return retry(error);
}

/** The status of a failed HTTP request (the auth library's token requests), if any. */
function httpStatus(err: unknown): number | undefined {
  const e = err as { status?: unknown; response?: { status?: unknown } } | null;
  const s = e?.response?.status ?? e?.status;
  return typeof s === "number" && s >= 100 && s <= 599 ? s : undefined;
}

/**
 * One line: the client's messages already read "5 NOT_FOUND: Resource not found (resource=t).";
 * a paused ordering key's error wraps the original and says so.
 */
function errorText(err: unknown): string {
  return describeError(err).replace(/\s+/g, " ").trim();
}
