// What an HTTP answer or a failed request means for a delivery. Pure.
//
// - 2xx: delivered.
// - 408, 429 and 5xx: the receiver is busy or broken for now: retry (after Retry-After when given).
// - any other status (4xx, and 1xx/3xx, which a webhook must not answer — redirects are not followed
//   so that a receiver cannot point the worker elsewhere): permanent, dead-lettered.
// - timeouts and connection errors: retry.
// - a refused target, an invalid header or URL, a broken subscription config: permanent.

import { parseRetryAfter } from "./backoff.ts";
import type { DeliveryOutcome } from "./channel.ts";
import {
  ChannelConfigError,
  describeError,
  findCause,
  SigningSecretError,
  TargetRefusedError,
} from "./errors.ts";

export const SUCCESS: DeliveryOutcome = Object.freeze({ kind: "success" });

export function retry(error: string, retryAfterMs?: number): DeliveryOutcome {
  return retryAfterMs === undefined
    ? { kind: "retry", error }
    : { kind: "retry", error, retryAfterMs };
}

export function permanent(error: string): DeliveryOutcome {
  return { kind: "permanent", error };
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * The outcome of a response. `detail` is a snippet of the response body for the error text;
 * `what` names the request ("webhook", "segment identify").
 */
export function responseOutcome(
  what: string,
  status: number,
  retryAfter: string | undefined,
  detail: string,
  nowMs: number,
): DeliveryOutcome {
  if (status >= 200 && status <= 299) return SUCCESS;
  const snippet = detail.replace(/\s+/g, " ").trim();
  const error = `${what}: HTTP ${status}${snippet ? `: ${snippet}` : ""}`;
  if (isRetryableStatus(status)) return retry(error, parseRetryAfter(retryAfter, nowMs));
  return permanent(error);
}

/** Error codes of a request that can never succeed as it stands. */
const PERMANENT_CODES = new Set([
  "UND_ERR_INVALID_ARG",
  "UND_ERR_NOT_SUPPORTED",
  "ERR_INVALID_URL",
  "ERR_INVALID_HTTP_TOKEN",
  "ERR_INVALID_CHAR",
  "ERR_HTTP_INVALID_HEADER_VALUE",
]);

const hasPermanentCode = (e: unknown): e is Error =>
  e instanceof Error && PERMANENT_CODES.has(String((e as { code?: unknown }).code));

const isConfigError = (e: unknown): e is Error =>
  e instanceof TargetRefusedError ||
  e instanceof ChannelConfigError ||
  e instanceof SigningSecretError;

/** The outcome of a request that failed without a response. */
export function errorOutcome(what: string, err: unknown): DeliveryOutcome {
  const config = findCause(err, isConfigError);
  if (config) return permanent(`${what}: ${config.message}`);
  const invalid = findCause(err, hasPermanentCode);
  if (invalid) return permanent(`${what}: ${describeError(invalid)}`);
  return retry(`${what}: ${describeError(err)}`);
}

/**
 * One outcome from the outcomes of the parts of a message (webhook POST and identify call): permanent
 * if any part is, else retry if any part must (after the longest Retry-After), else success.
 */
export function combineOutcomes(parts: readonly DeliveryOutcome[]): DeliveryOutcome {
  const perm = parts.filter((p) => p.kind === "permanent");
  if (perm.length > 0) return permanent(perm.map((p) => (p as { error: string }).error).join("; "));
  const retries = parts.filter(
    (p): p is Extract<DeliveryOutcome, { kind: "retry" }> => p.kind === "retry",
  );
  if (retries.length > 0) {
    const afters = retries.map((r) => r.retryAfterMs).filter((v): v is number => v !== undefined);
    return retry(
      retries.map((r) => r.error).join("; "),
      afters.length ? Math.max(...afters) : undefined,
    );
  }
  return SUCCESS;
}
