// Who an event is about: the first present identity field (a namespace's ProfileSchema lists them in
// priority order; default user_id) keys the profile, and a hash of that key picks the partition, so
// every event of a user goes to the same evaluator, in order.

import { createHash } from "node:crypto";

export interface Identity {
  /** The identity field that was present. */
  readonly field: string;
  /** Its value as text. */
  readonly value: string;
  /** The profile's key within its namespace: safe for NATS subjects and KV keys. */
  readonly key: string;
}

/** Default number of event partitions (evaluators own partitions; more partitions, more parallelism). */
export const DEFAULT_PARTITIONS = 16;

/**
 * The identity of an event or profile: the first identity field holding a non-empty string or a
 * finite number. Nested fields are not identities.
 */
export function identityOf(
  record: Readonly<Record<string, unknown>>,
  identityFields: readonly string[],
): Identity | undefined {
  for (const field of identityFields) {
    if (!Object.hasOwn(record, field)) continue;
    const v = record[field];
    let value: string | undefined;
    if (typeof v === "string" && v.trim() !== "") value = v;
    else if (typeof v === "number" && Number.isFinite(v)) value = String(v);
    if (value !== undefined) return { field, value, key: profileKey(field, value) };
  }
  return undefined;
}

/** A fixed-length key for field=value: KV keys and subject tokens allow few characters, users' ids any. */
export function profileKey(field: string, value: string): string {
  return createHash("sha256")
    .update(field)
    .update("\u0000")
    .update(value)
    .digest("hex")
    .slice(0, 40);
}

/** The partition of a profile key (its first 8 hex digits, modulo the partition count). */
export function partitionOf(key: string, partitions: number): number {
  return Number.parseInt(key.slice(0, 8), 16) % partitions;
}

/**
 * The identity behind a known profile key: the API keyed the event when it accepted it (under the
 * identity fields it knew then), so the evaluator uses that key rather than re-deciding — an event
 * accepted is never dropped for want of an identity. The field is found again among the event's.
 */
export function identityForKey(record: Readonly<Record<string, unknown>>, key: string): Identity {
  for (const [field, v] of Object.entries(record)) {
    const value =
      typeof v === "string"
        ? v
        : typeof v === "number" && Number.isFinite(v)
          ? String(v)
          : undefined;
    if (value !== undefined && profileKey(field, value) === key) return { field, value, key };
  }
  return { field: "", value: "", key };
}
