// A de-duplicating, delaying, rate-limited work queue in client-go's shape: a key waiting in the queue
// is queued once however often it is added; a key being processed is never handed out twice — if it
// is added meanwhile, it is queued again when `done` is called. Reconciles read current state, so
// coalescing notifications loses nothing.

import type { RateLimiter } from "./rate-limiter.ts";

export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys that need processing (queued, or added again while processing). */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  /** Delayed adds: key → when it is due and its timer. Only the earliest is kept. */
  private readonly waiting = new Map<string, { due: number; timer: NodeJS.Timeout }>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private readonly limiter: RateLimiter;
  private readonly now: () => number;
  private shuttingDown = false;

  constructor(limiter: RateLimiter, now: () => number = Date.now) {
    this.limiter = limiter;
    this.now = now;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const getter = this.getters.shift();
    if (getter) {
      this.dirty.delete(key);
      this.processing.add(key);
      getter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Adds the key after `ms`; a key already waiting keeps the earlier of the two times. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = this.now() + ms;
    const existing = this.waiting.get(key);
    if (existing && existing.due <= due) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.waiting.set(key, { due, timer });
  }

  /** Adds the key after its backoff (call after a failed reconcile). */
  addRateLimited(key: string): number {
    const ms = this.limiter.when(key);
    this.addAfter(key, ms);
    return ms;
  }

  /** Clears the key's backoff (call after a successful reconcile). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  failures(key: string): number {
    return this.limiter.failures(key);
  }

  /** The next key to process, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks the key processed; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  /** Queued keys (not counting those being processed or waiting for a delay). */
  get length(): number {
    return this.queue.length;
  }

  /** True when no key is queued or being processed (delayed adds may still be waiting). */
  get idle(): boolean {
    return this.queue.length === 0 && this.processing.size === 0;
  }

  /** Keys waiting for a delay to pass. */
  get delayed(): number {
    return this.waiting.size;
  }

  /** Stops handing out keys; pending `get()`s resolve undefined. Keys in processing may finish. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    this.queue.length = 0;
    this.dirty.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }
}
