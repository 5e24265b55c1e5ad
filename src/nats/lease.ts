// A lease in a KV bucket (segwatch-status): one holder at a time, renewed by the holder, waited for
// by the others (standbys of a rollout or of extra replicas). The delivery worker of a channel pool
// and the evaluator's partition workers each hold one while they read their durable consumers: two
// readers of one durable consumer would each get some of a user's messages.
//
// Expiry is judged by the observer's own monotonic clock, not by timestamps in the value: a standby
// takes the lease over when it has seen the same revision for `ttlMs` (no clock skew between
// machines). Every write is a compare-and-set on the revision, so at most one party holds it.
//
// The holder fences itself by the same clock: a renewal sent at t (before the server stored it, so
// before any standby can have seen that revision) keeps the lease valid until t + ttlMs − renewMs.
// When that passes without a newer renewal the holder reports the lease lost — a renewMs margin
// before the earliest moment a standby can take it — even while a renewal request still hangs.

import type { KV, KvEntry } from "@nats-io/kv";
import { describeError } from "./errors.ts";

export interface LeaseTiming {
  /** A lease not renewed for this long is free. */
  readonly ttlMs: number;
  /** The holder renews this often; also the margin between the holder stopping and a takeover. */
  readonly renewMs: number;
  /** A standby looks at the lease this often. */
  readonly pollMs: number;
}

export class LeaseTimingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LeaseTimingError";
  }
}

/** Rejects timings under which a holder could not tell it lost the lease before a takeover. */
export function checkLeaseTiming(t: LeaseTiming): LeaseTiming {
  for (const field of ["ttlMs", "renewMs", "pollMs"] as const) {
    if (!Number.isFinite(t[field]) || t[field] <= 0)
      throw new LeaseTimingError(`lease ${field}: expected a duration above 0, got ${t[field]}`);
  }
  if (t.ttlMs < 2 * t.renewMs)
    throw new LeaseTimingError(
      `lease ttlMs: ${t.ttlMs} must be at least twice renewMs (${t.renewMs}), so that a holder may miss a renewal and still stop before a standby takes over`,
    );
  return t;
}

/**
 * What a standby concludes from what it saw (pure). `revision` null: no lease (never taken, or
 * released); a revision unchanged since `since` for `ttlMs` is abandoned.
 */
export function leaseState(
  seen: { readonly revision: number | null; readonly since: number },
  now: number,
  ttlMs: number,
): "free" | "held" | "expired" {
  if (seen.revision === null) return "free";
  return now - seen.since >= ttlMs ? "expired" : "held";
}

/** The owner named in a lease's value, if it names one. */
export function leaseOwner(entry: Pick<KvEntry, "string"> | null): string | undefined {
  if (!entry) return undefined;
  try {
    const owner = (JSON.parse(entry.string()) as { owner?: unknown } | null)?.owner;
    return typeof owner === "string" ? owner : undefined;
  } catch {
    return undefined;
  }
}

export interface LeaseEvents {
  /** The lease was lost while held (taken over, or not renewable for too long): stop at once. */
  readonly lost: (reason: string) => void;
  /** While acquiring: someone else holds the lease (called when the holder seen changes). */
  readonly waiting?: (owner: string) => void;
  readonly log?: (
    message: string,
    fields?: Record<string, unknown>,
    level?: "info" | "warn",
  ) => void;
}

type LeaseStateName = "idle" | "acquiring" | "held" | "closed";

export class KvLease {
  readonly #kv: KV;
  readonly #key: string;
  readonly #owner: string;
  readonly #timing: LeaseTiming;
  readonly #events: LeaseEvents;
  #state: LeaseStateName = "idle";
  #revision = 0;
  /** When the request of the last successful write (take or renewal) was sent. */
  #validFrom = 0;
  #lastError: string | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  /** The renewal in flight, if any (renewals never overlap). */
  #renewing: Promise<void> | undefined;
  #cancelAcquire: (() => void) | undefined;

  constructor(kv: KV, key: string, owner: string, events: LeaseEvents, timing: LeaseTiming) {
    this.#kv = kv;
    this.#key = key;
    this.#owner = owner;
    this.#events = events;
    this.#timing = checkLeaseTiming({ ...timing });
  }

  get held(): boolean {
    return this.#state === "held";
  }

  /**
   * Held, and by this holder's clock still safe to act under: false from ttlMs − renewMs after the
   * last renewal was sent, even before the loss is reported (timers may run late; this does not).
   */
  get valid(): boolean {
    return this.held && performance.now() - this.#validFrom < this.#validityMs;
  }

  /**
   * `valid`, for a holder about to act: a validity that ran out is reported as lost at once, before
   * the watchdog's timer gets to run — a late renewal answer cannot then revive a lease its holder
   * already stopped acting under.
   */
  checkValid(): boolean {
    if (this.valid) return true;
    if (this.held) this.#lose(this.#notRenewed());
    return false;
  }

  get key(): string {
    return this.#key;
  }

  get owner(): string {
    return this.#owner;
  }

  get #validityMs(): number {
    return this.#timing.ttlMs - this.#timing.renewMs;
  }

  /** Resolves once the lease is ours; false when `cancel()` or `close()` ended the wait. */
  async acquire(): Promise<boolean> {
    if (this.#state === "held") return true;
    if (this.#state !== "idle") return false;
    this.#state = "acquiring";
    let seen: { revision: number | null; since: number } = {
      revision: -1,
      since: performance.now(),
    };
    let holder: string | undefined;
    /** The last failure to read, reported once while it lasts. */
    let failure: string | undefined;
    let cancelled = false;
    const wake: { fn: (() => void) | undefined } = { fn: undefined };
    this.#cancelAcquire = () => {
      cancelled = true;
      wake.fn?.();
    };
    try {
      while (!cancelled) {
        try {
          const entry = await this.#kv.get(this.#key);
          if (cancelled) break;
          const now = performance.now();
          const revision = entry === null || entry.operation !== "PUT" ? null : entry.revision;
          if (revision !== seen.revision) seen = { revision, since: now };
          const state = leaseState(seen, now, this.#timing.ttlMs);
          if (state !== "held" && (await this.#take(entry?.revision ?? null))) return true;
          const owner = revision === null ? undefined : leaseOwner(entry);
          if (owner !== undefined && owner !== holder) this.#events.waiting?.(owner);
          holder = owner;
          failure = undefined;
        } catch (err) {
          const error = describeError(err);
          if (error !== failure)
            this.#events.log?.("reading the lease failed", { key: this.#key, error }, "warn");
          failure = error;
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.#timing.pollMs);
          wake.fn = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
      return false;
    } finally {
      this.#cancelAcquire = undefined;
      if (this.#state === "acquiring") this.#state = "idle";
    }
  }

  /** Stops waiting in `acquire()`. */
  cancel(): void {
    this.#cancelAcquire?.();
  }

  /** Gives the lease up now (a standby takes it at its next look). */
  async release(): Promise<void> {
    if (this.#state !== "held") return;
    this.#stopRenewing();
    this.#state = "idle";
    // A renewal in flight moves the revision: delete at the one it leaves.
    await this.#renewing;
    try {
      await this.#kv.delete(this.#key, { previousSeq: this.#revision });
    } catch (err) {
      // Someone else holds it already, or NATS is gone: either way it is not ours any more.
      this.#events.log?.(
        "releasing the lease failed",
        { key: this.#key, error: describeError(err) },
        "warn",
      );
    }
  }

  /** Stops renewing without releasing: a standby takes over once the TTL has passed. */
  abandon(): void {
    if (this.#state !== "held") return;
    this.#stopRenewing();
    this.#state = "idle";
  }

  close(): void {
    this.cancel();
    this.#stopRenewing();
    this.#state = "closed";
  }

  async #take(previous: number | null): Promise<boolean> {
    const value = JSON.stringify({ owner: this.#owner, at: new Date().toISOString() });
    const sent = performance.now();
    try {
      this.#revision =
        previous === null
          ? await this.#kv.create(this.#key, value)
          : await this.#kv.update(this.#key, value, previous);
    } catch {
      return false; // another standby was faster
    }
    if (this.#state !== "acquiring") return false; // cancelled meanwhile; the lease lapses
    this.#state = "held";
    this.#lastError = undefined;
    this.#renewed(sent);
    this.#scheduleRenewal(this.#timing.renewMs);
    this.#events.log?.("lease acquired", { key: this.#key, owner: this.#owner });
    return true;
  }

  /** A write sent at `sent` succeeded: the lease is valid for another ttl − renew from then. */
  #renewed(sent: number): void {
    this.#validFrom = sent;
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(
      () => this.#lose(this.#notRenewed()),
      Math.max(0, sent + this.#validityMs - performance.now()),
    );
    this.#watchdog.unref();
  }

  #scheduleRenewal(delayMs: number): void {
    this.#renewTimer = setTimeout(() => {
      this.#renewTimer = undefined;
      this.#renewing = this.#renew().finally(() => {
        this.#renewing = undefined;
      });
    }, delayMs);
    this.#renewTimer.unref();
  }

  async #renew(): Promise<void> {
    if (this.#state !== "held") return;
    const value = JSON.stringify({ owner: this.#owner, at: new Date().toISOString() });
    const sent = performance.now();
    try {
      // Kept even when released meanwhile: release() deletes at the revision this leaves.
      this.#revision = await this.#kv.update(this.#key, value, this.#revision);
      if (this.#state !== "held") return;
      this.#lastError = undefined;
      this.#renewed(sent);
    } catch (err) {
      if (this.#state !== "held") return;
      // A revision conflict means it was taken over; anything else may pass (the watchdog reports
      // the loss if it lasts until the lease is no longer safely ours).
      if (isRevisionConflict(err)) {
        this.#lose("taken over");
        return;
      }
      this.#lastError = describeError(err);
    }
    if (this.#state === "held")
      this.#scheduleRenewal(Math.max(0, sent + this.#timing.renewMs - performance.now()));
  }

  #notRenewed(): string {
    return `not renewable: ${this.#lastError ?? "no answer to the renewal"}`;
  }

  #lose(reason: string): void {
    if (this.#state !== "held") return;
    this.#stopRenewing();
    this.#state = "idle";
    this.#events.lost(reason);
  }

  #stopRenewing(): void {
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#watchdog);
    this.#renewTimer = undefined;
    this.#watchdog = undefined;
  }
}

/** KV update at a stale revision: JetStream API error 10071 ("wrong last sequence"). */
function isRevisionConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 10071 || /wrong last sequence/i.test(describeError(err));
}
