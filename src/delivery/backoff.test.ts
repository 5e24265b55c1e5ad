import { describe, expect, it } from "vitest";
import { backoffCeiling, backoffDelay, parseRetryAfter, retryDelay } from "./backoff.ts";

const settings = { initialBackoffMs: 1_000, maxBackoffMs: 600_000 };

describe("backoffCeiling", () => {
  it("doubles from the initial backoff up to the maximum", () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffCeiling(a, settings))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000,
    ]);
    expect(backoffCeiling(10, settings)).toBe(512_000);
    expect(backoffCeiling(11, settings)).toBe(600_000);
    expect(backoffCeiling(1_000, settings)).toBe(600_000);
  });

  it("never exceeds the maximum, even with an initial above it", () => {
    expect(backoffCeiling(1, { initialBackoffMs: 5_000, maxBackoffMs: 2_000 })).toBe(2_000);
  });

  it("treats attempt 0 or less as the first", () => {
    expect(backoffCeiling(0, settings)).toBe(1_000);
    expect(backoffCeiling(-3, settings)).toBe(1_000);
  });
});

describe("backoffDelay (full jitter)", () => {
  it("spans 0 to the ceiling inclusive", () => {
    expect(backoffDelay(3, settings, () => 0)).toBe(0);
    expect(backoffDelay(3, settings, () => 0.999_999_999)).toBe(4_000);
    expect(backoffDelay(3, settings, () => 0.5)).toBe(2_000);
  });

  it("stays within bounds for random draws", () => {
    for (let attempt = 1; attempt <= 20; attempt++) {
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, settings);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(backoffCeiling(attempt, settings));
      }
    }
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");

  it("reads delay-seconds", () => {
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter("7", now)).toBe(7_000);
    expect(parseRetryAfter(" 120 ", now)).toBe(120_000);
  });

  it("reads an HTTP-date relative to now", () => {
    expect(parseRetryAfter("Sun, 01 Mar 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
  });

  it("takes a date in the past as now", () => {
    expect(parseRetryAfter("Sun, 01 Mar 2026 11:00:00 GMT", now)).toBe(0);
  });

  it("ignores absent and malformed values", () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
    expect(parseRetryAfter("1.5", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});

describe("retryDelay", () => {
  it("honors Retry-After over the backoff", () => {
    expect(retryDelay(1, settings, 5_000, () => 0)).toBe(5_000);
    expect(retryDelay(9, settings, 0, () => 0.99)).toBe(0);
  });

  it("bounds Retry-After by the maximum backoff", () => {
    expect(retryDelay(1, settings, 3_600_000)).toBe(600_000);
  });

  it("falls back to jittered backoff", () => {
    expect(retryDelay(2, settings, undefined, () => 0.5)).toBe(1_000);
  });
});
