import { describe, expect, it } from "vitest";
import { TokenBucket } from "./pacer.ts";

describe("TokenBucket", () => {
  it("starts full and refills at the rate, up to the burst", () => {
    const b = new TokenBucket(10, 5, 0);
    expect(b.available(0)).toBe(5);
    b.take(5, 0);
    expect(b.available(0)).toBe(0);
    expect(b.msUntilNext(0)).toBe(100);
    expect(b.available(99)).toBe(0);
    expect(b.available(100)).toBe(1);
    expect(b.available(250)).toBe(2);
    expect(b.available(10_000)).toBe(5);
  });

  it("delivers the rate over time", () => {
    const b = new TokenBucket(50, 50, 0);
    let sent = 0;
    for (let t = 0; t <= 10_000; t += 7) {
      const n = b.available(t);
      b.take(n, t);
      sent += n;
    }
    // 50 up front plus 50 per second for 10 s.
    expect(sent).toBeGreaterThanOrEqual(545);
    expect(sent).toBeLessThanOrEqual(550);
  });

  it("refuses a non-positive rate", () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(RangeError);
  });
});
