// What a leader-election candidate does with the Lease it read: create it, take it over, renew it,
// or wait — client-go's tryAcquireOrRenew, pure. Expiry is judged on the candidate's own clock from
// when it last saw the record change (not from renewTime, which another machine's clock wrote), so
// clock skew between replicas cannot make two of them lead.

/** coordination.k8s.io/v1 LeaseSpec, with times as RFC 3339 strings. */
export interface LeaseRecord {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}

/** When this candidate last saw the record change. */
export interface LeaseObservation {
  readonly fingerprint: string;
  readonly observedAt: number;
}

export function observe(
  previous: LeaseObservation | undefined,
  record: LeaseRecord,
  now: number,
): LeaseObservation {
  const fingerprint = JSON.stringify([
    record.holderIdentity ?? "",
    record.renewTime ?? "",
    record.acquireTime ?? "",
    record.leaseTransitions ?? 0,
  ]);
  return previous?.fingerprint === fingerprint ? previous : { fingerprint, observedAt: now };
}

export type LeaseDecision =
  | { readonly action: "create"; readonly record: LeaseRecord }
  /** Acquire (another holder's lease expired or was released) or renew our own. */
  | { readonly action: "update"; readonly record: LeaseRecord; readonly acquired: boolean }
  | { readonly action: "wait"; readonly holder: string; readonly expiresInMs: number };

export interface LeaseInput {
  /** The stored record; undefined when the Lease does not exist. */
  readonly record: LeaseRecord | undefined;
  readonly observation: LeaseObservation | undefined;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly now: Date;
}

export function decideLease(input: LeaseInput): LeaseDecision {
  const { record, identity, now } = input;
  const at = now.toISOString();
  const durationSeconds = Math.ceil(input.leaseDurationMs / 1000);
  if (!record)
    return {
      action: "create",
      record: {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: at,
        renewTime: at,
        leaseTransitions: 0,
      },
    };
  const holder = record.holderIdentity ?? "";
  if (holder === identity)
    return {
      action: "update",
      acquired: false,
      record: {
        ...record,
        leaseDurationSeconds: durationSeconds,
        renewTime: at,
        acquireTime: record.acquireTime ?? at,
      },
    };
  if (holder !== "") {
    const durationMs = (record.leaseDurationSeconds ?? durationSeconds) * 1000;
    const seenAt = input.observation?.observedAt ?? now.getTime();
    const expiresInMs = seenAt + durationMs - now.getTime();
    if (expiresInMs > 0) return { action: "wait", holder, expiresInMs };
  }
  return {
    action: "update",
    acquired: true,
    record: {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: at,
      renewTime: at,
      leaseTransitions: (record.leaseTransitions ?? 0) + (holder === "" ? 0 : 1),
    },
  };
}

/** The record a leader writes when it steps down on purpose: the next candidate need not wait. */
export function releasedLease(record: LeaseRecord, now: Date): LeaseRecord {
  const at = now.toISOString();
  return {
    ...record,
    holderIdentity: "",
    leaseDurationSeconds: 1,
    acquireTime: at,
    renewTime: at,
  };
}

/** A leader that has not renewed for the renew deadline must stop acting as one. */
export function renewDeadlinePassed(
  lastRenewAt: number,
  now: number,
  renewDeadlineMs: number,
): boolean {
  return now - lastRenewAt >= renewDeadlineMs;
}
