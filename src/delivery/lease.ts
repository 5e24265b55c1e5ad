// One active delivery worker per channel: a lease in KV segwatch-status that the active worker renews
// and the others (standbys of a rollout or of extra replicas) wait for. Per-user order needs a single
// reader per subscription lane: two readers of one durable consumer would each get some of a user's
// messages. The server's own pinned-client groups do not serve here, because a standby's waiting pull
// makes the server rotate redeliveries to the back of its queue — exactly at a handover, when order
// matters most.
//
// Expiry is judged by the observer's own monotonic clock, not by timestamps in the value: a standby
// takes the lease over when it has seen the same revision for `ttlMs` (no clock skew between
// machines). Every write is a compare-and-set on the revision, so at most one worker holds it.

import type { KV } from "@nats-io/kv";
import { LEASE_DEFAULTS } from "./defaults.ts";
import { describeError } from "./errors.ts";

/** The lease key of a channel's worker pool in KV segwatch-status. */
export function deliveryLeaseKey(pool: string): string {
  return `leases.deliver.${pool}`;
}

export interface LeaseTiming {
  /** A lease not renewed for this long is free. */
  readonly ttlMs: number;
  /** The holder renews this often. */
  readonly renewMs: number;
  /** A standby looks at the lease this often. */
  readonly pollMs: number;
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

export interface LeaseEvents {
  /** The lease was lost while held (taken over, or not renewable for too long): stop at once. */
  readonly lost: (reason: string) => void;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

type LeaseStateName = "idle" | "acquiring" | "held" | "closed";

export class DeliveryLease {
  readonly #kv: KV;
  readonly #key: string;
  readonly #owner: string;
  readonly #timing: LeaseTiming;
  readonly #events: LeaseEvents;
  #state: LeaseStateName = "idle";
  #revision = 0;
  #lastRenewOk = 0;
  #timer: NodeJS.Timeout | undefined;
  #cancelAcquire: (() => void) | undefined;

  constructor(
    kv: KV,
    key: string,
    owner: string,
    events: LeaseEvents,
    timing: Partial<LeaseTiming> = {},
  ) {
    this.#kv = kv;
    this.#key = key;
    this.#owner = owner;
    this.#events = events;
    this.#timing = { ...LEASE_DEFAULTS, ...timing };
  }

  get held(): boolean {
    return this.#state === "held";
  }

  get key(): string {
    return this.#key;
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
          const now = performance.now();
          const revision = entry === null || entry.operation !== "PUT" ? null : entry.revision;
          if (revision !== seen.revision) seen = { revision, since: now };
          const state = leaseState(seen, now, this.#timing.ttlMs);
          if (state !== "held" && (await this.#take(entry?.revision ?? null))) return true;
        } catch (err) {
          this.#events.log?.("reading the lease failed", {
            key: this.#key,
            error: describeError(err),
          });
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
    try {
      await this.#kv.delete(this.#key, { previousSeq: this.#revision });
    } catch (err) {
      // Someone else holds it already, or NATS is gone: either way it is not ours any more.
      this.#events.log?.("releasing the lease failed", {
        key: this.#key,
        error: describeError(err),
      });
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
    try {
      this.#revision =
        previous === null
          ? await this.#kv.create(this.#key, value)
          : await this.#kv.update(this.#key, value, previous);
    } catch {
      return false; // another standby was faster
    }
    this.#state = "held";
    this.#lastRenewOk = performance.now();
    this.#timer = setInterval(() => void this.#renew(), this.#timing.renewMs);
    this.#timer.unref();
    this.#events.log?.("lease acquired", { key: this.#key, owner: this.#owner });
    return true;
  }

  async #renew(): Promise<void> {
    if (this.#state !== "held") return;
    const value = JSON.stringify({ owner: this.#owner, at: new Date().toISOString() });
    try {
      this.#revision = await this.#kv.update(this.#key, value, this.#revision);
      this.#lastRenewOk = performance.now();
    } catch (err) {
      if (this.#state !== "held") return;
      // A revision conflict means it was taken over; anything else may pass, unless it lasts so long
      // that a standby may already have taken over.
      const conflict = isRevisionConflict(err);
      const stale =
        performance.now() - this.#lastRenewOk > this.#timing.ttlMs - this.#timing.renewMs;
      if (conflict || stale) {
        this.#stopRenewing();
        this.#state = "idle";
        this.#events.lost(conflict ? "taken over" : `not renewable: ${describeError(err)}`);
      }
    }
  }

  #stopRenewing(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** KV update at a stale revision: JetStream API error 10071 ("wrong last sequence"). */
function isRevisionConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 10071 || /wrong last sequence/i.test(describeError(err));
}
