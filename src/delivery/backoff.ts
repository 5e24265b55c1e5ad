// When to try a failed delivery again: exponential backoff with full jitter, unless the receiver said
// when (Retry-After). Pure: the clock and the random source are parameters.

export interface BackoffSettings {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

/**
 * The wait before attempt `attempt + 1`, after `attempt` (1-based) failed: a uniform draw from
 * [0, min(max, initial · 2^(attempt−1))] — "full jitter", which spreads the retries of many
 * messages that failed together instead of bunching them at the same instants.
 */
export function backoffDelay(
  attempt: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeiling(attempt, settings);
  return Math.floor(random() * (ceiling + 1));
}

/** The upper bound of the jittered wait after `attempt` failures. */
export function backoffCeiling(attempt: number, settings: BackoffSettings): number {
  const max = Math.max(0, settings.maxBackoffMs);
  const initial = Math.max(0, Math.min(settings.initialBackoffMs, max));
  // 2^exp overflows to Infinity long after it passed any sane max; clamp the exponent anyway.
  const exp = Math.min(Math.max(attempt - 1, 0), 52);
  return Math.min(max, initial * 2 ** exp);
}

/**
 * Parses a Retry-After value — delay-seconds or an HTTP-date (RFC 9110 §10.2.3) — into milliseconds
 * from `nowMs`. Undefined when absent or unparsable; a date in the past means "now" (0).
 */
export function parseRetryAfter(
  value: string | undefined | null,
  nowMs: number,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value.trim();
  if (v === "") return undefined;
  if (/^\d+$/.test(v)) {
    const seconds = Number(v);
    return Number.isFinite(seconds) ? seconds * 1_000 : undefined;
  }
  // Only a date that looks like one: Date.parse accepts far too much ("1.5" is a date to V8).
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * The wait before the next attempt. A receiver's Retry-After is honored as given, bounded by the
 * subscription's maxBackoff — a misbehaving receiver must not park a subscription for hours while the
 * worker holds its messages.
 */
export function retryDelay(
  attempt: number,
  settings: BackoffSettings,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined)
    return Math.min(Math.max(0, retryAfterMs), Math.max(0, settings.maxBackoffMs));
  return backoffDelay(attempt, settings, random);
}
