// One partition of SEGWATCH_EVENTS, processed strictly in stream order in batches. Effects become
// durable in a fixed order — deliveries published (and acked by JetStream), then profiles stored,
// then events acked — and every (re)start consumes again from the oldest unacked event, in order. So
// a crash anywhere replays what was not acked: deliveries are dropped by their idempotency keys
// (evaluation is deterministic in the event's own timestamp), profiles skip the events they already
// applied (lastSeq), and nothing is lost or doubled.

import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { envelopeHeaders } from "../delivery/envelope.ts";
import { checkLeaseTiming, type LeaseTiming } from "../nats/lease.ts";
import {
  deliverySubject,
  EVENTS_STREAM,
  HEADER,
  type Lane,
  partitionFilter,
} from "../nats/names.ts";
import type { JetStreamPublisher } from "../nats/publisher.ts";
import { type Identity, identityForKey, identityOf } from "../profile/identity.ts";
import { mergeEvent, type Profile } from "../profile/profile.ts";
import { DEFAULT_IDENTITY_FIELDS } from "../resources/types.ts";
import type { FieldTypes } from "../segmentql/index.ts";
import { laneForLive } from "./backfill-order.ts";
import { type Cause, deliveriesFor, type OutgoingDelivery } from "./deliveries.ts";
import { dueSegments, evaluateProfile, nextCheckOf, type Transition } from "./evaluate.ts";
import type { NamespaceModel } from "./model.ts";
import { type ProfileStore, profileKvKey } from "./profile-store.ts";
import { type TimerEntry, TimerQueue } from "./timer-queue.ts";

/** Defaults of a partition worker; each can be overridden. */
export const PARTITION_DEFAULTS = {
  /** Events per batch: larger batches amortise the flush, smaller ones cut latency under load. */
  maxBatch: 512,
  /** The longest profiles wait to be stored (and events to be acked) while more events keep coming. */
  persistIntervalMs: 500,
  /** Events waiting for their profiles to be stored before they are stored regardless; below maxAckPending. */
  persistMaxEvents: 2048,
  /** Profiles re-evaluated per batch by a scan (segment change, backfill), between event batches. */
  scanChunk: 256,
  /** Timers fired per batch. */
  timerChunk: 512,
  /** Unacked events the server hands out at once. */
  maxAckPending: 4096,
  /** How long an event may stay unacked before the server redelivers it. */
  ackWaitMs: 60_000,
} as const;

/**
 * The lease a worker holds while it reads its partition (nats/lease.ts, key `leases.evaluate.p<N>`).
 * A crashed holder's partition waits `ttlMs` for a new owner; a holder that cannot renew stops itself
 * `ttlMs − renewMs` after its last renewal was sent, so it has stopped reading and storing `renewMs`
 * before anyone can take over. Unlike the delivery lease (which must outlast the ack wait, so that a
 * dead worker's messages are back in order before a successor reads), the TTL need not exceed
 * `ackWaitMs`: a new owner deletes and recreates the consumer at the ack floor, which drops what the
 * old one held.
 */
export const PARTITION_LEASE_DEFAULTS = {
  /** Failover time after a crash; also how long a holder rides out NATS being unreachable (− renewMs). */
  ttlMs: 15_000,
  /** The margin between a cut-off holder stopping and the earliest takeover. */
  renewMs: 3_000,
  /** How often a standby looks at the lease: the handover delay after a graceful stop. */
  pollMs: 500,
} as const;

/**
 * The lease timing for a chosen TTL, in the defaults' proportions: renewals a fifth of the TTL, a
 * standby looking every tenth of it (at most every `pollMs`).
 */
export function partitionLeaseTiming(ttlMs: number): LeaseTiming {
  const d = PARTITION_LEASE_DEFAULTS;
  return checkLeaseTiming({
    ttlMs,
    renewMs: (ttlMs * d.renewMs) / d.ttlMs,
    pollMs: Math.min(d.pollMs, ttlMs / 10),
  });
}

/** A worker used out of turn (consume() before the previous halt() ended). */
export class PartitionWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PartitionWorkerError";
  }
}

/** The worker acted without a valid lease: another owner may already read the partition. */
export class PartitionFencedError extends Error {
  readonly partition: number;

  constructor(partition: number, action: string) {
    super(`partition ${partition}: not holding its lease any more; did not ${action}`);
    this.name = "PartitionFencedError";
    this.partition = partition;
  }
}

export interface PartitionDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly publisher: JetStreamPublisher;
  readonly profiles: ProfileStore;
  /** The namespace model, or undefined when the namespace has nothing registered. */
  readonly model: (namespace: string) => NamespaceModel | undefined;
  /** Records member-count changes and backfill progress (KV status). */
  readonly stats: StatsSink;
  /**
   * How far a subscription's backfill lane has delivered (a stream sequence; 0 when unknown), as last
   * read: a user's live changes follow their undelivered backfill message (backfill-order.ts).
   * Default: always 0.
   */
  readonly backfillDelivered?: (namespace: string, subscriptionId: string) => number;
  readonly clock: () => number;
  /** The instant an event is evaluated at (default: when JetStream stored it, the same on a replay). */
  readonly eventTime?: (m: JsMsg) => number;
  readonly log: (level: "info" | "warn" | "error", message: string, error?: unknown) => void;
}

export interface StatsSink {
  addMembers(namespace: string, deltas: ReadonlyMap<string, number>): Promise<void>;
  backfillProgress(
    namespace: string,
    subscriptionId: string,
    requestedAt: string,
    partition: number,
    members: number,
    complete: boolean,
  ): Promise<void>;
}

/** A background job over a partition's stored profiles. */
interface ScanJob {
  readonly namespace: string;
  readonly kind: "reevaluate" | "backfill";
  /** For reevaluate: the segments whose definition changed; their digest names the idempotency keys. */
  readonly segmentIds?: readonly string[];
  readonly version?: string;
  readonly subscriptionId?: string;
  /** For backfill: the request it serves (a later request is a new backfill). */
  readonly requestedAt?: string;
  keys?: string[];
  position: number;
  members: number;
  /** When progress was last reported (backfill status is written about once a second). */
  reportedAt?: number;
}

interface ParsedEvent {
  readonly m: JsMsg;
  readonly namespace: string;
  readonly model: NamespaceModel | undefined;
  readonly event: Record<string, unknown>;
  readonly identity: Identity;
  readonly kvKey: string;
}

/** Marks a profile as considered by one backfill request of a subscription. */
function backfillMarker(subscriptionId: string, requestedAt: string): string {
  return `${subscriptionId}@${requestedAt}`;
}

/** What evaluation keeps on a profile besides its fields: a change means it must be stored. */
function stateOf(profile: Profile): string {
  return JSON.stringify([
    profile.segments,
    profile.checks ?? null,
    profile.backfilled ?? null,
    profile.backfillSeq ?? null,
  ]);
}

/** A delivery of the batch in progress, with the profile it is about. */
interface QueuedDelivery {
  readonly d: OutgoingDelivery;
  readonly namespace: string;
  readonly kvKey: string;
  readonly profile: Profile;
}

/**
 * Effects waiting to become durable. Deliveries are published after every batch (they are what
 * users wait for); profiles are stored and events acked for several batches at once, so a user
 * with many events in a short time is written once — safe because a replay of the unacked events
 * republishes the same deliveries under the same idempotency keys, which JetStream drops.
 */
class Window {
  readonly dirty = new Map<string, { namespace: string; profile: Profile }>();
  readonly acks: JsMsg[] = [];
  readonly memberDeltas = new Map<string, Map<string, number>>();
  readonly finishedJobs: ScanJob[] = [];
  /** Where the jobs this window advanced stood when it opened, to rewind them if it is dropped. */
  readonly jobStarts = new Map<ScanJob, { position: number; members: number }>();
  /** Timers this window fired, to re-arm them if it is dropped. */
  readonly firedTimers: TimerEntry[] = [];
  /** Deliveries of the batch in progress (published before the batch ends). */
  deliveries: QueuedDelivery[] = [];
  /**
   * Subscriptions a profile has a backfill-lane message for in the batch in progress (its sequence is
   * known only once published): the profile's later messages of the batch follow it.
   */
  backfillQueued = new WeakMap<Profile, Set<string>>();
  /** The backfill lanes' delivered sequences, read once per batch (one answer for the whole batch). */
  delivered = new Map<string, number>();
  opened = 0;

  touch(namespace: string, kvKey: string, profile: Profile): void {
    this.dirty.set(kvKey, { namespace, profile });
  }

  count(namespace: string, transitions: readonly Transition[]): void {
    if (transitions.length === 0) return;
    let m = this.memberDeltas.get(namespace);
    if (!m) {
      m = new Map();
      this.memberDeltas.set(namespace, m);
    }
    for (const t of transitions) {
      m.set(t.segmentId, (m.get(t.segmentId) ?? 0) + (t.event === "enter" ? 1 : -1));
    }
  }

  advance(job: ScanJob): void {
    if (!this.jobStarts.has(job))
      this.jobStarts.set(job, { position: job.position, members: job.members });
  }

  get empty(): boolean {
    return this.dirty.size === 0 && this.acks.length === 0 && this.finishedJobs.length === 0;
  }
}

/** The longest the loop sleeps waiting for a timer before looking at the clock again. */
const MAX_TIMER_SLEEP_MS = 1_000;

/** Pause before consuming again after a failed batch (NATS or KV unavailable). */
const RETRY_DELAY_MS = 500;

/** How often a running backfill reports its progress to status. */
const BACKFILL_REPORT_MS = 1_000;

/** A bound on boundaries handled for one profile at once (each moves its checks strictly later). */
const MAX_BOUNDARIES_PER_SETTLE = 100;

function forgetBackfillSeq(profile: Profile, subscriptionId: string): void {
  const { [subscriptionId]: _, ...rest } = profile.backfillSeq ?? {};
  if (Object.keys(rest).length > 0) profile.backfillSeq = rest;
  else delete profile.backfillSeq;
}

/** The event of a window with the highest stream sequence: acking it acknowledges them all. */
function newest(events: readonly JsMsg[]): JsMsg | undefined {
  let last: JsMsg | undefined;
  for (const m of events) if (!last || m.seq > last.seq) last = m;
  return last;
}

export function evaluatorConsumerName(partition: number): string {
  return `evaluator-p${partition}`;
}

export function evaluatorConsumerConfig(
  partition: number,
): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: evaluatorConsumerName(partition),
    filter_subject: partitionFilter(partition),
    // A partition is processed and stored strictly in order, so one ack for the newest event of a
    // stored window acknowledges the window: one ack per window instead of one per event.
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.All,
    ack_wait: PARTITION_DEFAULTS.ackWaitMs * 1_000_000,
    max_ack_pending: PARTITION_DEFAULTS.maxAckPending,
  };
}

export class PartitionWorker {
  readonly partition: number;
  private readonly deps: PartitionDeps;
  private readonly queue: JsMsg[] = [];
  private readonly timers = new TimerQueue();
  private readonly jobs: ScanJob[] = [];
  private wake: (() => void) | undefined;
  private running = false;
  /** True while this worker may act for the partition (its lease is valid); reports a loss itself. */
  private fence: () => boolean = () => false;
  private starting: Promise<void> | undefined;
  private halting: Promise<void> | undefined;
  /** Waiting for `whenReading()`. */
  private readers: (() => void)[] = [];
  private loop: Promise<void> | undefined;
  private stopConsuming: (() => Promise<void>) | undefined;
  private timerHandle: NodeJS.Timeout | undefined;

  constructor(partition: number, deps: PartitionDeps) {
    this.partition = partition;
    this.deps = deps;
  }

  /**
   * Starts reading the partition (in the background, retrying while NATS is unavailable) until
   * `halt()`. `fence` says whether the worker still holds the partition: nothing is stored and the
   * consumer is not repositioned without it.
   */
  consume(fence: () => boolean): void {
    if (this.running || this.halting)
      throw new PartitionWorkerError(`partition ${this.partition}: consume() while still reading`);
    this.running = true;
    this.fence = fence;
    // Another owner may have changed the partition's profiles since this process last read them,
    // and created new ones: forget the cache and list the profiles again for the scans.
    this.deps.profiles.evictPartition(this.partition);
    this.queue.splice(0);
    for (const job of this.jobs) {
      job.keys = undefined;
      job.position = 0;
    }
    this.starting = (async () => {
      if (!(await this.openConsumer(false))) return;
      this.loop = this.run();
      for (const resolve of this.readers.splice(0)) resolve();
    })();
  }

  /** Resolves once the worker reads its partition (the consumer positioned and consumed). */
  whenReading(): Promise<void> {
    if (this.running && this.loop) return Promise.resolve();
    return new Promise((resolve) => this.readers.push(resolve));
  }

  /**
   * Stops reading. "finish" (SIGTERM): completes the batch in progress and stores what was processed;
   * events not processed are replayed, in order, by the next owner. "drop" (the lease was lost):
   * stops at once and forgets everything not yet stored, acking nothing — the next owner replays it
   * under the same idempotency keys, and profiles skip what they already applied (lastSeq).
   */
  halt(mode: "finish" | "drop"): Promise<void> {
    this.halting ??= this.doHalt(mode);
    return this.halting;
  }

  private async doHalt(mode: "finish" | "drop"): Promise<void> {
    this.running = false;
    const closing = this.closeConsumer();
    this.signal();
    await closing;
    await this.starting;
    await this.loop;
    if (this.timerHandle) clearTimeout(this.timerHandle);
    this.timerHandle = undefined;
    if (mode === "finish") {
      await this.persist().catch((err) =>
        this.deps.log("error", `partition ${this.partition}: final store failed`, err),
      );
    } else {
      this.dropWindow();
      this.queue.splice(0);
      this.deps.profiles.evictPartition(this.partition);
    }
    this.starting = undefined;
    this.loop = undefined;
    this.halting = undefined;
  }

  private throwUnlessFenced(action: string): void {
    if (!this.fence()) throw new PartitionFencedError(this.partition, action);
  }

  /**
   * Points the durable consumer at the oldest unacked event. JetStream would hand out newer events
   * first and redeliver unacked ones only after their ack wait; a profile would then skip the older
   * ones for good. Everything up to the ack floor is stored, everything after it is replayed.
   */
  private async positionConsumer(): Promise<void> {
    const { jsm } = this.deps;
    const name = evaluatorConsumerName(this.partition);
    let floor = 0;
    try {
      floor = (await jsm.consumers.info(EVENTS_STREAM, name)).ack_floor.stream_seq;
      this.throwUnlessFenced("reposition the consumer");
      await jsm.consumers.delete(EVENTS_STREAM, name);
    } catch (err) {
      // No consumer yet: start from the beginning of the stream. Anything else is not guessed at.
      const notFound =
        err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound;
      if (!notFound) throw err;
    }
    const config = evaluatorConsumerConfig(this.partition);
    this.throwUnlessFenced("reposition the consumer");
    await jsm.consumers.add(
      EVENTS_STREAM,
      floor > 0
        ? { ...config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 }
        : config,
    );
  }

  private async startConsuming(): Promise<void> {
    const consumer = await this.deps.js.consumers.get(
      EVENTS_STREAM,
      evaluatorConsumerName(this.partition),
    );
    // Messages a closed consumer still hands to its callback belong to an earlier position of the
    // consumer: processed after a repositioning they would overtake older events.
    let current = true;
    const messages = await consumer.consume({
      max_messages: PARTITION_DEFAULTS.maxBatch,
      callback: (m) => {
        if (!current) return;
        this.queue.push(m);
        this.signal();
      },
    });
    this.stopConsuming = async () => {
      this.stopConsuming = undefined;
      current = false;
      await messages.close();
    };
    // Halted while the consumer was being opened.
    if (!this.running) await this.closeConsumer();
  }

  /** Stops the pulls at once (unsubscribing is synchronous); resolves when the iterator is done. */
  private async closeConsumer(): Promise<void> {
    try {
      await this.stopConsuming?.();
    } catch (err) {
      this.deps.log("warn", `partition ${this.partition}: closing the consumer failed`, err);
    }
  }

  /** Positions the consumer and consumes, retrying while running; false when halted first. */
  private async openConsumer(pauseFirst: boolean): Promise<boolean> {
    let pause = pauseFirst;
    while (this.running) {
      if (pause) await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      pause = true;
      if (!this.running) break;
      try {
        await this.positionConsumer();
        await this.startConsuming();
        return this.running;
      } catch (err) {
        if (err instanceof PartitionFencedError) {
          this.running = false; // the lease's loss is reported to whoever halts this worker
          break;
        }
        this.deps.log("warn", `partition ${this.partition}: cannot consume yet`, err);
      }
    }
    return false;
  }

  /**
   * Re-evaluates every stored profile of the namespace for the changed segments. A scan of the same
   * definitions already waiting is not queued twice.
   */
  reevaluate(namespace: string, segmentIds: readonly string[], version: string): void {
    const same = (j: ScanJob) =>
      j.kind === "reevaluate" && j.namespace === namespace && j.version === version;
    if (this.jobs.some(same)) return;
    this.enqueue({ namespace, kind: "reevaluate", segmentIds, version, position: 0, members: 0 });
  }

  /** Runs a subscription's backfill (the one requested at `requestedAt`) over this partition's profiles. */
  backfill(namespace: string, subscriptionId: string, requestedAt: string): void {
    const same = (j: ScanJob) =>
      j.kind === "backfill" &&
      j.namespace === namespace &&
      j.subscriptionId === subscriptionId &&
      j.requestedAt === requestedAt;
    if (this.jobs.some(same)) return;
    this.enqueue({
      namespace,
      kind: "backfill",
      subscriptionId,
      requestedAt,
      position: 0,
      members: 0,
    });
  }

  private enqueue(job: ScanJob): void {
    this.jobs.push(job);
    this.signal();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const now = this.deps.clock();
      const due = this.timers.peek();
      if (this.queue.length === 0 && this.jobs.length === 0 && (due === undefined || due > now)) {
        if (!this.window.empty) {
          try {
            await this.persist();
          } catch (err) {
            this.dropWindow();
            await this.recover(err, "storing profiles failed");
          }
          continue;
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          if (due !== undefined) {
            if (this.timerHandle) clearTimeout(this.timerHandle);
            // Capped, so a jump of the clock (or of a test's clock) is noticed soon.
            this.timerHandle = setTimeout(
              () => this.signal(),
              Math.min(MAX_TIMER_SLEEP_MS, Math.max(0, due - now)),
            );
          }
        });
        continue;
      }
      try {
        await this.processBatch();
      } catch (err) {
        await this.recover(err, "batch failed; its events will be redelivered");
      }
    }
  }

  /** After a failed batch or store: consume again, unless the partition is not ours any more. */
  private async recover(err: unknown, what: string): Promise<void> {
    if (err instanceof PartitionFencedError || !this.fence()) {
      // The lease's loss is being reported: stop reading, and let the halt forget the rest.
      this.deps.log("info", `partition ${this.partition}: lease no longer valid; window dropped`);
      this.running = false;
      await this.closeConsumer();
      return;
    }
    if (!this.running) return;
    this.deps.log("error", `partition ${this.partition}: ${what}`, err);
    await this.restartConsuming();
  }

  private readonly window = new Window();

  private async processBatch(): Promise<void> {
    const batch = this.window;
    if (batch.empty) batch.opened = this.deps.clock();
    const events = this.queue.splice(0, PARTITION_DEFAULTS.maxBatch);
    batch.deliveries = [];
    batch.delivered.clear();
    try {
      const parsed = events.map((m) => this.parseEvent(m, batch));
      // One round of parallel reads instead of one read per event.
      await this.deps.profiles.prefetch(
        parsed.flatMap((e) =>
          e && !batch.dirty.has(e.kvKey) ? [{ kvKey: e.kvKey, types: e.model?.types ?? {} }] : [],
        ),
      );
      for (const e of parsed) if (e) await this.applyEvent(e, batch);
      await this.fireTimers(batch);
      await this.scanChunk(batch);
      await this.publishDeliveries();
      const busy = this.queue.length > 0;
      const age = this.deps.clock() - batch.opened;
      if (
        !busy ||
        age >= PARTITION_DEFAULTS.persistIntervalMs ||
        batch.acks.length >= PARTITION_DEFAULTS.persistMaxEvents
      ) {
        await this.persist();
      }
    } catch (err) {
      this.dropWindow();
      throw err;
    }
  }

  /**
   * Publishes the batch's deliveries, then notes on each profile the stream sequence of its newest
   * backfill-lane message per subscription (stored with the profile, before the events are acked).
   *
   * A replay after a crash may route a message to the other lane than the first time (the delivered
   * sequence read may differ). It is still dropped: JetStream's duplicate window matches Nats-Msg-Id
   * per stream, whatever the subject, and answers with the original's sequence (tested in
   * test/integration/backfill-order.test.ts). If that original went to the live lane, the profile
   * then keeps a live message's sequence; the worker's idle report (every backfill message up to the
   * stream's last sequence delivered) still passes it.
   */
  private async publishDeliveries(): Promise<void> {
    const w = this.window;
    const queued = w.deliveries;
    w.deliveries = [];
    w.backfillQueued = new WeakMap();
    const acks = await this.deps.publisher.publishAll(
      queued.map(({ d }) => ({
        subject: d.subject,
        data: d.body,
        headers: envelopeHeaders(d.envelope),
      })),
    );
    for (let i = 0; i < queued.length; i++) {
      const { d, namespace, kvKey, profile } = queued[i]!;
      if (d.envelope.lane !== "backfill") continue;
      profile.backfillSeq = { ...profile.backfillSeq, [d.envelope.subscriptionId]: acks[i]!.seq };
      w.touch(namespace, kvKey, profile);
    }
  }

  /**
   * Adds deliveries to the batch. A live one goes to the backfill lane instead while the user may
   * still have an undelivered message there for the subscription, so that it cannot overtake it.
   */
  private enqueueDeliveries(
    model: NamespaceModel,
    profile: Profile,
    ds: OutgoingDelivery[],
    batch: Window,
  ): void {
    if (ds.length === 0) return;
    const kvKey = profileKvKey(model.namespace, this.partition, profile.key);
    for (let d of ds) {
      const subId = d.envelope.subscriptionId;
      if (d.envelope.lane === "live") {
        const sub = model.subscriptions.get(subId);
        if (sub && this.followsBackfill(model.namespace, profile, subId, batch)) {
          d = {
            ...d,
            subject: deliverySubject(sub.channel, subId, "backfill"),
            envelope: { ...d.envelope, lane: "backfill" },
          };
        }
      }
      if (d.envelope.lane === "backfill") {
        let subs = batch.backfillQueued.get(profile);
        if (!subs) {
          subs = new Set();
          batch.backfillQueued.set(profile, subs);
        }
        subs.add(subId);
      }
      batch.deliveries.push({ d, namespace: model.namespace, kvKey, profile });
    }
  }

  /** Whether a live message for (profile, subscription) must follow a backfill-lane message. */
  private followsBackfill(
    namespace: string,
    profile: Profile,
    subscriptionId: string,
    batch: Window,
  ): boolean {
    if (batch.backfillQueued.get(profile)?.has(subscriptionId)) return true;
    const seqs = profile.backfillSeq;
    if (seqs === undefined || !Object.hasOwn(seqs, subscriptionId)) return false;
    const decision = laneForLive(
      seqs[subscriptionId],
      this.backfillDelivered(namespace, subscriptionId, batch),
    );
    if (decision.forget) forgetBackfillSeq(profile, subscriptionId);
    return decision.lane === "backfill";
  }

  /** Drops the profile's backfillSeq entries whose messages are delivered (it is being stored). */
  private forgetDelivered(namespace: string, profile: Profile, batch: Window): void {
    const seqs = profile.backfillSeq;
    if (seqs === undefined) return;
    for (const [subscriptionId, seq] of Object.entries(seqs)) {
      if (laneForLive(seq, this.backfillDelivered(namespace, subscriptionId, batch)).forget)
        forgetBackfillSeq(profile, subscriptionId);
    }
  }

  /** A backfill lane's delivered sequence, read once per batch: one answer for the whole batch. */
  private backfillDelivered(namespace: string, subscriptionId: string, batch: Window): number {
    const key = `${namespace}.${subscriptionId}`;
    let delivered = batch.delivered.get(key);
    if (delivered === undefined) {
      delivered = this.deps.backfillDelivered?.(namespace, subscriptionId) ?? 0;
      batch.delivered.set(key, delivered);
    }
    return delivered;
  }

  /**
   * Forgets everything not yet stored: cached profiles are read back, jobs rewound, timers re-armed;
   * the events are replayed when consuming starts again.
   */
  private dropWindow(): void {
    const w = this.window;
    this.deps.profiles.evict(w.dirty.keys());
    w.acks.splice(0);
    w.dirty.clear();
    w.memberDeltas.clear();
    for (const [job, start] of w.jobStarts) {
      job.position = start.position;
      job.members = start.members;
    }
    w.jobStarts.clear();
    this.jobs.unshift(...w.finishedJobs.splice(0).filter((j) => !this.jobs.includes(j)));
    for (const t of w.firedTimers.splice(0)) this.timers.set(t.namespace, t.profileKey, t.at);
    w.deliveries = [];
    w.backfillQueued = new WeakMap();
  }

  /** After a failed batch: drop what was received and consume again from the oldest unacked event. */
  private async restartConsuming(): Promise<void> {
    await this.closeConsumer();
    this.queue.splice(0);
    await this.openConsumer(true);
  }

  /** The profile a window holds (possibly not yet stored), else the stored one. */
  private async profileAt(kvKey: string, types: FieldTypes): Promise<Profile | undefined> {
    return this.window.dirty.get(kvKey)?.profile ?? (await this.deps.profiles.get(kvKey, types));
  }

  /** Reads an event's namespace, body and identity; an unusable event is acked and dropped. */
  private parseEvent(m: JsMsg, batch: Window): ParsedEvent | undefined {
    const namespace = m.subject.split(".")[2]!;
    const model = this.deps.model(namespace);
    let event: Record<string, unknown>;
    try {
      const parsed: unknown = m.json();
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error("not a JSON object");
      }
      event = parsed as Record<string, unknown>;
    } catch (err) {
      this.deps.log("warn", `event ${m.seq} in ${m.subject} is not a JSON object; dropped`, err);
      batch.acks.push(m);
      return undefined;
    }
    // The API keyed the event when it accepted it; an event it accepted is never dropped here.
    const keyed = m.headers?.get(HEADER.user);
    const identityFields = model?.identityFields ?? DEFAULT_IDENTITY_FIELDS;
    let identity = identityOf(event, identityFields);
    if (keyed && identity?.key !== keyed) identity = identityForKey(event, keyed);
    if (!identity) {
      const fields = identityFields.join(", ");
      this.deps.log("warn", `event ${m.seq} in ${namespace} has none of ${fields}; dropped`);
      batch.acks.push(m);
      return undefined;
    }
    const kvKey = profileKvKey(namespace, this.partition, identity.key);
    return { m, namespace, model, event, identity, kvKey };
  }

  private async applyEvent(e: ParsedEvent, batch: Window): Promise<void> {
    const { m, namespace, model, event, identity, kvKey } = e;
    // Evaluated at the event's own time: a replay reaches the same transitions under the same keys.
    const now = this.deps.eventTime
      ? this.deps.eventTime(m)
      : Math.floor(m.info.timestampNanos / 1_000_000);
    const types = model?.types ?? {};
    const profile =
      batch.dirty.get(kvKey)?.profile ??
      (await this.deps.profiles.load(kvKey, identity, types, new Date(now)));
    batch.acks.push(m);
    if (m.seq <= profile.lastSeq) return; // applied before a crash or redelivery
    this.forgetDelivered(namespace, profile, batch);
    if (model) this.settle(model, profile, batch, now, "live");
    const merge = mergeEvent(profile, event, types, new Date(now));
    for (const r of merge.rejected) {
      this.deps.log(
        "warn",
        `${namespace}: field ${r.field} of event ${m.seq} not stored: ${r.reason}`,
      );
    }
    profile.lastSeq = m.seq;
    if (model && merge.changed.length > 0) {
      const evaluation = evaluateProfile(
        model,
        profile,
        { kind: "fields", fields: merge.changed },
        now,
      );
      this.record(model, profile, evaluation.transitions, { kind: "event", seq: m.seq }, batch);
    }
    batch.touch(namespace, kvKey, profile);
  }

  /**
   * Brings a profile up to date before anything else changes it: its pending backfills (on `lane`:
   * the live lane when an event or timer comes first, so the enter precedes the change in the same
   * lane), then each due time boundary in turn, evaluated at its own instant — so a replay after a
   * crash reaches the same transitions and names them the same way.
   */
  private settle(
    model: NamespaceModel,
    profile: Profile,
    batch: Window,
    now: number,
    lane: Lane,
  ): void {
    this.backfillUser(model, profile, batch, lane);
    for (let i = 0; i < MAX_BOUNDARIES_PER_SETTLE; i++) {
      const at = nextCheckOf(profile);
      if (at === undefined || at > now) return;
      const due = dueSegments(profile, at);
      const evaluation = evaluateProfile(model, profile, { kind: "segments", ids: due }, at);
      this.record(model, profile, evaluation.transitions, { kind: "timer", at }, batch);
    }
  }

  /**
   * A subscription's backfill reaches each user once: either the scan gets there first, or — when an
   * event for the user comes first — here, before the event changes anything.
   */
  private backfillUser(model: NamespaceModel, profile: Profile, batch: Window, lane: Lane): void {
    for (const job of this.jobs) {
      if (job.kind !== "backfill" || job.namespace !== model.namespace) continue;
      this.backfillStep(model, profile, job, batch, lane);
    }
  }

  private backfillStep(
    model: NamespaceModel,
    profile: Profile,
    job: ScanJob,
    batch: Window,
    lane: Lane,
  ): void {
    const sub = model.subscriptions.get(job.subscriptionId!);
    if (!sub || sub.backfillRequestedAt !== job.requestedAt) return;
    const marker = backfillMarker(sub.id, job.requestedAt!);
    if (profile.backfilled?.includes(marker)) return;
    // Markers of earlier requests of the same subscription are done with.
    profile.backfilled = [
      ...(profile.backfilled ?? []).filter((m) => !m.startsWith(`${sub.id}@`)),
      marker,
    ];
    const transitions: Transition[] = [];
    for (const id of sub.segmentIds) {
      const since = profile.segments[id];
      if (since !== undefined)
        transitions.push({ segmentId: id, event: "enter", enter: since, exit: null });
    }
    if (transitions.length > 0) {
      batch.advance(job);
      job.members++;
      const cause = { kind: "backfill", requestedAt: job.requestedAt! } as const;
      this.enqueueDeliveries(
        model,
        profile,
        deliveriesFor(model, profile, transitions, cause, sub, lane),
        batch,
      );
    }
  }

  private record(
    model: NamespaceModel,
    profile: Profile,
    transitions: Transition[],
    cause: Cause,
    batch: Window,
  ): void {
    if (transitions.length === 0) return;
    batch.count(model.namespace, transitions);
    this.enqueueDeliveries(
      model,
      profile,
      deliveriesFor(model, profile, transitions, cause),
      batch,
    );
  }

  private async fireTimers(batch: Window): Promise<void> {
    const now = this.deps.clock();
    const due = this.timers.popDue(now, PARTITION_DEFAULTS.timerChunk);
    batch.firedTimers.push(...due);
    const keyed = due.flatMap((t) => {
      const model = this.deps.model(t.namespace);
      return model
        ? [{ t, model, kvKey: profileKvKey(t.namespace, this.partition, t.profileKey) }]
        : [];
    });
    await this.deps.profiles.prefetch(
      keyed
        .filter((k) => !batch.dirty.has(k.kvKey))
        .map((k) => ({ kvKey: k.kvKey, types: k.model.types })),
    );
    for (const { t, model, kvKey } of keyed) {
      const profile = await this.profileAt(kvKey, model.types);
      if (!profile || dueSegments(profile, now).length === 0) continue;
      this.settle(model, profile, batch, now, "live");
      batch.touch(t.namespace, kvKey, profile);
    }
  }

  private async scanChunk(batch: Window): Promise<void> {
    const job = this.jobs[0];
    if (!job) return;
    const model = this.deps.model(job.namespace);
    if (!job.keys) {
      // Profiles the window holds must be stored to be listed (after their deliveries went out).
      await this.publishDeliveries();
      await this.persist();
      job.keys = model ? await this.deps.profiles.keys(job.namespace, this.partition) : [];
    }
    batch.advance(job);
    const chunk = job.keys.slice(job.position, job.position + PARTITION_DEFAULTS.scanChunk);
    job.position += chunk.length;
    if (model) {
      await this.deps.profiles.prefetch(
        chunk.filter((k) => !batch.dirty.has(k)).map((kvKey) => ({ kvKey, types: model.types })),
      );
      const now = this.deps.clock();
      for (const kvKey of chunk) {
        const profile = await this.profileAt(kvKey, model.types);
        if (!profile) continue;
        const before = stateOf(profile);
        if (job.kind === "backfill") {
          // The scan's own backfill message travels in the paced backfill lane.
          this.backfillStep(model, profile, job, batch, "backfill");
          this.settle(model, profile, batch, now, "live");
        } else {
          this.settle(model, profile, batch, now, "live");
          const evaluation = evaluateProfile(
            model,
            profile,
            { kind: "segments", ids: job.segmentIds! },
            now,
          );
          this.record(
            model,
            profile,
            evaluation.transitions,
            { kind: "scan", version: job.version! },
            batch,
          );
        }
        // A scan visits every profile; only those it changed are written back.
        if (stateOf(profile) !== before) batch.touch(job.namespace, kvKey, profile);
        else this.timers.set(job.namespace, profile.key, nextCheckOf(profile));
      }
    }
    if (job.position >= job.keys.length) {
      this.jobs.shift();
      batch.finishedJobs.push(job);
    }
  }

  /** Stores the window's profiles, then acks its events and reports its counters. */
  private async persist(): Promise<void> {
    const w = this.window;
    if (w.empty) return;
    // A profile written by two owners could lose events: the check guards the write, and every write
    // is also a compare-and-set on the revision this worker read (ProfileStore), which holds even
    // when a write is delayed past a takeover (a reconnecting client flushes its buffer late).
    this.throwUnlessFenced("store profiles");
    await this.deps.profiles.saveAll(
      [...w.dirty].map(([kvKey, { profile }]) => ({ kvKey, profile })),
    );
    // After a takeover the new owner has recreated the consumer under the same name: an ack from
    // here would reach it with sequences of the old one. Not acking is always safe (a replay).
    const last = newest(w.acks.splice(0));
    if (last && this.fence()) last.ack();
    for (const { namespace, profile } of w.dirty.values())
      this.timers.set(namespace, profile.key, nextCheckOf(profile));
    w.dirty.clear();
    w.jobStarts.clear();
    w.firedTimers.splice(0);
    const deltas = [...w.memberDeltas];
    w.memberDeltas.clear();
    const finished = w.finishedJobs.splice(0);
    // Counters are advisory (status): a failure is logged, never replays events.
    try {
      for (const [namespace, d] of deltas) await this.deps.stats.addMembers(namespace, d);
      const now = this.deps.clock();
      for (const job of [...this.jobs, ...finished]) {
        if (job.kind !== "backfill") continue;
        const complete = finished.includes(job);
        if (!complete && job.reportedAt !== undefined && now - job.reportedAt < BACKFILL_REPORT_MS)
          continue;
        job.reportedAt = now;
        await this.deps.stats.backfillProgress(
          job.namespace,
          job.subscriptionId!,
          job.requestedAt!,
          this.partition,
          job.members,
          complete,
        );
      }
    } catch (err) {
      this.deps.log("warn", `partition ${this.partition}: status counters not updated`, err);
    }
  }
}
