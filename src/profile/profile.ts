// A user's profile: the merged fields of their events plus what the evaluator keeps beside them
// (segment memberships, the last event applied, the next time-based check). Stored as JSON in KV
// segwatch-profiles; held in memory with declared fields coerced (times as Dates) for evaluation.

import { coerceToType, type FieldTypes } from "../segmentql/index.ts";

/** Fields segwatch maintains on every profile (the brief's payload shows them). */
export const CREATED_FIELD = "_created";
export const MODIFIED_FIELD = "_modified";
const RESERVED_FIELDS: ReadonlySet<string> = new Set([CREATED_FIELD, MODIFIED_FIELD]);

export interface Profile {
  /** The profile key (see identity.ts) and the identity it came from. */
  readonly key: string;
  readonly identity: { readonly field: string; readonly value: string };
  /**
   * The user's fields, declared ones coerced to their types, with _created and _modified (RFC 3339)
   * kept in the same object: SegmentQL reads it as it is, and so does the payload.
   */
  fields: Record<string, unknown>;
  /** The stream sequence of the last event applied: redelivered older events are skipped. */
  lastSeq: number;
  /** Segment id → when the user entered (RFC 3339). */
  segments: Record<string, string>;
  /** Time-dependent segment id → epoch ms of the next instant it can flip for this user. */
  checks?: Record<string, number>;
  /** Subscriptions whose backfill already considered this user. */
  backfilled?: string[];
  /**
   * Subscription id → the SEGWATCH_DELIVERIES sequence of the newest message about this user sent to
   * that subscription's backfill lane, while it may not have been delivered yet: the user's live
   * changes follow it through the backfill lane (evaluator/backfill-order.ts).
   */
  backfillSeq?: Record<string, number>;
}

/** The stored form (JSON). Dates become RFC 3339 strings through JSON.stringify. */
export type StoredProfile = Omit<Profile, "fields"> & { fields: Record<string, unknown> };

export interface MergeResult {
  /** Fields whose value changed (added, replaced or set to null). */
  readonly changed: string[];
  /** Values that could not be coerced to their declared type: reported and not stored. */
  readonly rejected: { readonly field: string; readonly reason: string }[];
}

const PROTO_KEY = "__proto__";

export function newProfile(
  key: string,
  identity: { field: string; value: string },
  now: Date,
): Profile {
  const at = now.toISOString();
  const fields = dictionary<unknown>();
  fields[CREATED_FIELD] = at;
  fields[MODIFIED_FIELD] = at;
  return { key, identity, fields, lastSeq: 0, segments: dictionary() };
}

/**
 * Merges an event into the profile, last write wins per top-level field. Declared fields are
 * coerced; a value that cannot be coerced is rejected (reported, never stored in the wrong type).
 */
export function mergeEvent(
  profile: Profile,
  event: Readonly<Record<string, unknown>>,
  types: FieldTypes,
  now: Date,
): MergeResult {
  const changed: string[] = [];
  const rejected: { field: string; reason: string }[] = [];
  for (const [field, raw] of Object.entries(event)) {
    if (RESERVED_FIELDS.has(field) || raw === undefined) continue;
    if (field === PROTO_KEY) {
      // JSON.parse makes it an own key; assigning it would replace the profile's prototype.
      rejected.push({ field, reason: "this field name cannot be stored" });
      continue;
    }
    let value: unknown = raw;
    const type = Object.hasOwn(types, field) ? types[field] : undefined;
    if (type !== undefined) {
      const c = coerceToType(raw, type);
      if (!c.ok) {
        rejected.push({ field, reason: c.reason });
        continue;
      }
      value = c.value;
    }
    if (!Object.hasOwn(profile.fields, field) || !sameValue(profile.fields[field], value)) {
      profile.fields[field] = value;
      changed.push(field);
    }
  }
  if (changed.length > 0) {
    profile.fields[MODIFIED_FIELD] = now.toISOString();
    changed.push(MODIFIED_FIELD);
  }
  return { changed, rejected };
}

/** Re-coerces a stored profile's declared fields (stored times are strings). */
export function restoreProfile(stored: StoredProfile, types: FieldTypes): Profile {
  const fields = dictionary<unknown>();
  for (const [field, raw] of Object.entries(stored.fields)) {
    if (field === PROTO_KEY) continue;
    const type = Object.hasOwn(types, field) ? types[field] : undefined;
    if (type === undefined) fields[field] = raw;
    else {
      const c = coerceToType(raw, type);
      // A schema changed since the value was stored: keep it as it was rather than lose it.
      fields[field] = c.ok ? c.value : raw;
    }
  }
  const segments = dictionary<string>();
  for (const [id, at] of Object.entries(stored.segments)) segments[id] = at;
  return { ...stored, fields, segments };
}

/**
 * An empty object without a prototype, which V8 keeps in dictionary mode. Profiles gain fields in
 * every order, so plain objects would each get a hidden class of their own and the generated
 * segment code's property reads would go megamorphic and miss V8's stub cache; all dictionary-mode
 * objects without a prototype share one hidden class, so those reads stay monomorphic.
 */
export function dictionary<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
