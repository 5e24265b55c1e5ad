// The delivery worker of one channel: watches the subscription records in KV segwatch-registry and,
// while it holds its pool's lease (lease.ts), consumes the two lanes of every subscription of its
// channel, following the records as they change (new settings apply to later attempts) or disappear
// (consuming stops; the controller deletes the consumers). Without the lease it waits as a standby.

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  DELIVERY_DEFAULTS,
  type DeliveryRecord,
  type SubscriptionRecord,
} from "../controller/records.ts";
import type { LeaseTiming } from "../nats/lease.ts";
import type { Lane } from "../nats/names.ts";
import type { DeliveryChannel } from "./channel.ts";
import { ensureDeliveryConsumers, LANES } from "./consumer-config.ts";
import { CONSUME_DEFAULTS, WORKER_DEFAULTS } from "./defaults.ts";
import { DeliveryWorkerError, describeError } from "./errors.ts";
import {
  type DeliveryLog,
  type DeliveryObserver,
  type LaneDeps,
  type LaneRelease,
  type LaneSettings,
  LaneWorker,
} from "./lane.ts";
import { DeliveryLease, deliveryLeaseKey } from "./lease.ts";
import { StatusWriter } from "./status-writer.ts";

/** Registry keys of subscriptions (nats/names.ts registryKey.subscription). */
const SUBSCRIPTION_KEYS = "subscriptions.>";
/** A subscription whose consumers could not be set up is tried again after this long. */
const SETUP_RETRY_MS = 5_000;

export interface DeliveryWorkerOptions {
  readonly nc: NatsConnection;
  /** KV segwatch-registry (bootstrap's `registry`). */
  readonly registry: KV;
  /** KV segwatch-status (bootstrap's `status`): counters and the lease. */
  readonly status: KV;
  readonly channel: DeliveryChannel;
  /** Workers of one pool take turns (one active at a time); default: the channel's name. */
  readonly pool?: string;
  /** This worker's name in the lease (default host-pid-random). */
  readonly owner?: string;
  readonly lease?: Partial<LeaseTiming>;
  /** Create the subscriptions' consumers when missing (default true; the controller does too). */
  readonly ensureConsumers?: boolean;
  readonly backfillMaxInFlight?: number;
  readonly backfillRatePerSecond?: number;
  /** How often at most a backfill lane writes how far it has delivered (default 1 s). */
  readonly backfillProgressMs?: number;
  /** How long stop() lets in-flight deliveries finish before releasing their messages. */
  readonly stopTimeoutMs?: number;
  readonly statusFlushMs?: number;
  readonly extendEveryMs?: number;
  readonly dlqRetryMs?: number;
  readonly consumeExpiresMs?: number;
  readonly releaseWaitMs?: number;
  /** Jitter source (tests make it deterministic). */
  readonly random?: () => number;
  readonly log?: DeliveryLog;
  readonly observer?: DeliveryObserver;
}

interface Running {
  record: SubscriptionRecord;
  readonly lanes: Map<Lane, LaneWorker>;
}

type State = "new" | "running" | "stopping" | "stopped";

export class DeliveryWorker {
  readonly #opts: DeliveryWorkerOptions;
  readonly #js: JetStreamClient;
  #jsm: JetStreamManager | undefined;
  readonly #status: StatusWriter;
  readonly #log: DeliveryLog;
  readonly #lease: DeliveryLease;
  /** Every record of this channel, by registry key, whether active or not. */
  readonly #records = new Map<string, { record: SubscriptionRecord; revision: number }>();
  /** The subscriptions being consumed (only while the lease is held), by registry key. */
  readonly #subs = new Map<string, Running>();
  readonly #retries = new Map<string, NodeJS.Timeout>();
  #active = false;
  #leaseLost: (() => void) | undefined;
  #leading: Promise<void> = Promise.resolve();
  #watcher: { stop(): void } | undefined;
  #watching: Promise<void> = Promise.resolve();
  /** Registry changes and lease transitions are applied one at a time, in order. */
  #ops: Promise<void> = Promise.resolve();
  #state: State = "new";
  #stopped: Promise<void> | undefined;
  #waiters: { id: string; resolve: () => void }[] = [];

  constructor(opts: DeliveryWorkerOptions) {
    this.#opts = opts;
    this.#js = jetstream(opts.nc);
    this.#log = opts.log ?? (() => {});
    this.#status = new StatusWriter(opts.status, {
      flushIntervalMs: opts.statusFlushMs ?? WORKER_DEFAULTS.statusFlushMs,
      onError: (key, err) =>
        this.#log("warn", "writing status failed", { key, error: describeError(err) }),
    });
    const owner = opts.owner ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.#lease = new DeliveryLease(
      opts.status,
      deliveryLeaseKey(opts.pool ?? opts.channel.name),
      owner,
      {
        lost: (reason) => this.#onLeaseLost(reason),
        log: (message, fields) => this.#log("info", message, fields),
      },
      opts.lease,
    );
  }

  get channel(): string {
    return this.#opts.channel.name;
  }

  /** True while this worker holds the lease and consumes; false as a standby. */
  get active(): boolean {
    return this.#active;
  }

  /** Ids of the subscriptions being consumed. */
  get subscriptions(): string[] {
    return [...this.#subs.values()].map((r) => r.record.id);
  }

  isConsuming(subscriptionId: string): boolean {
    for (const r of this.#subs.values()) if (r.record.id === subscriptionId) return true;
    return false;
  }

  /** Resolves once the subscription's lanes are consuming (for tests and `segwatch dev`). */
  whenConsuming(subscriptionId: string): Promise<void> {
    if (this.isConsuming(subscriptionId)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ id: subscriptionId, resolve }));
  }

  /** Starts watching the registry and competing for the lease; resolves before the lease is held. */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new DeliveryWorkerError(`start() when ${this.#state}`);
    this.#state = "running";
    try {
      this.#jsm = await jetstreamManager(this.#opts.nc);
      const watcher = await this.#opts.registry.watch({ key: SUBSCRIPTION_KEYS });
      this.#watcher = watcher;
      this.#watching = (async () => {
        for await (const entry of watcher) this.#enqueue(() => this.#apply(entry));
      })().catch((err) =>
        this.#log("error", "registry watch ended", { error: describeError(err) }),
      );
    } catch (err) {
      this.#state = "stopped";
      throw new DeliveryWorkerError(`watching ${SUBSCRIPTION_KEYS} failed: ${describeError(err)}`, {
        cause: err,
      });
    }
    this.#status.start();
    this.#leading = this.#lead();
    this.#log("info", "delivery worker started", { channel: this.channel, lease: this.#lease.key });
  }

  /**
   * Stops watching and consuming: in-flight deliveries get `stopTimeoutMs` to finish, messages still
   * held are released for redelivery, the counters are flushed and the lease is handed over.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#state = "stopping";
    this.#watcher?.stop();
    this.#lease.cancel();
    this.#leaseLost?.();
    await this.#watching;
    await this.#leading;
    await this.#ops;
    for (const t of this.#retries.values()) clearTimeout(t);
    this.#retries.clear();
    const releases = await this.#stopLanes();
    if (releases.some((r) => r.lostInTransit)) {
      // Messages in transit return only after the ack wait; a successor starting earlier would read
      // newer messages first. Letting the lease lapse makes it wait.
      this.#lease.abandon();
    } else {
      await this.#lease.release();
    }
    this.#lease.close();
    this.#active = false;
    await this.#status.stop();
    this.#state = "stopped";
    this.#log("info", "delivery worker stopped", { channel: this.channel });
  }

  // ---- the lease -----------------------------------------------------------------------------

  /** Acquire, consume while held, and start over when it is lost; until stop(). */
  async #lead(): Promise<void> {
    while (this.#state === "running") {
      const got = await this.#lease.acquire();
      if (!got || this.#state !== "running") return;
      const lost = new Promise<void>((resolve) => {
        this.#leaseLost = resolve;
      });
      this.#enqueue(() => this.#activate());
      await lost;
      this.#leaseLost = undefined;
    }
  }

  async #activate(): Promise<void> {
    if (this.#state !== "running" || !this.#lease.held) return;
    this.#active = true;
    this.#log("info", "active: consuming", {
      channel: this.channel,
      subscriptions: this.#records.size,
    });
    for (const [key, { record, revision }] of this.#records) await this.#add(key, record, revision);
  }

  #onLeaseLost(reason: string): void {
    this.#log("warn", "lease lost: stopping at once", { channel: this.channel, reason });
    this.#enqueue(async () => {
      this.#active = false;
      for (const r of this.#subs.values()) for (const l of r.lanes.values()) l.abandon();
      this.#subs.clear();
    });
    this.#leaseLost?.();
  }

  // ---- registry changes ------------------------------------------------------------------------

  #enqueue(op: () => Promise<void>): void {
    this.#ops = this.#ops
      .then(op)
      .catch((err) =>
        this.#log("error", "applying a registry change failed", { error: describeError(err) }),
      );
  }

  async #apply(entry: Pick<KvEntry, "key" | "operation" | "revision" | "json">): Promise<void> {
    if (this.#state !== "running") return;
    const key = entry.key;
    clearTimeout(this.#retries.get(key));
    this.#retries.delete(key);
    if (entry.operation !== "PUT") {
      this.#records.delete(key);
      await this.#remove(key, "subscription deleted");
      return;
    }
    let record: SubscriptionRecord;
    try {
      record = entry.json<SubscriptionRecord>();
    } catch (err) {
      this.#log("warn", "unreadable subscription record", { key, error: describeError(err) });
      return;
    }
    if (!isRecord(record)) {
      this.#log("warn", "subscription record without id, namespace or channel", { key });
      return;
    }
    if (record.channel !== this.channel) {
      this.#records.delete(key);
      await this.#remove(key, `subscription moved to channel ${record.channel}`);
      return;
    }
    this.#records.set(key, { record, revision: entry.revision });
    if (!this.#active) return;
    const running = this.#subs.get(key);
    if (running) {
      running.record = record;
      const target = this.#open(record);
      for (const [lane, worker] of running.lanes)
        worker.update(this.#settings(record, lane, target));
      return;
    }
    await this.#add(key, record, entry.revision);
  }

  async #add(key: string, record: SubscriptionRecord, revision: number): Promise<void> {
    if (this.#subs.has(key)) return;
    const jsm = this.#jsm!;
    const lanes = new Map<Lane, LaneWorker>();
    const target = this.#open(record);
    try {
      if (this.#opts.ensureConsumers !== false) {
        await ensureDeliveryConsumers(jsm, this.channel, record.id, (m) => this.#log("warn", m));
      }
      for (const lane of LANES) {
        const settings = this.#settings(record, lane, target);
        lanes.set(lane, new LaneWorker(this.#laneDeps(jsm), record.id, lane, settings));
      }
      await Promise.all([...lanes.values()].map((l) => l.start()));
    } catch (err) {
      for (const l of lanes.values()) l.abandon();
      this.#log("error", "cannot consume subscription; trying again", {
        subscription: record.id,
        error: describeError(err),
      });
      const timer = setTimeout(() => {
        this.#retries.delete(key);
        this.#enqueue(() => this.#retry(key, revision));
      }, SETUP_RETRY_MS);
      timer.unref();
      this.#retries.set(key, timer);
      return;
    }
    this.#subs.set(key, { record, lanes });
    this.#log("info", "consuming subscription", {
      subscription: record.id,
      namespace: record.namespace,
    });
    const waiting = this.#waiters;
    this.#waiters = waiting.filter((w) => w.id !== record.id);
    for (const w of waiting) if (w.id === record.id) w.resolve();
  }

  /** Set-up failed earlier: read the record again (it may have changed or gone) and re-apply. */
  async #retry(key: string, revision: number): Promise<void> {
    if (this.#state !== "running" || !this.#active || this.#subs.has(key)) return;
    const entry = await this.#opts.registry.get(key);
    if (entry === null || entry.revision < revision) return;
    await this.#apply(entry);
  }

  async #remove(key: string, reason: string): Promise<void> {
    const running = this.#subs.get(key);
    if (!running) return;
    this.#subs.delete(key);
    const timeout = this.#opts.stopTimeoutMs ?? WORKER_DEFAULTS.stopTimeoutMs;
    await Promise.all([...running.lanes.values()].map((l) => l.stop(timeout)));
    this.#log("info", "stopped consuming subscription", {
      subscription: running.record.id,
      reason,
    });
  }

  async #stopLanes(): Promise<LaneRelease[]> {
    const timeout = this.#opts.stopTimeoutMs ?? WORKER_DEFAULTS.stopTimeoutMs;
    const lanes = [...this.#subs.values()].flatMap((r) => [...r.lanes.values()]);
    this.#subs.clear();
    return Promise.all(lanes.map((l) => l.stop(timeout)));
  }

  #open(record: SubscriptionRecord): LaneSettings["target"] {
    try {
      return this.#opts.channel.open(record);
    } catch (err) {
      this.#log("warn", "subscription cannot be delivered; its messages are dead-lettered", {
        subscription: record.id,
        error: describeError(err),
      });
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  #settings(record: SubscriptionRecord, lane: Lane, target: LaneSettings["target"]): LaneSettings {
    const delivery: DeliveryRecord = { ...DELIVERY_DEFAULTS, ...record.delivery };
    const live = Math.max(1, Math.floor(delivery.maxInFlight));
    if (lane === "live") return { record, delivery, maxInFlight: live, target };
    const budget = this.#opts.backfillMaxInFlight ?? WORKER_DEFAULTS.backfillMaxInFlight;
    return {
      record,
      delivery,
      maxInFlight: Math.max(1, Math.min(live, budget)),
      ratePerSecond: this.#opts.backfillRatePerSecond ?? WORKER_DEFAULTS.backfillRatePerSecond,
      target,
    };
  }

  #laneDeps(jsm: JetStreamManager): LaneDeps {
    const o = this.#opts;
    return {
      nc: o.nc,
      js: this.#js,
      jsm,
      channel: this.channel,
      maxBatch: o.channel.maxBatch,
      status: this.#status,
      log: this.#log,
      random: o.random ?? Math.random,
      extendEveryMs: o.extendEveryMs ?? WORKER_DEFAULTS.extendEveryMs,
      dlqRetryMs: o.dlqRetryMs ?? WORKER_DEFAULTS.dlqRetryMs,
      consumeExpiresMs: o.consumeExpiresMs ?? CONSUME_DEFAULTS.expiresMs,
      releaseWaitMs: o.releaseWaitMs ?? WORKER_DEFAULTS.releaseWaitMs,
      backfillProgress: {
        kv: o.status,
        intervalMs: o.backfillProgressMs ?? WORKER_DEFAULTS.backfillProgressMs,
      },
      ...(o.observer ? { observer: o.observer } : {}),
    };
  }
}

function isRecord(r: unknown): r is SubscriptionRecord {
  const x = r as Partial<SubscriptionRecord> | null;
  return (
    x !== null &&
    typeof x === "object" &&
    typeof x.id === "string" &&
    x.id !== "" &&
    typeof x.namespace === "string" &&
    typeof x.channel === "string"
  );
}
