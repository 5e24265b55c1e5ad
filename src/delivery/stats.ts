// The counters a worker keeps per subscription (SubscriptionStats in KV segwatch-status), as deltas
// merged into what is stored. Pure; status-writer.ts does the compare-and-set.
//
// - delivered: messages the receiver accepted.
// - failed: attempts that did not succeed (each retry counts, and the last try before a dead letter).
// - deadLettered: messages moved to SEGWATCH_DLQ.
// - lastDeliveryTime / lastError (with lastErrorTime): the latest of each; an error stays until a
//   newer one replaces it (the controller compares lastErrorTime with lastDeliveryTime).

import type { SubscriptionStats } from "../controller/records.ts";

export interface StatsDelta {
  delivered: number;
  failed: number;
  deadLettered: number;
  lastDeliveryTime: string | null;
  lastError: string | null;
  lastErrorTime: string | null;
}

export function emptyDelta(): StatsDelta {
  return {
    delivered: 0,
    failed: 0,
    deadLettered: 0,
    lastDeliveryTime: null,
    lastError: null,
    lastErrorTime: null,
  };
}

export function isEmptyDelta(d: StatsDelta): boolean {
  return (
    d.delivered === 0 &&
    d.failed === 0 &&
    d.deadLettered === 0 &&
    d.lastDeliveryTime === null &&
    d.lastError === null
  );
}

/** Adds `more` (the newer) into `into`. */
export function addDelta(into: StatsDelta, more: StatsDelta): void {
  into.delivered += more.delivered;
  into.failed += more.failed;
  into.deadLettered += more.deadLettered;
  into.lastDeliveryTime = later(into.lastDeliveryTime, more.lastDeliveryTime);
  if (more.lastError !== null) {
    into.lastError = more.lastError;
    into.lastErrorTime = more.lastErrorTime;
  }
}

/**
 * The stored stats after `d`. Fields this worker does not own (the evaluator's backfill progress,
 * anything a newer segwatch adds) are kept as they are.
 */
export function applyDelta(
  current: Partial<SubscriptionStats> | undefined,
  d: StatsDelta,
): SubscriptionStats {
  const base = current ?? {};
  // Two workers flush in any order: the later error wins, not the last writer's.
  const newerError =
    d.lastError !== null &&
    (base.lastErrorTime == null || later(base.lastErrorTime, d.lastErrorTime) === d.lastErrorTime);
  return {
    ...base,
    delivered: count(base.delivered) + d.delivered,
    failed: count(base.failed) + d.failed,
    deadLettered: count(base.deadLettered) + d.deadLettered,
    lastDeliveryTime: later(base.lastDeliveryTime ?? null, d.lastDeliveryTime),
    lastError: newerError ? d.lastError : (base.lastError ?? null),
    lastErrorTime: newerError ? d.lastErrorTime : (base.lastErrorTime ?? null),
  };
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(b) >= Date.parse(a) ? b : a;
}
