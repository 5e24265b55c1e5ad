import { describe, expect, it } from "vitest";
import {
  classifyWatchError,
  diffListing,
  isOverdue,
  nextStep,
  restartDelayMs,
  watchTimeoutSeconds,
} from "./watch-policy.ts";

const settings = { restartBaseMs: 500, restartMaxMs: 30_000 };

describe("nextStep", () => {
  it("resumes a watch the server closed from the last version, at once", () => {
    expect(nextStep({ kind: "closed" }, 3, settings)).toEqual({
      relist: false,
      delayMs: 0,
      failures: 0,
    });
  });

  it("waits the base delay before resuming a watch that the server ended at once", () => {
    expect(nextStep({ kind: "closed" }, 0, settings, Math.random, 20).delayMs).toBe(500);
    expect(nextStep({ kind: "closed" }, 0, settings, Math.random, 60_000).delayMs).toBe(0);
  });

  it("lists again at once after 410 Gone, a stall or when the periodic relist is due", () => {
    for (const kind of ["expired", "stalled", "relist-due"] as const) {
      expect(nextStep({ kind }, 2, settings)).toEqual({ relist: true, delayMs: 0, failures: 0 });
    }
  });

  it("lists again after a growing, capped backoff while failures continue", () => {
    const max = () => 0.999_999;
    const failed = { kind: "failed", error: new Error("ECONNREFUSED") } as const;
    let failures = 0;
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const step = nextStep(failed, failures, settings, max);
      expect(step.relist).toBe(true);
      failures = step.failures;
      delays.push(step.delayMs);
    }
    expect(failures).toBe(9);
    expect(delays.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
    expect(Math.max(...delays)).toBe(30_000);
    // A success resets the count.
    expect(nextStep({ kind: "closed" }, failures, settings).failures).toBe(0);
  });
});

describe("restartDelayMs", () => {
  it("is jittered into the upper half of the exponential delay", () => {
    expect(restartDelayMs(3, settings, () => 0)).toBe(1000);
    expect(restartDelayMs(3, settings, () => 0.5)).toBe(1500);
    expect(restartDelayMs(0, settings, () => 0.5)).toBe(0);
  });
});

describe("watchTimeoutSeconds", () => {
  it("spreads the timeout between base and twice base", () => {
    expect(watchTimeoutSeconds(240, () => 0)).toBe(240);
    expect(watchTimeoutSeconds(240, () => 0.5)).toBe(360);
  });
});

describe("isOverdue", () => {
  it("is true once the period has passed", () => {
    expect(isOverdue(1000, 1999, 1000)).toBe(false);
    expect(isOverdue(1000, 2000, 1000)).toBe(true);
  });
});

describe("diffListing", () => {
  it("reports new, changed and vanished keys", () => {
    const known = new Map([
      ["a", "1"],
      ["b", "2"],
      ["c", "3"],
    ]);
    const d = diffListing(known, [
      { key: "a", resourceVersion: "1" },
      { key: "b", resourceVersion: "5" },
      { key: "d", resourceVersion: "6" },
    ]);
    expect(d.changed).toEqual(["b", "d"]);
    expect(d.deleted).toEqual(["c"]);
    expect([...d.known]).toEqual([
      ["a", "1"],
      ["b", "5"],
      ["d", "6"],
    ]);
  });
});

describe("classifyWatchError", () => {
  it("tells a normal end, 410 Gone, the client's inactivity timeout and failures apart", () => {
    expect(classifyWatchError(null)).toEqual({ kind: "closed" });
    expect(classifyWatchError({ statusCode: 410 })).toEqual({ kind: "expired" });
    expect(classifyWatchError({ code: 410 })).toEqual({ kind: "expired" });
    expect(classifyWatchError(new DOMException("t", "TimeoutError"))).toEqual({ kind: "closed" });
    const err = Object.assign(new Error("Forbidden"), { statusCode: 403 });
    expect(classifyWatchError(err)).toEqual({ kind: "failed", error: err });
  });
});
