// What an error of the Event Hubs SDK means for a delivery. Pure.
//
// The SDK translates AMQP conditions into errors whose `code` names them (core-amqp errors.ts,
// ConditionErrorNameMapper): throttling, timeouts, connection loss and internal errors are worth
// another try; a refused key, a hub that does not exist or is disabled, an event the hub will never
// take are not. The SDK's own `retryable` flag is not used: it calls UnauthorizedError retryable
// (credentials may be rotated under it), which for a delivery means twelve attempts against a wrong
// key before the message reaches the DLQ.

import type { DeliveryOutcome } from "./channel.ts";
import { ChannelConfigError, describeError, findCause } from "./errors.ts";
import { EventPayloadError } from "./eventhub-events.ts";
import { EventHubSettingsError, redactEventHubSecrets } from "./eventhub-settings.ts";
import { permanent, retry } from "./outcome.ts";

/** Error codes (SDK names) that no retry will fix. */
export const PERMANENT_EVENTHUB_CODES: ReadonlySet<string> = new Set([
  "UnauthorizedError", // amqp:unauthorized-access, com.microsoft:auth-failed: a wrong key or policy
  "MessagingEntityNotFoundError", // the hub does not exist
  "MessagingEntityDisabledError",
  "PublisherRevokedError",
  "MessageTooLargeError", // amqp:link:message-size-exceeded
  "ArgumentError",
  "ArgumentOutOfRangeError",
  "InvalidOperationError", // amqp:not-allowed
  "NotImplementedError",
  "DecodeError",
  "InvalidFieldError",
]);

/** Codes whose wait the service asks for (Event Hubs' guidance: back off some seconds when busy). */
const THROTTLED_CODES: ReadonlySet<string> = new Set(["ServerBusyError", "QuotaExceededError"]);

interface SdkErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly syscall?: unknown;
  readonly message?: unknown;
}

function codeOf(err: unknown): string | undefined {
  const code = (err as SdkErrorLike | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const isChannelError = (e: unknown): e is Error =>
  e instanceof EventHubSettingsError ||
  e instanceof EventPayloadError ||
  e instanceof ChannelConfigError;

/** The outcome of a failed send (or batch creation) for the events it carried. */
export function eventHubErrorOutcome(err: unknown, throttledRetryMs: number): DeliveryOutcome {
  const own = findCause(err, isChannelError);
  if (own) return permanent(`eventhub: ${redactEventHubSecrets(own.message)}`);
  const text = `eventhub: ${redactEventHubSecrets(describeError(err))}`;
  // A hub name that fails to resolve is a network failure now, maybe not later; the service's own
  // amqp:not-found (no syscall) means the entity is missing.
  const code = codeOf(err);
  if (code === "ServiceCommunicationError")
    return (err as SdkErrorLike).syscall ? retry(text) : permanent(text);
  if (code !== undefined && PERMANENT_EVENTHUB_CODES.has(code)) return permanent(text);
  if (code !== undefined && THROTTLED_CODES.has(code)) return retry(text, throttledRetryMs);
  // The SDK's own argument checks (a malformed connection string, an oversized partition key).
  if (err instanceof TypeError || err instanceof RangeError) return permanent(text);
  if (err instanceof AggregateError) {
    const outcomes = err.errors.map((e) => eventHubErrorOutcome(e, throttledRetryMs));
    if (outcomes.length > 0 && outcomes.every((o) => o.kind === "permanent"))
      return permanent(text);
  }
  // Timeouts (ours: AbortError; the SDK's: OperationTimeoutError), connection loss, internal errors,
  // a sender without credit, and anything unknown: at-least-once prefers another attempt.
  return retry(text);
}
