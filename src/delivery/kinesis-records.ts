// What a delivery becomes on Kinesis: one record per message (the payload's bytes as the evaluator
// published them, and a partition key), and how many records one PutRecords call carries within the
// service's limits. Pure.
//
// The partition key is the subscription's identifier field from the payload's `data` when it holds a
// string or number, else the user's identity: either way the same user always maps to the same key,
// so the same shard, and Kinesis keeps the order the worker sends a user's messages in.

import { KINESIS_DEFAULTS } from "./defaults.ts";
import { routingKey, withinCodePoints } from "./routing-key.ts";

export interface KinesisLimits {
  readonly maxRecordsPerCall: number;
  readonly maxBytesPerCall: number;
  readonly maxRecordBytes: number;
  readonly maxPartitionKeyLength: number;
}

/** One message as a Kinesis record. */
/** One message as a Kinesis record. */
export interface KinesisEntry {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** What counts against the limits: data and partition key (UTF-8) together. */
  readonly bytes: number;
}

export type RecordResult =
  | { readonly ok: true; readonly record: KinesisEntry }
  /** Over the per-record limit: no call can carry it. */
  | { readonly ok: false; readonly error: string };

/** The partition key of one message (src/delivery/routing-key.ts: one rule for every channel). */
export function partitionKeyFor(
  body: Uint8Array,
  identifierField: string | undefined,
  userKey: string,
  maxLength: number = KINESIS_DEFAULTS.maxPartitionKeyLength,
): string {
  return routingKey(
    identifierField === undefined ? undefined : payloadData(body),
    identifierField,
    userKey,
    maxLength === KINESIS_DEFAULTS.maxPartitionKeyLength
      ? FITS_PARTITION_KEY
      : withinCodePoints(maxLength),
  );
}

const FITS_PARTITION_KEY = withinCodePoints(KINESIS_DEFAULTS.maxPartitionKeyLength);

/** The payload's `data` (the profile), when the body is the JSON object it should be. */
function payloadData(body: Uint8Array): Record<string, unknown> | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(
      Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"),
    );
  } catch {
    return undefined;
  }
  const data = (payload as { data?: unknown } | null)?.data;
  return data !== null && typeof data === "object" ? (data as Record<string, unknown>) : undefined;
}

/** A message's record, or why Kinesis cannot take it. */
export function recordFor(
  body: Uint8Array,
  userKey: string,
  identifierField: string | undefined,
  limits: KinesisLimits = KINESIS_DEFAULTS,
): RecordResult {
  const partitionKey = partitionKeyFor(
    body,
    identifierField,
    userKey,
    limits.maxPartitionKeyLength,
  );
  const bytes = body.byteLength + Buffer.byteLength(partitionKey, "utf8");
  if (bytes > limits.maxRecordBytes) {
    return {
      ok: false,
      error: `record of ${bytes} bytes (payload and partition key) exceeds the Kinesis limit of ${limits.maxRecordBytes} bytes`,
    };
  }
  return { ok: true, record: { partitionKey, data: body, bytes } };
}

/**
 * How many records from the head of `sizes` (their bytes) one PutRecords call carries: as many as fit
 * the records and bytes limits, and at least one.
 */
export function recordsForOneCall(
  sizes: readonly number[],
  limits: Pick<KinesisLimits, "maxRecordsPerCall" | "maxBytesPerCall"> = KINESIS_DEFAULTS,
): number {
  let n = 0;
  let bytes = 0;
  while (n < sizes.length && n < limits.maxRecordsPerCall) {
    const next = sizes[n]!;
    if (n > 0 && bytes + next > limits.maxBytesPerCall) break;
    bytes += next;
    n++;
  }
  return n;
}
