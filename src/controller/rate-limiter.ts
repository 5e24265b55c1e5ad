// How long a key waits before its next retry: client-go's default controller rate limiter, the
// slower of a per-key exponential backoff and an overall token bucket.

export interface RateLimiter {
  /** The delay before `key` is tried again; counts a failure. */
  when(key: string): number;
  /** Resets the key's failures (after a successful reconcile). */
  forget(key: string): void;
  failures(key: string): number;
}

export class ExponentialRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(baseMs: number, maxMs: number) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(key: string): number {
    const n = this.counts.get(key) ?? 0;
    this.counts.set(key, n + 1);
    // 2^n overflows to Infinity long before it matters; min() caps it.
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  forget(key: string): void {
    this.counts.delete(key);
  }

  failures(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/** A token bucket shared by all keys: beyond the burst, retries are spread at `ratePerSecond`. */
export class BucketRateLimiter implements RateLimiter {
  private readonly ratePerSecond: number;
  private readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(ratePerSecond: number, burst: number, now: () => number = Date.now) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.now = now;
    this.tokens = burst;
    this.last = now();
  }

  when(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
    // Reserve a token even when it is not there yet: the caller waits until it would be.
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }

  forget(): void {}

  failures(): number {
    return 0;
  }
}

export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(key));
    return max;
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  failures(key: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.failures(key));
    return max;
  }
}
