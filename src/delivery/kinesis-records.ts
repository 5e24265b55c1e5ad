// What a batch of deliveries becomes on Kinesis: one record per message (the payload's bytes as the
// evaluator published them, and a partition key), grouped into PutRecords calls within the service's
// limits. Pure.
//
// The partition key is the subscription's identifier field from the payload's `data` when it holds a
// string or number, else the user's identity: either way the same user always maps to the same key,
// so the same shard, and Kinesis keeps the order the worker sends a user's messages in.

import { createHash } from "node:crypto";
import { KINESIS_DEFAULTS } from "./defaults.ts";

export interface KinesisLimits {
  readonly maxRecordsPerCall: number;
  readonly maxBytesPerCall: number;
  readonly maxRecordBytes: number;
  readonly maxPartitionKeyLength: number;
}

/** One message as a Kinesis record. */
export interface KinesisEntry {
  /** The message's position in the batch handed to `deliver`. */
  readonly index: number;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** What counts against the limits: data and partition key (UTF-8) together. */
  readonly bytes: number;
}

export interface PutRecordsPlan {
  /** Each inner list is one PutRecords call, in batch order. */
  readonly calls: readonly (readonly KinesisEntry[])[];
  /** Messages no call can carry (over the per-record limit), with why. */
  readonly rejected: readonly { readonly index: number; readonly error: string }[];
}

export interface PlanInput {
  readonly body: Uint8Array;
  /** The user's identity (the envelope's user key). */
  readonly userKey: string;
}

/**
 * The partition key of one message. A key longer than Kinesis allows becomes a digest of itself:
 * still one key per user, so order is kept.
 */
export function partitionKeyFor(
  body: Uint8Array,
  identifierField: string | undefined,
  userKey: string,
  maxLength: number = KINESIS_DEFAULTS.maxPartitionKeyLength,
): string {
  const key = (identifierField && identifierValue(body, identifierField)) || userKey;
  return fitsLength(key, maxLength)
    ? key
    : `sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/** The identifier field's value from the payload's `data`, when it is a usable key. */
export function identifierValue(body: Uint8Array, field: string): string | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(
      Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"),
    );
  } catch {
    return undefined;
  }
  const data = (payload as { data?: unknown } | null)?.data;
  if (data === null || typeof data !== "object") return undefined;
  let v = (data as Record<string, unknown>)[field];
  // A nested profile field, written as a path (address.country).
  if (v === undefined && field.includes(".")) {
    v = data;
    for (const part of field.split(".")) {
      v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
    }
  }
  if (typeof v === "string") return v === "" ? undefined : v;
  if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "bigint") return String(v);
  return undefined;
}

/**
 * Turns a batch into PutRecords calls: in batch order, a new call whenever the next record would pass
 * the records or bytes limit of the current one. A record over the per-record limit is rejected.
 */
export function planPutRecords(
  items: readonly PlanInput[],
  identifierField: string | undefined,
  limits: KinesisLimits = KINESIS_DEFAULTS,
): PutRecordsPlan {
  const calls: KinesisEntry[][] = [];
  const rejected: { index: number; error: string }[] = [];
  let current: KinesisEntry[] = [];
  let currentBytes = 0;
  for (const [index, item] of items.entries()) {
    const partitionKey = partitionKeyFor(
      item.body,
      identifierField,
      item.userKey,
      limits.maxPartitionKeyLength,
    );
    const bytes = item.body.byteLength + Buffer.byteLength(partitionKey, "utf8");
    if (bytes > limits.maxRecordBytes) {
      rejected.push({
        index,
        error: `record of ${bytes} bytes (payload and partition key) exceeds the Kinesis limit of ${limits.maxRecordBytes} bytes`,
      });
      continue;
    }
    if (
      current.length > 0 &&
      (current.length >= limits.maxRecordsPerCall || currentBytes + bytes > limits.maxBytesPerCall)
    ) {
      calls.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push({ index, partitionKey, data: item.body, bytes });
    currentBytes += bytes;
  }
  if (current.length > 0) calls.push(current);
  return { calls, rejected };
}

/** At most `max` Unicode code points (Kinesis counts characters, not UTF-16 units). */
function fitsLength(s: string, max: number): boolean {
  if (s.length <= max) return true; // never more code points than UTF-16 units
  let n = 0;
  for (const _ of s) if (++n > max) return false;
  return true;
}
