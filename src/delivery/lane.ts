// One lane (live or backfill) of one subscription: a durable pull consumer read with
// `consume({ callback })`, messages held in memory from receipt until they are acked (delivered or
// dead-lettered), per-user order through the scheduler, at most `maxInFlight` messages in the
// channel's hands, retries on timers.
//
// A message waiting to retry stays here — its ack deadline extended with `working()` — instead of
// being nak-ed back to the server: a nak would let the same user's next message overtake it. All
// held messages are extended together, in stream order, so that if this worker dies they expire
// together and the server queues them for redelivery in stream order.
//
// Lifecycle: start() → (update()…) → stop() or abandon(). stop() stops pulling, lets in-flight
// deliveries finish within a bound, then releases (naks) whatever is still held, in stream order:
// the server redelivers naks in the order it got them, ahead of newer messages, to the next worker.
// abandon() (the worker lost its lease: another worker may be reading) lets go without a word.

import type {
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { DeliveryRecord, SubscriptionRecord } from "../controller/records.ts";
import {
  DELIVERIES_STREAM,
  deliveryConsumerName,
  dlqSubject,
  type Lane,
  statusKey,
} from "../nats/names.ts";
import { BackfillProgress } from "./backfill-progress.ts";
import { retryDelay } from "./backoff.ts";
import type { ChannelTarget, DeliveryItem, DeliveryOutcome } from "./channel.ts";
import { deadLetterHeaders } from "./dead-letter.ts";
import { CONSUME_DEFAULTS } from "./defaults.ts";
import { type DeliveryEnvelope, messageEnvelope } from "./envelope.ts";
import { describeError } from "./errors.ts";
import { errorOutcome, permanent, retry } from "./outcome.ts";
import { TokenBucket } from "./pacer.ts";
import { UserOrderScheduler } from "./scheduler.ts";
import { StatusWriter } from "./status-writer.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type DeliveryLog = (
  level: LogLevel,
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** Hooks for metrics (and benchmarks); each is called once per message outcome. */
export interface DeliveryObserver {
  delivered?(
    record: SubscriptionRecord,
    lane: Lane,
    envelope: DeliveryEnvelope,
    attempts: number,
  ): void;
  failed?(
    record: SubscriptionRecord,
    lane: Lane,
    envelope: DeliveryEnvelope,
    error: string,
    attempt: number,
  ): void;
  deadLettered?(
    record: SubscriptionRecord,
    lane: Lane,
    envelope: DeliveryEnvelope,
    error: string,
  ): void;
}

/** What a lane needs from the subscription record, resolved by the worker. */
export interface LaneSettings {
  readonly record: SubscriptionRecord;
  readonly delivery: DeliveryRecord;
  readonly maxInFlight: number;
  /** Deliveries per second, for a paced (backfill) lane. */
  readonly ratePerSecond?: number;
  /** The channel bound to the record, or why it cannot be (its messages are dead-lettered). */
  readonly target: ChannelTarget | Error;
}

export interface LaneDeps {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly channel: string;
  readonly maxBatch: number;
  readonly status: StatusWriter;
  readonly log: DeliveryLog;
  readonly observer?: DeliveryObserver;
  readonly random: () => number;
  readonly extendEveryMs: number;
  readonly dlqRetryMs: number;
  /** Pull request expiry of `consume()`. */
  readonly consumeExpiresMs: number;
  /** On stop: bound on waiting for the server to drop the closed consumer's pull request. */
  readonly releaseWaitMs: number;
  /** Where a backfill lane reports how far it has delivered (KV segwatch-status), and how often. */
  readonly backfillProgress?: { readonly kv: KV; readonly intervalMs: number };
}

/** How a lane let go of its messages. */
export interface LaneRelease {
  /** Messages nak-ed back for redelivery. */
  readonly released: number;
  /**
   * The server sent messages this lane never received (in transit when it stopped pulling). They
   * come back only after the ack wait, so the next worker must not start before then.
   */
  readonly lostInTransit: boolean;
}

type Phase = "queued" | "sending" | "waiting" | "dead-lettering" | "done" | "released";

/** A message from receipt to ack; it is also the item the channel sees. */
class Held implements DeliveryItem {
  /** The latest delivery of the message (a redelivery while held replaces it: acks go to it). */
  msg: JsMsg;
  readonly seq: number;
  readonly envelope: DeliveryEnvelope;
  readonly body: Uint8Array;
  /** In the scheduler (malformed messages skip it). */
  readonly ordered: boolean;
  phase: Phase = "queued";
  attempts = 0;
  extendedAt: number;
  timer: NodeJS.Timeout | undefined;
  #progress: Set<string> | undefined;

  constructor(msg: JsMsg, envelope: DeliveryEnvelope, ordered: boolean, now: number) {
    this.msg = msg;
    this.seq = msg.seq;
    this.envelope = envelope;
    this.body = msg.data;
    this.ordered = ordered;
    this.extendedAt = now;
  }

  get attempt(): number {
    return this.attempts;
  }

  /** Created on first use: most messages are one request, delivered at once. */
  get progress(): Set<string> {
    this.#progress ??= new Set();
    return this.#progress;
  }
}

type State = "new" | "running" | "stopping" | "stopped" | "abandoned";

export class LaneWorker {
  readonly subscriptionId: string;
  readonly lane: Lane;
  readonly #deps: LaneDeps;
  #settings: LaneSettings;
  #pacer: TokenBucket | undefined;
  readonly #held = new Map<number, Held>();
  readonly #sched = new UserOrderScheduler<Held>((h) => h.envelope.userKey);
  #inFlight = 0;
  /** Dead letters being published (not HTTP concurrency, but stop waits for them). */
  #settling = 0;
  #idleWaiters: (() => void)[] = [];
  #state: State = "new";
  #messages: ConsumerMessages | undefined;
  #sweep: NodeJS.Timeout | undefined;
  #pumpTimer: NodeJS.Timeout | undefined;
  #stopped: Promise<LaneRelease> | undefined;
  /** The highest consumer (delivery) sequence received: what the server sent beyond it was lost. */
  #lastDelivery = 0;
  /** The consumer's pinned-client priority group, when it has one. */
  #group: string | undefined;
  /** Acks of this event-loop turn, sent together (see #ack). */
  #acks: JsMsg[] = [];
  readonly #statusKey: string;
  #acksScheduled = false;
  /** A backfill lane's delivered-sequence report (backfill-progress.ts). */
  readonly #progress: BackfillProgress | undefined;

  constructor(deps: LaneDeps, subscriptionId: string, lane: Lane, settings: LaneSettings) {
    this.#deps = deps;
    this.subscriptionId = subscriptionId;
    this.lane = lane;
    this.#settings = settings;
    this.#pacer = pacerFor(settings);
    this.#statusKey = StatusWriter.key(settings.record.namespace, subscriptionId);
    const progress = deps.backfillProgress;
    if (lane === "backfill" && progress !== undefined) {
      this.#progress = new BackfillProgress({
        jsm: deps.jsm,
        kv: progress.kv,
        consumer: this.consumerName,
        key: statusKey.backfillDelivered(settings.record.namespace, subscriptionId),
        intervalMs: progress.intervalMs,
        log: deps.log,
        idle: () => this.#held.size === 0,
      });
    }
  }

  get consumerName(): string {
    return deliveryConsumerName(this.subscriptionId, this.lane);
  }

  /** Messages received and not yet acked or released. */
  get held(): number {
    return this.#held.size;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "running";
    try {
      const consumer = await this.#deps.js.consumers.get(DELIVERIES_STREAM, this.consumerName);
      const info = await consumer.info(true);
      // Delivered before this worker: what the server sends from here on is ours (see #release).
      this.#lastDelivery = info.delivered.consumer_seq;
      // A consumer made with a pinned-client priority group (an older config, see consumer-config.ts)
      // serves only pulls of its group. Holding the lease, this worker is its only reader: a pin
      // still there is a previous worker's, and is dropped so that it does not hold up this one.
      if (info.config.priority_policy === "pinned_client") {
        this.#group = info.config.priority_groups?.[0];
        await this.#unpin();
      }
      const live = this.lane === "live";
      this.#messages = await consumer.consume({
        max_messages: live ? CONSUME_DEFAULTS.liveBatch : CONSUME_DEFAULTS.backfillBatch,
        expires: this.#deps.consumeExpiresMs,
        ...(this.#group === undefined ? {} : { group: this.#group }),
        callback: (m) => this.#onMessage(m),
      });
    } catch (err) {
      this.#state = "stopped";
      throw err;
    }
    void this.#watchStatus(this.#messages);
    this.#sweep = setInterval(() => this.#extend(), this.#deps.extendEveryMs);
    this.#sweep.unref();
  }

  /** New settings from a changed record: later attempts use them. */
  update(settings: LaneSettings): void {
    const rateChanged = settings.ratePerSecond !== this.#settings.ratePerSecond;
    this.#settings = settings;
    if (rateChanged) this.#pacer = pacerFor(settings);
    this.#pump();
  }

  /**
   * Stops pulling, waits up to `timeoutMs` for deliveries in flight, then releases every message
   * still held, in stream order, for the next worker.
   */
  stop(timeoutMs: number): Promise<LaneRelease> {
    this.#stopped ??= this.#stop(timeoutMs);
    return this.#stopped;
  }

  /**
   * Stops at once without releasing anything: another worker may be reading this lane already.
   * Deliveries in flight still ack when they succeed; everything else returns after the ack wait.
   */
  abandon(): void {
    if (this.#state === "stopped" || this.#state === "abandoned") return;
    this.#state = "abandoned";
    this.#halt();
    this.#flushAcks();
    void this.#messages?.close().catch(() => {});
    for (const h of this.#held.values()) {
      clearTimeout(h.timer);
      if (h.phase !== "sending") h.phase = "released";
    }
    this.#held.clear();
    this.#sched.drain();
  }

  async #stop(timeoutMs: number): Promise<LaneRelease> {
    const wasRunning = this.#state === "running";
    if (this.#state === "abandoned") return { released: 0, lostInTransit: false };
    this.#state = "stopping";
    clearTimeout(this.#pumpTimer);
    try {
      if (this.#messages) await within(this.#messages.close(), timeoutMs);
    } catch (err) {
      this.#deps.log("warn", "closing the consumer failed", {
        consumer: this.consumerName,
        error: describeError(err),
      });
    }
    await this.#idle(timeoutMs);
    this.#state = "stopped";
    this.#halt();
    this.#flushAcks();
    const rest = [...this.#held.values()].sort((a, b) => a.seq - b.seq);
    for (const h of rest) {
      clearTimeout(h.timer);
      h.phase = "released";
    }
    this.#held.clear();
    this.#sched.drain();
    if (!wasRunning) return { released: 0, lostInTransit: false };
    try {
      return await this.#release(rest);
    } catch (err) {
      // NATS is gone: everything held comes back after the ack wait.
      this.#deps.log("warn", "releasing messages failed", {
        consumer: this.consumerName,
        error: describeError(err),
      });
      return { released: 0, lostInTransit: true };
    }
  }

  /**
   * Naks `held` (in stream order) so that the server redelivers them, in that order, before anything
   * newer. One server behaviour needs care: a redelivery it picks while our closed consumer's pull
   * request still waits goes to the back of its queue when it finds that request dead. So the first
   * nak goes alone, and the rest only once the server has dropped the dead request.
   */
  async #release(held: Held[]): Promise<LaneRelease> {
    const { nc, jsm } = this.#deps;
    await nc.flush(); // the server has our unsubscribe: nothing more is sent to the dead request
    if (held.length > 0) {
      safely(() => held[0]!.msg.nak());
      await nc.flush();
    }
    let info = await jsm.consumers.info(DELIVERIES_STREAM, this.consumerName);
    if (held.length > 1) {
      const deadline = Date.now() + this.#deps.releaseWaitMs;
      while (info.num_waiting > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        info = await jsm.consumers.info(DELIVERIES_STREAM, this.consumerName);
      }
      for (let i = 1; i < held.length; i++) safely(() => held[i]!.msg.nak());
      await nc.flush();
    }
    // The next worker must not wait for this one's pin to lapse.
    await this.#unpin();
    const lostInTransit = info.delivered.consumer_seq > this.#lastDelivery;
    if (lostInTransit) {
      this.#deps.log(
        "warn",
        "messages were in transit when the consumer closed; they return after the ack wait",
        { consumer: this.consumerName },
      );
    }
    return { released: held.length, lostInTransit };
  }

  async #unpin(): Promise<void> {
    if (this.#group === undefined) return;
    try {
      await this.#deps.jsm.consumers.unpin(DELIVERIES_STREAM, this.consumerName, this.#group);
    } catch {
      // Nobody pinned: nothing to do.
    }
  }

  #halt(): void {
    this.#progress?.stop();
    clearTimeout(this.#pumpTimer);
    clearInterval(this.#sweep);
  }

  // ---- receiving ----------------------------------------------------------------------------------

  #onMessage(m: JsMsg): void {
    try {
      this.#receive(m);
    } catch (err) {
      // Left unacked, it comes back after the ack wait.
      this.#deps.log("error", "receiving a message failed", {
        consumer: this.consumerName,
        seq: m.seq,
        error: describeError(err),
      });
    }
  }

  #receive(m: JsMsg): void {
    if (this.#state !== "running" && this.#state !== "stopping") return;
    const now = Date.now();
    if (m.info.deliverySequence > this.#lastDelivery) this.#lastDelivery = m.info.deliverySequence;
    const seen = this.#held.get(m.seq);
    if (seen !== undefined) {
      // Redelivered while still held (an extension got lost): keep one copy, ack the newest delivery.
      seen.msg = m;
      seen.extendedAt = now;
      return;
    }
    const envelope = messageEnvelope(m);
    if (envelope === undefined) {
      const fallback: DeliveryEnvelope = {
        msgId: m.headers?.get("Nats-Msg-Id") || `seq-${m.seq}`,
        namespace: this.#settings.record.namespace,
        subscriptionId: this.subscriptionId,
        userKey: "",
        lane: this.lane,
      };
      const h = this.#hold(m, fallback, false, now);
      h.attempts = 1;
      void this.#deadLetter(h, "malformed delivery message: envelope headers missing");
      return;
    }
    const h = this.#hold(m, envelope, true, now);
    this.#sched.push(h);
    if (this.#state === "running") this.#pump();
  }

  #hold(m: JsMsg, envelope: DeliveryEnvelope, ordered: boolean, now: number): Held {
    const h = new Held(m, envelope, ordered, now);
    this.#held.set(h.seq, h);
    return h;
  }

  async #watchStatus(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const s of messages.status()) {
        switch (s.type) {
          case "consumer_deleted":
          case "consumer_not_found":
          case "stream_not_found":
          case "heartbeats_missed":
          case "exceeded_limits":
            this.#deps.log("warn", `consumer ${s.type.replaceAll("_", " ")}`, {
              consumer: this.consumerName,
            });
            break;
          default:
        }
      }
    } catch {
      // The iterator ends with the consumer.
    }
  }

  // ---- dispatching --------------------------------------------------------------------------------

  #pump(): void {
    if (this.#state !== "running") return;
    const { maxInFlight } = this.#settings;
    while (this.#inFlight < maxInFlight && this.#sched.readyCount > 0) {
      let n = Math.min(this.#deps.maxBatch, maxInFlight - this.#inFlight);
      const now = this.#pacer === undefined ? 0 : Date.now();
      if (this.#pacer !== undefined) {
        const available = this.#pacer.available(now);
        if (available === 0) {
          this.#pumpLater(this.#pacer.msUntilNext(now));
          return;
        }
        n = Math.min(n, available);
      }
      const batch = this.#sched.take(n);
      this.#pacer?.take(batch.length, now);
      this.#inFlight += batch.length;
      void this.#send(batch);
    }
  }

  #pumpLater(ms: number): void {
    if (this.#pumpTimer !== undefined) return;
    this.#pumpTimer = setTimeout(
      () => {
        this.#pumpTimer = undefined;
        this.#pump();
      },
      Math.max(1, ms),
    );
  }

  async #send(batch: Held[]): Promise<void> {
    for (const h of batch) {
      h.phase = "sending";
      h.attempts++;
    }
    const target = this.#settings.target;
    let outcomes: DeliveryOutcome[];
    if (target instanceof Error) {
      outcomes = batch.map(() => permanent(target.message));
    } else {
      try {
        outcomes = await target.deliver(batch);
      } catch (err) {
        // A channel must not throw; if one does, it is not the message's fault.
        outcomes = batch.map(() => errorOutcome(this.#deps.channel, err));
      }
    }
    this.#inFlight -= batch.length;
    for (let i = 0; i < batch.length; i++) {
      this.#settle(
        batch[i]!,
        outcomes[i] ?? retry(`${this.#deps.channel}: no outcome from the channel`),
      );
    }
    this.#pump();
    this.#checkIdle();
  }

  #settle(h: Held, outcome: DeliveryOutcome): void {
    if (this.#state === "abandoned") {
      // Another worker may have this message now; a success still saves it a duplicate.
      if (outcome.kind === "success") this.#ack(h.msg);
      return;
    }
    if (h.phase !== "sending") return; // released by stop() meanwhile
    const { record } = this.#settings;
    const { status, observer } = this.#deps;
    if (outcome.kind === "success") {
      this.#ack(h.msg);
      status.delivered(this.#statusKey, Date.now());
      observer?.delivered?.(record, this.lane, h.envelope, h.attempts);
      this.#finish(h);
      return;
    }
    status.failed(this.#statusKey, outcome.error, new Date());
    observer?.failed?.(record, this.lane, h.envelope, outcome.error, h.attempts);
    if (outcome.kind === "permanent") {
      void this.#deadLetter(h, outcome.error);
      return;
    }
    const { delivery } = this.#settings;
    if (h.attempts >= delivery.maxAttempts) {
      void this.#deadLetter(h, `${outcome.error} (gave up after ${h.attempts} attempts)`);
      return;
    }
    h.phase = "waiting";
    if (this.#state !== "running") return; // released by stop()
    const delay = retryDelay(h.attempts, delivery, outcome.retryAfterMs, this.#deps.random);
    h.timer = setTimeout(() => {
      h.timer = undefined;
      if (h.phase !== "waiting" || this.#state !== "running") return;
      h.phase = "queued";
      this.#sched.requeue(h);
      this.#pump();
    }, delay);
  }

  async #deadLetter(h: Held, error: string): Promise<void> {
    h.phase = "dead-lettering";
    this.#settling++;
    const { js, log, status, observer } = this.#deps;
    const { record } = this.#settings;
    try {
      for (;;) {
        try {
          await js.publish(dlqSubject(this.#deps.channel, this.subscriptionId), h.body, {
            headers: deadLetterHeaders(h.msg.headers, error, h.attempts),
          });
          break;
        } catch (err) {
          log("warn", "dead-lettering failed; trying again", {
            consumer: this.consumerName,
            seq: h.seq,
            error: describeError(err),
          });
          if (this.#state !== "running") return; // left unacked: the next worker dead-letters it
          await new Promise((r) => setTimeout(r, this.#deps.dlqRetryMs));
        }
      }
      if (h.phase !== "dead-lettering") return;
      this.#ack(h.msg);
      status.deadLettered(this.#statusKey, error, new Date());
      observer?.deadLettered?.(record, this.lane, h.envelope, error);
      log("info", "dead-lettered", { consumer: this.consumerName, seq: h.seq, error });
      this.#finish(h);
    } finally {
      this.#settling--;
      this.#pump();
      this.#checkIdle();
    }
  }

  /**
   * Acks go out together at the end of the event-loop turn: responses that arrive in one turn cost
   * one socket write to NATS instead of one each (the write dominated a delivery's CPU cost).
   */
  #ack(msg: JsMsg): void {
    this.#acks.push(msg);
    if (this.#acksScheduled) return;
    this.#acksScheduled = true;
    setImmediate(() => this.#flushAcks());
  }

  #flushAcks(): void {
    this.#acksScheduled = false;
    const acks = this.#acks;
    this.#acks = [];
    for (const m of acks) safely(() => m.ack());
    if (acks.length > 0) this.#progress?.poke();
  }

  #finish(h: Held): void {
    h.phase = "done";
    this.#held.delete(h.seq);
    if (h.ordered) this.#sched.complete(h);
  }

  // ---- keeping held messages alive, stopping --------------------------------------------------

  /** When any held message is due, extends them all, in stream order (see the file comment). */
  #extend(): void {
    const now = Date.now();
    let due = false;
    for (const h of this.#held.values()) {
      if (now - h.extendedAt >= this.#deps.extendEveryMs) {
        due = true;
        break;
      }
    }
    if (!due) return;
    for (const h of [...this.#held.values()].sort((a, b) => a.seq - b.seq)) {
      safely(() => h.msg.working());
      h.extendedAt = now;
    }
  }

  #checkIdle(): void {
    if (this.#inFlight === 0 && this.#settling === 0)
      for (const w of this.#idleWaiters.splice(0)) w();
  }

  /** Resolves when nothing is in flight, or after `timeoutMs`. */
  async #idle(timeoutMs: number): Promise<void> {
    if (this.#inFlight === 0 && this.#settling === 0) return;
    await within(new Promise<void>((resolve) => this.#idleWaiters.push(resolve)), timeoutMs);
  }
}

/** Waits for `p`, but no longer than `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      p,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function pacerFor(settings: LaneSettings): TokenBucket | undefined {
  const rate = settings.ratePerSecond;
  return rate !== undefined && rate > 0
    ? new TokenBucket(rate, settings.maxInFlight, Date.now())
    : undefined;
}

/** Acks, naks and extensions are fire-and-forget publishes; on a closed connection they throw. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The message comes back after its ack wait; at-least-once covers it.
  }
}
