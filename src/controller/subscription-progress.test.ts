import { describe, expect, it } from "vitest";
import type { SubscriptionStats } from "./records.ts";
import {
  backfillProgress,
  backfillRequestedAt,
  currentDeliveryError,
  deliveryCounters,
} from "./subscription-progress.ts";

const MIN = 60_000;
const now = Date.parse("2026-03-01T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();
const stats = (extra: Partial<SubscriptionStats> = {}): SubscriptionStats => ({
  delivered: 5,
  failed: 1,
  deadLettered: 0,
  lastDeliveryTime: null,
  lastError: null,
  ...extra,
});

describe("backfillRequestedAt", () => {
  const at = new Date(now);
  it("is set only when a backfill is asked for, and stays what was recorded first", () => {
    expect(backfillRequestedAt(false, undefined, undefined, at)).toBeUndefined();
    expect(backfillRequestedAt(true, undefined, undefined, at)).toBe(at.toISOString());
    expect(backfillRequestedAt(true, undefined, "2026-01-01T00:00:00.000Z", at)).toBe(
      "2026-01-01T00:00:00.000Z",
    );
    expect(
      backfillRequestedAt(
        true,
        { state: "Pending", requestedAt: "2025-12-01T00:00:00.000Z" },
        "2026-01-01T00:00:00.000Z",
        at,
      ),
    ).toBe("2025-12-01T00:00:00.000Z");
  });
});

describe("backfillProgress", () => {
  const requested = "2026-03-01T11:00:00.000Z";

  it("is NotRequested (True) without a backfill", () => {
    const p = backfillProgress(undefined, stats(), undefined);
    expect(p.status).toEqual({ state: "NotRequested" });
    expect(p.condition).toMatchObject({
      type: "Backfilled",
      status: "True",
      reason: "NotRequested",
    });
  });

  it("is Pending until an evaluator reports", () => {
    const p = backfillProgress(requested, stats(), undefined);
    expect(p.status).toEqual({ state: "Pending", requestedAt: requested });
    expect(p.condition).toMatchObject({ status: "False", reason: "Pending" });
  });

  it("follows Running to Complete, keeping when it started", () => {
    const started = "2026-03-01T11:00:01.000Z";
    const running = backfillProgress(
      requested,
      stats({ backfill: { state: "Running", members: 10, at: started } }),
      undefined,
    );
    expect(running.status).toEqual({
      state: "Running",
      requestedAt: requested,
      startedAt: started,
      members: 10,
    });
    expect(running.condition).toMatchObject({ status: "False", reason: "Running" });
    const done = backfillProgress(
      requested,
      stats({ backfill: { state: "Complete", members: 42, at: "2026-03-01T11:05:00.000Z" } }),
      running.status,
    );
    expect(done.status).toEqual({
      state: "Complete",
      requestedAt: requested,
      startedAt: started,
      completedAt: "2026-03-01T11:05:00.000Z",
      members: 42,
    });
    expect(done.condition).toMatchObject({ status: "True", reason: "Complete" });
    const later = backfillProgress(
      requested,
      stats({ backfill: { state: "Running", members: 20, at: "2026-03-01T11:03:00.000Z" } }),
      running.status,
    );
    expect(later.status.startedAt).toBe(started);
    expect(done.condition.message).toContain("42 members");
  });
});

describe("currentDeliveryError", () => {
  const window = 10 * MIN;
  it("is the last error while it is recent and nothing was delivered after it", () => {
    const s = stats({ lastError: "HTTP 500", lastErrorTime: iso(now - MIN) });
    expect(currentDeliveryError(s, now, now, window)).toBe("HTTP 500");
    expect(
      currentDeliveryError({ ...s, lastDeliveryTime: iso(now - MIN / 2) }, now, now, window),
    ).toBeUndefined();
    expect(
      currentDeliveryError({ ...s, lastErrorTime: iso(now - 11 * MIN) }, now, now, window),
    ).toBeUndefined();
  });

  it("falls back to when the counters were written", () => {
    const s = stats({ lastError: "timeout" });
    expect(currentDeliveryError(s, now - MIN, now, window)).toBe("timeout");
    expect(currentDeliveryError(s, now - 20 * MIN, now, window)).toBeUndefined();
    expect(currentDeliveryError(stats(), now, now, window)).toBeUndefined();
    expect(currentDeliveryError(undefined, undefined, now, window)).toBeUndefined();
  });
});

describe("deliveryCounters", () => {
  it("is zero before any worker reported", () => {
    expect(deliveryCounters(undefined)).toEqual({
      delivered: 0,
      failed: 0,
      deadLettered: 0,
      lastDeliveryTime: null,
      lastError: null,
    });
    expect(deliveryCounters(stats({ lastError: "x" }))).toMatchObject({
      delivered: 5,
      lastError: "x",
    });
  });
});
