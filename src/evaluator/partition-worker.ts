// One partition of SEGWATCH_EVENTS, processed in order in batches. A batch's effects become durable
// in a fixed order — deliveries published (and acked by JetStream), then profiles stored, then events
// acked — so a crash anywhere replays the batch: deliveries are dropped by their idempotency keys,
// profiles skip events they already applied (lastSeq), and nothing is lost or doubled.

import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { envelopeHeaders } from "../delivery/envelope.ts";
import { EVENTS_STREAM, partitionFilter } from "../nats/names.ts";
import { publishAll } from "../nats/publisher.ts";
import { identityOf } from "../profile/identity.ts";
import { mergeEvent, type Profile } from "../profile/profile.ts";
import { type Cause, deliveriesFor, type OutgoingDelivery } from "./deliveries.ts";
import { dueSegments, evaluateProfile, nextCheckOf, type Transition } from "./evaluate.ts";
import type { NamespaceModel } from "./model.ts";
import { type ProfileStore, profileKvKey } from "./profile-store.ts";
import { TimerQueue } from "./timer-queue.ts";

/** Defaults of a partition worker; each can be overridden. */
export const PARTITION_DEFAULTS = {
  /** Events per batch: larger batches amortise the flush, smaller ones cut latency under load. */
  maxBatch: 512,
  /** Profiles re-evaluated per batch by a scan (segment change, backfill), between event batches. */
  scanChunk: 256,
  /** Timers fired per batch. */
  timerChunk: 512,
  /** Unacked events the server hands out at once. */
  maxAckPending: 4096,
  /** How long an event may stay unacked before the server redelivers it. */
  ackWaitMs: 60_000,
} as const;

export interface PartitionDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly profiles: ProfileStore;
  /** The namespace model, or undefined when the namespace has nothing registered. */
  readonly model: (namespace: string) => NamespaceModel | undefined;
  /** Records member-count changes and backfill progress (KV status). */
  readonly stats: StatsSink;
  readonly clock: () => number;
  readonly log: (level: "info" | "warn" | "error", message: string, error?: unknown) => void;
}

export interface StatsSink {
  addMembers(namespace: string, deltas: ReadonlyMap<string, number>): Promise<void>;
  backfillProgress(
    namespace: string,
    subscriptionId: string,
    partition: number,
    members: number,
    complete: boolean,
  ): Promise<void>;
}

/** A background job over a partition's stored profiles. */
interface ScanJob {
  readonly namespace: string;
  readonly kind: "reevaluate" | "backfill" | "timers";
  /** For reevaluate: the segments whose definition changed; their digest names the idempotency keys. */
  readonly segmentIds?: readonly string[];
  readonly version?: string;
  readonly subscriptionId?: string;
  keys?: string[];
  position: number;
  members: number;
}

/** A batch's pending effects. */
class Batch {
  readonly deliveries: OutgoingDelivery[] = [];
  readonly dirty = new Map<string, { namespace: string; profile: Profile }>();
  readonly acks: JsMsg[] = [];
  readonly memberDeltas = new Map<string, Map<string, number>>();
  readonly finishedJobs: ScanJob[] = [];

  touch(namespace: string, kvKey: string, profile: Profile): void {
    this.dirty.set(kvKey, { namespace, profile });
  }

  count(namespace: string, transitions: readonly Transition[]): void {
    if (transitions.length === 0) return;
    let m = this.memberDeltas.get(namespace);
    if (!m) this.memberDeltas.set(namespace, (m = new Map()));
    for (const t of transitions)
      m.set(t.segmentId, (m.get(t.segmentId) ?? 0) + (t.event === "enter" ? 1 : -1));
  }

  get empty(): boolean {
    return (
      this.deliveries.length === 0 &&
      this.dirty.size === 0 &&
      this.acks.length === 0 &&
      this.finishedJobs.length === 0
    );
  }
}

/** The longest the loop sleeps waiting for a timer before looking at the clock again. */
const MAX_TIMER_SLEEP_MS = 1_000;

/** Pause before consuming again after a failed batch (NATS or KV unavailable). */
const RETRY_DELAY_MS = 500;

export function evaluatorConsumerName(partition: number): string {
  return `evaluator-p${partition}`;
}

export function evaluatorConsumerConfig(
  partition: number,
): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: evaluatorConsumerName(partition),
    filter_subject: partitionFilter(partition),
    ack_policy: AckPolicy.Explicit,
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
  private loop: Promise<void> | undefined;
  private stopConsuming: (() => Promise<void>) | undefined;
  private timerHandle: NodeJS.Timeout | undefined;

  constructor(partition: number, deps: PartitionDeps) {
    this.partition = partition;
    this.deps = deps;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.deps.jsm.consumers.add(EVENTS_STREAM, evaluatorConsumerConfig(this.partition));
    await this.startConsuming();
    // Timers of profiles stored before this process started.
    for (const namespace of await this.deps.profiles.namespaces(this.partition)) {
      this.enqueue({ namespace, kind: "timers", position: 0, members: 0 });
    }
    this.loop = this.run();
  }

  private async startConsuming(): Promise<void> {
    const consumer = await this.deps.js.consumers.get(
      EVENTS_STREAM,
      evaluatorConsumerName(this.partition),
    );
    const messages = await consumer.consume({
      max_messages: PARTITION_DEFAULTS.maxBatch,
      callback: (m) => {
        this.queue.push(m);
        this.signal();
      },
    });
    this.stopConsuming = async () => {
      this.stopConsuming = undefined;
      await messages.close();
    };
  }

  /** Stops taking events, finishes the batch in progress; unprocessed events are redelivered later. */
  async stop(): Promise<void> {
    this.running = false;
    await this.stopConsuming?.();
    this.signal();
    await this.loop;
    if (this.timerHandle) clearTimeout(this.timerHandle);
  }

  /** Re-evaluates every stored profile of the namespace for the changed segments. */
  reevaluate(namespace: string, segmentIds: readonly string[], version: string): void {
    this.enqueue({ namespace, kind: "reevaluate", segmentIds, version, position: 0, members: 0 });
  }

  /** Runs a subscription's backfill over this partition's profiles. */
  backfill(namespace: string, subscriptionId: string): void {
    if (
      this.jobs.some(
        (j) =>
          j.kind === "backfill" && j.subscriptionId === subscriptionId && j.namespace === namespace,
      )
    )
      return;
    this.enqueue({ namespace, kind: "backfill", subscriptionId, position: 0, members: 0 });
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
        this.deps.log(
          "error",
          `partition ${this.partition}: batch failed; its events will be redelivered`,
          err,
        );
        await this.restartConsuming();
      }
    }
  }

  private async processBatch(): Promise<void> {
    const batch = new Batch();
    const events = this.queue.splice(0, PARTITION_DEFAULTS.maxBatch);
    try {
      for (const m of events) await this.applyEvent(m, batch);
      await this.fireTimers(batch);
      await this.scanChunk(batch);
      await this.flush(batch);
    } catch (err) {
      // Cached profiles hold changes that were not stored: read them back next time.
      this.deps.profiles.evict(batch.dirty.keys());
      this.queue.unshift(...events);
      throw err;
    }
  }

  /**
   * After a failed batch, later events must not be applied before the failed ones (a profile skips
   * events older than the last one it applied): drop everything received, and consume again from the
   * oldest unacknowledged event, in order.
   */
  private async restartConsuming(): Promise<void> {
    await this.stopConsuming?.().catch(() => {});
    for (const m of this.queue.splice(0)) m.nak(RETRY_DELAY_MS);
    await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
    while (this.running) {
      try {
        await this.startConsuming();
        return;
      } catch (err) {
        this.deps.log("warn", `partition ${this.partition}: cannot consume yet`, err);
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      }
    }
  }

  private async applyEvent(m: JsMsg, batch: Batch): Promise<void> {
    const namespace = m.subject.split(".")[2]!;
    const model = this.deps.model(namespace);
    let event: Record<string, unknown>;
    try {
      const parsed: unknown = m.json();
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new Error("not a JSON object");
      event = parsed as Record<string, unknown>;
    } catch (err) {
      this.deps.log("warn", `event ${m.seq} in ${m.subject} is not a JSON object; dropped`, err);
      batch.acks.push(m);
      return;
    }
    const identityFields = model?.identityFields ?? ["user_id"];
    const identity = identityOf(event, identityFields);
    if (!identity) {
      this.deps.log(
        "warn",
        `event ${m.seq} in ${namespace} has none of the identity fields ${identityFields.join(", ")}; dropped`,
      );
      batch.acks.push(m);
      return;
    }
    const now = this.deps.clock();
    const types = model?.types ?? {};
    const kvKey = profileKvKey(namespace, this.partition, identity.key);
    const profile = await this.deps.profiles.load(
      namespace,
      this.partition,
      identity,
      types,
      new Date(now),
    );
    batch.acks.push(m);
    if (m.seq <= profile.lastSeq) return; // applied before a crash or redelivery
    if (model) this.backfillUser(model, profile, batch);
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
   * A subscription's backfill reaches each user once: either the scan gets there first, or — when an
   * event for the user comes first — here, before the event changes anything.
   */
  private backfillUser(model: NamespaceModel, profile: Profile, batch: Batch): void {
    for (const job of this.jobs) {
      if (job.kind !== "backfill" || job.namespace !== model.namespace) continue;
      this.backfillStep(model, profile, job, batch);
    }
  }

  private backfillStep(model: NamespaceModel, profile: Profile, job: ScanJob, batch: Batch): void {
    const sub = model.subscriptions.get(job.subscriptionId!);
    if (!sub || profile.backfilled?.includes(sub.id)) return;
    (profile.backfilled ??= []).push(sub.id);
    const transitions: Transition[] = [];
    for (const id of sub.segmentIds) {
      const since = profile.segments[id];
      if (since !== undefined)
        transitions.push({ segmentId: id, event: "enter", enter: since, exit: null });
    }
    if (transitions.length > 0) {
      job.members++;
      batch.deliveries.push(
        ...deliveriesFor(model, profile, transitions, { kind: "backfill" }, sub),
      );
    }
  }

  private record(
    model: NamespaceModel,
    profile: Profile,
    transitions: Transition[],
    cause: Cause,
    batch: Batch,
  ): void {
    if (transitions.length === 0) return;
    batch.count(model.namespace, transitions);
    batch.deliveries.push(...deliveriesFor(model, profile, transitions, cause));
  }

  private async fireTimers(batch: Batch): Promise<void> {
    const now = this.deps.clock();
    for (const t of this.timers.popDue(now, PARTITION_DEFAULTS.timerChunk)) {
      const model = this.deps.model(t.namespace);
      if (!model) continue;
      const kvKey = profileKvKey(t.namespace, this.partition, t.profileKey);
      const profile = await this.deps.profiles.get(kvKey, model.types);
      if (!profile) continue;
      const due = dueSegments(profile, now);
      if (due.length === 0) continue;
      // The idempotency key names the boundary instant, which a replay computes again.
      const at = Math.min(...due.map((id) => profile.checks![id]!));
      this.backfillUser(model, profile, batch);
      const evaluation = evaluateProfile(model, profile, { kind: "segments", ids: due }, now);
      this.record(model, profile, evaluation.transitions, { kind: "timer", at }, batch);
      batch.touch(t.namespace, kvKey, profile);
    }
  }

  private async scanChunk(batch: Batch): Promise<void> {
    const job = this.jobs[0];
    if (!job) return;
    const model = this.deps.model(job.namespace);
    job.keys ??= await this.deps.profiles.keys(job.namespace, this.partition);
    const end = Math.min(job.keys.length, job.position + PARTITION_DEFAULTS.scanChunk);
    const now = this.deps.clock();
    for (; job.position < end; job.position++) {
      const kvKey = job.keys[job.position]!;
      const profile = await this.deps.profiles.get(kvKey, model?.types ?? {});
      if (!profile) continue;
      if (job.kind === "timers") {
        this.timers.set(job.namespace, profile.key, nextCheckOf(profile));
        continue;
      }
      if (!model) continue;
      if (job.kind === "backfill") {
        this.backfillStep(model, profile, job, batch);
      } else {
        this.backfillUser(model, profile, batch);
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
      batch.touch(job.namespace, kvKey, profile);
    }
    if (job.position >= job.keys.length) {
      this.jobs.shift();
      batch.finishedJobs.push(job);
    }
  }

  private async flush(batch: Batch): Promise<void> {
    if (batch.empty) return;
    await publishAll(
      this.deps.js,
      batch.deliveries.map((d) => ({
        subject: d.subject,
        data: JSON.stringify(d.payload),
        headers: envelopeHeaders(d.envelope),
      })),
    );
    await this.deps.profiles.saveAll(
      [...batch.dirty].map(([kvKey, { profile }]) => ({ kvKey, profile })),
    );
    for (const m of batch.acks) m.ack();
    for (const { namespace, profile } of batch.dirty.values())
      this.timers.set(namespace, profile.key, nextCheckOf(profile));
    // Counters are advisory (status): a failure is logged, never replays the batch.
    try {
      for (const [namespace, deltas] of batch.memberDeltas)
        await this.deps.stats.addMembers(namespace, deltas);
      for (const job of this.jobs) {
        if (job.kind === "backfill")
          await this.deps.stats.backfillProgress(
            job.namespace,
            job.subscriptionId!,
            this.partition,
            job.members,
            false,
          );
      }
      for (const job of batch.finishedJobs) {
        if (job.kind === "backfill")
          await this.deps.stats.backfillProgress(
            job.namespace,
            job.subscriptionId!,
            this.partition,
            job.members,
            true,
          );
      }
    } catch (err) {
      this.deps.log("warn", `partition ${this.partition}: status counters not updated`, err);
    }
  }
}
