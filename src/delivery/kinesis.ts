// The Kinesis channel: each delivery becomes a record — the payload's bytes as its data, the
// subscription's identifier field (else the user's identity) as its partition key — and the records of
// a subscription go out in PutRecords calls within the service's limits, a few calls in flight at a
// time (kinesis-queue.ts). Each message gets the outcome of its own record: a partial failure retries
// only the records that failed.
//
// The AWS SDK is imported on the first delivery (kinesis-clients.ts), not when the channel is made.

import type { KinesisRecord, SubscriptionRecord } from "../controller/records.ts";
import { AWS_REGION_RE, IAM_ROLE_ARN_RE, isKinesisStream } from "../resources/aws-names.ts";
import type { ChannelTarget, DeliveryChannel, DeliveryItem, DeliveryOutcome } from "./channel.ts";
import { KINESIS_DEFAULTS } from "./defaults.ts";
import { ChannelConfigError } from "./errors.ts";
import type { KinesisClients } from "./kinesis-clients.ts";
import { kinesisErrorOutcome, putRecordsOutcomes } from "./kinesis-outcome.ts";
import { PutRecordsQueue } from "./kinesis-queue.ts";
import { type KinesisEntry, type KinesisLimits, recordFor } from "./kinesis-records.ts";
import { permanent, retry, SUCCESS } from "./outcome.ts";

export interface KinesisChannelOptions {
  /** TCP (and TLS) connect bound, separate from the subscription's per-request timeout. */
  readonly connectTimeoutMs?: number;
  /** A client unused for this long is closed. */
  readonly clientIdleMs?: number;
  /** The session name of assume-role calls. */
  readonly roleSessionName?: string;
  readonly assumeRoleDurationSeconds?: number;
  /** PutRecords calls in flight per subscription; records arriving meanwhile share the next call. */
  readonly callsInFlight?: number;
  /** The service limits (tests lower them to exercise batching). */
  readonly limits?: Partial<KinesisLimits>;
}

const WHAT = "kinesis PutRecords";

export function createKinesisChannel(opts: KinesisChannelOptions = {}): DeliveryChannel {
  return new KinesisChannel(opts);
}

class KinesisChannel implements DeliveryChannel {
  readonly name = "kinesis" as const;
  readonly maxBatch = KINESIS_DEFAULTS.maxBatch;
  readonly #opts: KinesisChannelOptions;
  readonly #limits: KinesisLimits;
  #clients: Promise<KinesisClients> | undefined;
  /** Aborts every request in flight (destroy). */
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed = false;

  constructor(opts: KinesisChannelOptions) {
    this.#opts = opts;
    this.#limits = { ...KINESIS_DEFAULTS, ...opts.limits };
  }

  open(record: SubscriptionRecord): ChannelTarget {
    return new KinesisTarget(this, checkedSettings(record), record.delivery.timeoutMs);
  }

  get limits(): KinesisLimits {
    return this.#limits;
  }

  get callsInFlight(): number {
    return this.#opts.callsInFlight ?? KINESIS_DEFAULTS.callsInFlight;
  }

  /** The SDK side, loaded on first use. */
  clients(): Promise<KinesisClients> {
    this.#clients ??= import("./kinesis-clients.ts").then(
      (m) =>
        new m.KinesisClients({
          connectTimeoutMs: this.#opts.connectTimeoutMs ?? KINESIS_DEFAULTS.connectTimeoutMs,
          idleMs: this.#opts.clientIdleMs ?? KINESIS_DEFAULTS.clientIdleMs,
          roleSessionName: this.#opts.roleSessionName ?? KINESIS_DEFAULTS.roleSessionName,
          assumeRoleDurationSeconds:
            this.#opts.assumeRoleDurationSeconds ?? KINESIS_DEFAULTS.assumeRoleDurationSeconds,
          stsRequestTimeoutMs: KINESIS_DEFAULTS.stsRequestTimeoutMs,
        }),
    );
    // A failed import is tried again on the next delivery.
    this.#clients.catch(() => {
      this.#clients = undefined;
    });
    return this.#clients;
  }

  /** A signal that fires on destroy() or after `timeoutMs`. */
  signal(timeoutMs: number): AbortSignal {
    return AbortSignal.any([this.#abort.signal, AbortSignal.timeout(timeoutMs)]);
  }

  /** Runs a request unless the channel is closed, so that close() can wait for it. */
  track<T>(request: () => Promise<T>): Promise<T> {
    // Not a config error: the worker releases whatever is still held when it closes the channel.
    if (this.#closed) return Promise.reject(new Error("the kinesis channel is closed"));
    const p = request();
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p)).catch(() => {});
    return p;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    await this.#shutdown();
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    this.#abort.abort(new Error("the kinesis channel was destroyed"));
    await Promise.allSettled([...this.#inFlight]);
    await this.#shutdown();
  }

  async #shutdown(): Promise<void> {
    const clients = this.#clients;
    this.#clients = undefined;
    if (clients) (await clients.catch(() => undefined))?.close();
  }
}

class KinesisTarget implements ChannelTarget {
  readonly #channel: KinesisChannel;
  readonly #settings: KinesisRecord;
  readonly #timeoutMs: number;
  readonly #queue: PutRecordsQueue;

  constructor(channel: KinesisChannel, settings: KinesisRecord, timeoutMs: number) {
    this.#channel = channel;
    this.#settings = settings;
    this.#timeoutMs = timeoutMs;
    this.#queue = new PutRecordsQueue({
      maxCalls: channel.callsInFlight,
      limits: channel.limits,
      send: (records) => this.#send(records),
    });
  }

  deliver(items: readonly DeliveryItem[]): Promise<DeliveryOutcome[]> {
    const outcomes: (DeliveryOutcome | Promise<DeliveryOutcome>)[] = [];
    const records: KinesisEntry[] = [];
    const slots: number[] = [];
    for (const item of items) {
      const r = recordFor(
        item.body,
        item.envelope.userKey,
        this.#settings.identifierField,
        this.#channel.limits,
      );
      if (r.ok) {
        slots.push(outcomes.length);
        records.push(r.record);
        outcomes.push(SUCCESS); // replaced below
      } else {
        outcomes.push(permanent(`kinesis: ${r.error}`));
      }
    }
    for (const [i, p] of this.#queue.add(records).entries()) outcomes[slots[i]!] = p;
    return Promise.all(outcomes);
  }

  /** One PutRecords call: one outcome per record. */
  async #send(records: readonly KinesisEntry[]): Promise<DeliveryOutcome[]> {
    const signal = this.#channel.signal(this.#timeoutMs);
    try {
      const answer = await this.#channel.track(async () => {
        const putter = (await this.#channel.clients()).get(this.#settings);
        return putter.putRecords(this.#settings.stream, records, signal);
      });
      return putRecordsOutcomes(WHAT, records.length, answer);
    } catch (err) {
      const timedOut =
        signal.aborted && (signal.reason as Error | undefined)?.name === "TimeoutError";
      const o = timedOut
        ? retry(`${WHAT}: no answer within ${this.#timeoutMs} ms`)
        : kinesisErrorOutcome(WHAT, err);
      return records.map(() => o);
    }
  }
}

/** The record's Kinesis settings, or a ChannelConfigError naming what is unusable. */
function checkedSettings(record: SubscriptionRecord): KinesisRecord {
  const k = record.kinesis;
  const fail = (message: string): never => {
    throw new ChannelConfigError(record.id, message);
  };
  if (!k) return fail("no kinesis settings");
  if (typeof k.region !== "string" || !AWS_REGION_RE.test(k.region))
    fail(`kinesis region ${JSON.stringify(k.region)} is not an AWS region like us-east-1`);
  if (typeof k.stream !== "string" || !isKinesisStream(k.stream))
    fail(`kinesis stream ${JSON.stringify(k.stream)} is neither a stream name nor a stream ARN`);
  if (k.roleArn !== undefined && !IAM_ROLE_ARN_RE.test(k.roleArn))
    fail(`kinesis roleArn ${JSON.stringify(k.roleArn)} is not an IAM role ARN`);
  if (k.endpoint !== undefined && !isHttpUrl(k.endpoint))
    fail(`kinesis endpoint ${JSON.stringify(k.endpoint)} is not an http(s) URL`);
  const c = k.credentials;
  if (c !== undefined && (!c.accessKeyId || !c.secretAccessKey))
    fail("kinesis credentials need an access key id and a secret access key");
  return k;
}

function isHttpUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
