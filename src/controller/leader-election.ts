// Leader election: one controller replica reconciles, the others wait ready to take over. The
// candidates read a coordination.k8s.io/v1 Lease and write it only with the resourceVersion they
// read, so of two candidates updating at once exactly one succeeds (the other gets 409 Conflict).
// Decisions are lease-decisions.ts; this is the loop around them.

import { setTimeout as sleep } from "node:timers/promises";
import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { isConflict, isNotFound, microTime } from "../resources/kube-client.ts";
import { LEADER_ELECTION_DEFAULTS, type LeaderElectionSettings } from "./defaults.ts";
import {
  decideLease,
  type LeaseObservation,
  type LeaseRecord,
  observe,
  releasedLease,
  renewDeadlinePassed,
} from "./lease-decisions.ts";
import { type Logger, silentLogger } from "./logger.ts";

/** Where the Lease is stored (the Kubernetes API in production). */
export interface LeaseStore {
  get(): Promise<{ readonly record: LeaseRecord; readonly resourceVersion: string } | undefined>;
  /** Fails (isConflict) when it exists already. */
  create(record: LeaseRecord): Promise<void>;
  /** Fails (isConflict) when the stored resourceVersion is another. */
  update(record: LeaseRecord, resourceVersion: string): Promise<void>;
}

export interface LeaderElectorOptions {
  readonly store: LeaseStore;
  /** Unique per replica: the pod name plus something random. */
  readonly identity: string;
  readonly settings?: Partial<LeaderElectionSettings>;
  /** Called when this replica becomes the leader; reconciling starts here. */
  readonly onStartedLeading: () => Promise<void> | void;
  /** Called when it stops being the leader (lost the lease, or stop()); reconciling stops here. */
  readonly onStoppedLeading: () => Promise<void> | void;
  readonly log?: Logger;
  readonly random?: () => number;
}

export class LeaderElector {
  readonly identity: string;
  private readonly opts: LeaderElectorOptions;
  private readonly settings: LeaderElectionSettings;
  private readonly log: Logger;
  private observation: LeaseObservation | undefined;
  private leading = false;
  private lastRenewAt = 0;
  private stopped = false;
  private readonly wake = new AbortController();
  private loop: Promise<void> | undefined;
  private currentHolder = "";

  constructor(opts: LeaderElectorOptions) {
    this.opts = opts;
    this.identity = opts.identity;
    this.settings = { ...LEADER_ELECTION_DEFAULTS, ...opts.settings };
    this.log = opts.log ?? silentLogger;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Who holds the lease as last seen ("" when nobody or not yet read). */
  get holder(): string {
    return this.currentHolder;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops campaigning; a leader stops leading, then releases the lease so another takes over now. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake.abort();
    await this.loop;
    if (this.leading) {
      this.leading = false;
      await this.callback("onStoppedLeading");
      await this.release();
    }
  }

  private async run(): Promise<void> {
    const { retryPeriodMs, retryJitter, renewDeadlineMs } = this.settings;
    const random = this.opts.random ?? Math.random;
    while (!this.stopped) {
      const ok = await this.tryAcquireOrRenew();
      if (this.stopped) return;
      const now = Date.now();
      if (ok) {
        this.lastRenewAt = now;
        if (!this.leading) {
          this.leading = true;
          this.log.info("became the leader", { identity: this.identity });
          if (!(await this.callback("onStartedLeading"))) {
            // A leader that cannot lead must not hold the lease: hand it on, campaign again later.
            this.leading = false;
            await this.callback("onStoppedLeading");
            await this.release();
          }
        }
      } else if (this.leading && renewDeadlinePassed(this.lastRenewAt, now, renewDeadlineMs)) {
        this.leading = false;
        this.log.error("lost the leadership: could not renew the lease in time", {
          identity: this.identity,
        });
        await this.callback("onStoppedLeading");
      }
      const delay = this.leading ? retryPeriodMs : retryPeriodMs * (1 + retryJitter * random());
      await sleep(delay, undefined, { signal: this.wake.signal }).catch(() => {});
    }
  }

  /** True when this replica holds the lease after the call. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { store } = this.opts;
    try {
      const stored = await store.get();
      if (stored) this.observation = observe(this.observation, stored.record, Date.now());
      const decision = decideLease({
        record: stored?.record,
        observation: this.observation,
        identity: this.identity,
        leaseDurationMs: this.settings.leaseDurationMs,
        now: new Date(),
      });
      switch (decision.action) {
        case "wait":
          this.currentHolder = decision.holder;
          return false;
        case "create":
          await store.create(decision.record);
          break;
        case "update":
          await store.update(decision.record, stored!.resourceVersion);
          break;
      }
      this.currentHolder = this.identity;
      this.observation = observe(this.observation, decision.record, Date.now());
      return true;
    } catch (err) {
      // A conflict means someone else wrote first: they lead (or renewed); read again next round.
      if (!isConflict(err))
        this.log.error("leader election: lease request failed", { error: errorText(err) });
      return false;
    }
  }

  private async release(): Promise<void> {
    try {
      const stored = await this.opts.store.get();
      if (!stored || stored.record.holderIdentity !== this.identity) return;
      await this.opts.store.update(
        releasedLease(stored.record, new Date()),
        stored.resourceVersion,
      );
      this.log.info("released the lease", { identity: this.identity });
    } catch (err) {
      // The lease then expires after its duration; nothing else to do.
      this.log.error("releasing the lease failed", { error: errorText(err) });
    }
  }

  /** False when the callback threw (logged). */
  private async callback(which: "onStartedLeading" | "onStoppedLeading"): Promise<boolean> {
    try {
      await this.opts[which]();
      return true;
    } catch (err) {
      this.log.error(`${which} failed`, { error: errorText(err) });
      return false;
    }
  }
}

/** The Lease in the Kubernetes API. */
export class KubernetesLeaseStore implements LeaseStore {
  private readonly api: CoordinationV1Api;
  private readonly namespace: string;
  private readonly name: string;

  constructor(kc: KubeConfig, namespace: string, name: string) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.namespace = namespace;
    this.name = name;
  }

  async get(): Promise<{ record: LeaseRecord; resourceVersion: string } | undefined> {
    try {
      const lease = await this.api.readNamespacedLease({
        name: this.name,
        namespace: this.namespace,
      });
      const s = lease.spec ?? {};
      const record: LeaseRecord = {
        ...(s.holderIdentity !== undefined ? { holderIdentity: s.holderIdentity } : {}),
        ...(s.leaseDurationSeconds !== undefined
          ? { leaseDurationSeconds: s.leaseDurationSeconds }
          : {}),
        ...(s.acquireTime ? { acquireTime: timeText(s.acquireTime) } : {}),
        ...(s.renewTime ? { renewTime: timeText(s.renewTime) } : {}),
        ...(s.leaseTransitions !== undefined ? { leaseTransitions: s.leaseTransitions } : {}),
      };
      return { record, resourceVersion: lease.metadata?.resourceVersion ?? "" };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord): Promise<void> {
    await this.api.createNamespacedLease({
      namespace: this.namespace,
      body: { metadata: { name: this.name, namespace: this.namespace }, spec: leaseSpec(record) },
    });
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<void> {
    await this.api.replaceNamespacedLease({
      name: this.name,
      namespace: this.namespace,
      body: {
        metadata: { name: this.name, namespace: this.namespace, resourceVersion },
        spec: leaseSpec(record),
      },
    });
  }
}

function leaseSpec(record: LeaseRecord): V1Lease["spec"] {
  // MicroTime fields: the generated client passes these strings through unchanged.
  const micro = (t: string | undefined) =>
    t === undefined ? undefined : (microTime(new Date(t)) as unknown as Date);
  return {
    holderIdentity: record.holderIdentity ?? "",
    ...(record.leaseDurationSeconds !== undefined
      ? { leaseDurationSeconds: record.leaseDurationSeconds }
      : {}),
    ...(record.acquireTime ? { acquireTime: micro(record.acquireTime)! } : {}),
    ...(record.renewTime ? { renewTime: micro(record.renewTime)! } : {}),
    ...(record.leaseTransitions !== undefined ? { leaseTransitions: record.leaseTransitions } : {}),
  };
}

function timeText(t: unknown): string {
  return t instanceof Date ? t.toISOString() : String(t);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
