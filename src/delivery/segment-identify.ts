// The identify call a subscription with a `segmentio_writekey` also sends, in Segment's HTTP tracking
// API format (POST <endpoint>/v1/identify, HTTP basic auth with the write key as the user and no
// password). Traits are the user's profile fields plus one boolean per segment of the change, keyed by
// slug — true on enter, false on exit — the way Segment's own audiences appear as traits. Pure.

import type { DeliveryEnvelope, SegmentEvent } from "./envelope.ts";

export const IDENTIFY_PATH = "/v1/identify";
export const LIBRARY_NAME = "segwatch";

export interface IdentifyCall {
  readonly userId: string;
  readonly traits: Record<string, unknown>;
  /** Segment dedupes on it: the delivery's idempotency key, so a retried delivery is one identify. */
  readonly messageId: string;
  /** When the change happened (the latest enter/exit of the change), RFC 3339. */
  readonly timestamp: string;
  readonly context: { readonly library: { readonly name: string } };
}

/** A payload that is not the brief's v2 shape. */
export class PayloadShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PayloadShapeError";
  }
}

/** `Basic base64("<writeKey>:")`. */
export function segmentAuthorization(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`, "utf8").toString("base64")}`;
}

export function identifyCall(
  payload: unknown,
  envelope: DeliveryEnvelope,
  nowMs: number,
): IdentifyCall {
  const data = (payload as { data?: unknown } | null)?.data;
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new PayloadShapeError("the payload has no data object");
  }
  const { segment_events: events, ...fields } = data as Record<string, unknown> & {
    segment_events?: unknown;
  };
  const traits: Record<string, unknown> = { ...fields };
  let latest = Number.NEGATIVE_INFINITY;
  if (Array.isArray(events)) {
    for (const e of events as SegmentEvent[]) {
      if (!e || typeof e.slug !== "string") continue;
      traits[e.slug] = e.event === "enter";
      const at = Date.parse((e.event === "exit" ? e.exit : e.enter) ?? "");
      if (!Number.isNaN(at) && at > latest) latest = at;
    }
  }
  if (latest === Number.NEGATIVE_INFINITY) {
    const modified = Date.parse(String(fields._modified ?? ""));
    latest = Number.isNaN(modified) ? nowMs : modified;
  }
  return {
    userId: envelope.userKey,
    traits,
    messageId: envelope.msgId,
    timestamp: new Date(latest).toISOString(),
    context: { library: { name: LIBRARY_NAME } },
  };
}
