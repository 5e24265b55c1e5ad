// Pacing of a backfill lane: a token bucket, so a backfill of a million members trickles out at a
// steady rate instead of competing with live transitions for the receiver. Pure: time is a parameter.

export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  /** `ratePerSecond` tokens accrue per second, up to `burst`; the bucket starts full. */
  constructor(ratePerSecond: number, burst: number, nowMs: number) {
    if (!(ratePerSecond > 0)) throw new RangeError("ratePerSecond must be positive");
    this.#ratePerMs = ratePerSecond / 1_000;
    this.#burst = Math.max(1, burst);
    this.#tokens = this.#burst;
    this.#at = nowMs;
  }

  /** Whole tokens available now. */
  available(nowMs: number): number {
    this.#refill(nowMs);
    return Math.floor(this.#tokens);
  }

  /** Spends `n` tokens (callers check `available` first; the balance may not go below zero). */
  take(n: number, nowMs: number): void {
    this.#refill(nowMs);
    this.#tokens = Math.max(0, this.#tokens - n);
  }

  /** Milliseconds until one whole token is available (0 when one is). */
  msUntilNext(nowMs: number): number {
    this.#refill(nowMs);
    if (this.#tokens >= 1) return 0;
    return Math.ceil((1 - this.#tokens) / this.#ratePerMs);
  }

  #refill(nowMs: number): void {
    if (nowMs > this.#at) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (nowMs - this.#at) * this.#ratePerMs);
      this.#at = nowMs;
    }
  }
}
