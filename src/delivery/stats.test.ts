import { headers } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { HEADER } from "../nats/names.ts";
import { deadLetterHeaders, headerSafe } from "./dead-letter.ts";
import { addDelta, applyDelta, emptyDelta, isEmptyDelta } from "./stats.ts";

describe("stats deltas", () => {
  it("accumulates counts and keeps the latest time and error", () => {
    const d = emptyDelta();
    expect(isEmptyDelta(d)).toBe(true);
    addDelta(d, { ...emptyDelta(), delivered: 2, lastDeliveryTime: "2026-01-01T00:00:02Z" });
    addDelta(d, {
      ...emptyDelta(),
      failed: 1,
      lastError: "HTTP 503",
      lastErrorTime: "2026-01-01T00:00:01Z",
    });
    addDelta(d, { ...emptyDelta(), delivered: 1, lastDeliveryTime: "2026-01-01T00:00:01Z" });
    expect(d).toEqual({
      delivered: 3,
      failed: 1,
      deadLettered: 0,
      lastDeliveryTime: "2026-01-01T00:00:02Z",
      lastError: "HTTP 503",
      lastErrorTime: "2026-01-01T00:00:01Z",
    });
    expect(isEmptyDelta(d)).toBe(false);
  });

  it("applies onto nothing", () => {
    expect(applyDelta(undefined, { ...emptyDelta(), delivered: 1, lastDeliveryTime: "t" })).toEqual(
      {
        delivered: 1,
        failed: 0,
        deadLettered: 0,
        lastDeliveryTime: "t",
        lastError: null,
        lastErrorTime: null,
      },
    );
  });

  it("adds onto what another worker stored and keeps fields it does not own", () => {
    const stored = {
      delivered: 10,
      failed: 2,
      deadLettered: 1,
      lastDeliveryTime: "2026-01-01T00:00:05Z",
      lastError: "old",
      lastErrorTime: "2026-01-01T00:00:04Z",
      backfill: { state: "Running" as const, members: 7, at: "2026-01-01T00:00:00Z" },
    };
    expect(
      applyDelta(stored, {
        delivered: 5,
        failed: 0,
        deadLettered: 0,
        lastDeliveryTime: "2026-01-01T00:00:03Z",
        lastError: null,
        lastErrorTime: null,
      }),
    ).toEqual({ ...stored, delivered: 15, lastDeliveryTime: "2026-01-01T00:00:05Z" });
  });

  it("keeps the later error when workers flush out of order", () => {
    const stored = { lastError: "newer", lastErrorTime: "2026-01-01T00:00:09Z" };
    const older = {
      ...emptyDelta(),
      failed: 1,
      lastError: "older",
      lastErrorTime: "2026-01-01T00:00:01Z",
    };
    expect(applyDelta(stored, older)).toMatchObject({ failed: 1, lastError: "newer" });
    const newest = { ...older, lastError: "newest", lastErrorTime: "2026-01-01T00:00:10Z" };
    expect(applyDelta(stored, newest)).toMatchObject({
      lastError: "newest",
      lastErrorTime: "2026-01-01T00:00:10Z",
    });
  });
});

describe("deadLetterHeaders", () => {
  it("keeps the original headers and adds the error and attempts", () => {
    const h = headers();
    h.set(HEADER.msgId, "k1");
    h.set(HEADER.user, "u1");
    h.append("X-Extra", "a");
    h.append("X-Extra", "b");
    h.set(HEADER.attempts, "99");
    const out = deadLetterHeaders(h, "webhook: HTTP 404:\r\nnot found", 3);
    expect(out.get(HEADER.msgId)).toBe("k1");
    expect(out.get(HEADER.user)).toBe("u1");
    expect(out.values("X-Extra")).toEqual(["a", "b"]);
    expect(out.get(HEADER.error)).toBe("webhook: HTTP 404: not found");
    expect(out.values(HEADER.attempts)).toEqual(["3"]);
  });

  it("bounds the error text", () => {
    expect(headerSafe("x".repeat(5_000))).toHaveLength(1_024);
    expect(deadLetterHeaders(undefined, "", 1).get(HEADER.error)).toBe("unknown error");
  });
});
