import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { BucketRateLimiter, ExponentialRateLimiter, MaxOfRateLimiter } from "./rate-limiter.ts";
import { WorkQueue } from "./work-queue.ts";

const queue = () => new WorkQueue(new ExponentialRateLimiter(1, 1_000));

describe("WorkQueue", () => {
  it("hands out keys in order and de-duplicates keys waiting in the queue", async () => {
    const q = queue();
    q.add("a");
    q.add("b");
    q.add("a");
    expect(q.length).toBe(2);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
    q.done("a");
    q.done("b");
    expect(q.idle).toBe(true);
  });

  it("never hands out a key being processed; an add meanwhile queues it again after done", async () => {
    const q = queue();
    q.add("a");
    const first = await q.get();
    q.add("a");
    q.add("a");
    expect(q.length).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => {
      second = k;
    });
    await sleep(5);
    expect(second).toBeUndefined();
    q.done(first!);
    await sleep(0);
    expect(second).toBe("a");
  });

  it("wakes a waiting get() on add", async () => {
    const q = queue();
    const got = q.get();
    q.add("x");
    expect(await got).toBe("x");
  });

  it("addAfter keeps the earlier of two delays", async () => {
    const q = queue();
    q.addAfter("a", 10_000);
    q.addAfter("a", 5);
    expect(q.delayed).toBe(1);
    expect(await q.get()).toBe("a");
    q.done("a");
    expect(q.idle).toBe(true);
    expect(q.delayed).toBe(0);
  });

  it("backs off exponentially per key until forgotten", () => {
    const q = queue();
    expect(q.addRateLimited("a")).toBe(1);
    expect(q.addRateLimited("a")).toBe(2);
    expect(q.addRateLimited("a")).toBe(4);
    expect(q.failures("a")).toBe(3);
    q.forget("a");
    expect(q.failures("a")).toBe(0);
    expect(q.addRateLimited("a")).toBe(1);
    q.shutDown();
  });

  it("shutDown releases waiting getters and drops pending work", async () => {
    const q = queue();
    const got = q.get();
    q.addAfter("later", 10_000);
    q.shutDown();
    expect(await got).toBeUndefined();
    q.add("x");
    expect(await q.get()).toBeUndefined();
  });
});

describe("rate limiters", () => {
  it("caps the exponential backoff", () => {
    const l = new ExponentialRateLimiter(100, 1_000);
    const delays = Array.from({ length: 6 }, () => l.when("k"));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(l.when("other")).toBe(100);
  });

  it("spreads retries beyond the burst at the bucket's rate", () => {
    let now = 0;
    const l = new BucketRateLimiter(10, 2, () => now);
    expect([l.when(), l.when(), l.when(), l.when()]).toEqual([0, 0, 100, 200]);
    now = 1_000;
    expect(l.when()).toBe(0);
  });

  it("takes the slower of its limiters", () => {
    const now = 0;
    const l = new MaxOfRateLimiter(
      new ExponentialRateLimiter(5, 1_000),
      new BucketRateLimiter(1, 1, () => now),
    );
    expect(l.when("a")).toBe(5);
    expect(l.when("a")).toBe(1_000);
    expect(l.failures("a")).toBe(2);
    l.forget("a");
    expect(l.failures("a")).toBe(0);
  });
});
