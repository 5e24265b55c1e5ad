// The key a channel orders or partitions a delivery by — Kinesis partition key, Event Hubs partition
// key, Pub/Sub ordering key — chosen the same way for every channel: the profile field the
// subscription names when the payload has a usable value there, else the user's identity (what the
// worker orders by). A key the service would refuse for its length becomes `sha256:<hex>` of itself:
// still one key per value, so one user's messages still share a shard, partition or ordering key.

import { createHash } from "node:crypto";

/**
 * The value at `field` of a profile's data as a key: a top-level field, else a dotted path into nested
 * objects (address.country); a non-empty string, a finite number, a bigint or a boolean. Anything else
 * (absent, empty, an object, null) is not a key.
 */
export function profileFieldKey(
  data: Readonly<Record<string, unknown>>,
  field: string,
): string | undefined {
  let v: unknown = data[field];
  if (v === undefined && field.includes(".")) {
    v = data;
    for (const part of field.split(".")) {
      v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[part] : undefined;
    }
  }
  if (typeof v === "string") return v === "" ? undefined : v;
  if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "bigint") return String(v);
  if (typeof v === "boolean") return String(v);
  return undefined;
}

/** `key` itself when the service takes it (`fits`), else `sha256:<hex>` of it. */
export function boundedKey(key: string, fits: (key: string) => boolean): string {
  return fits(key) ? key : `sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/** The routing key of one delivery (see the file comment). */
export function routingKey(
  data: Readonly<Record<string, unknown>> | undefined,
  field: string | undefined,
  userKey: string,
  fits: (key: string) => boolean,
): string {
  const value =
    field !== undefined && data !== undefined ? profileFieldKey(data, field) : undefined;
  return boundedKey(value ?? userKey, fits);
}

/** At most `max` Unicode code points (Kinesis counts characters). */
export function withinCodePoints(max: number): (key: string) => boolean {
  return (s) => {
    if (s.length <= max) return true; // never more code points than UTF-16 units
    let n = 0;
    for (const _ of s) if (++n > max) return false;
    return true;
  };
}

/** At most `max` UTF-16 code units (.NET's string length, which Event Hubs' limit is stated in). */
export function withinUtf16Units(max: number): (key: string) => boolean {
  return (s) => s.length <= max;
}

/** At most `max` bytes of UTF-8 (Pub/Sub counts bytes). */
export function withinUtf8Bytes(max: number): (key: string) => boolean {
  return (s) => Buffer.byteLength(s) <= max;
}
