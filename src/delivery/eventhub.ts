// The Azure Event Hubs channel: each delivery becomes one event (body = the payload's JSON bytes,
// messageId = the idempotency key, application properties with the subscription id and event types),
// published through @azure/event-hubs in EventDataBatches, one per partition key. One producer client
// (one AMQP connection) per connection string and hub, shared by the subscriptions that use them.
//
// The SDK is loaded on first use, so the other commands of the CLI never pay for it. Its own retries
// are off: the worker retries with its backoff, counts every failure and dead-letters at the end.

import type { EventDataBatch, EventHubProducerClient } from "@azure/event-hubs";
import type { SubscriptionRecord } from "../controller/records.ts";
import type { ChannelTarget, DeliveryChannel, DeliveryItem, DeliveryOutcome } from "./channel.ts";
import { EVENTHUB_DEFAULTS } from "./defaults.ts";
import { ChannelConfigError, describeError } from "./errors.ts";
import { groupByPartitionKey, type PreparedEvent, prepareEvent } from "./eventhub-events.ts";
import { eventHubErrorOutcome } from "./eventhub-outcome.ts";
import { type EventHubTarget, resolveEventHubTarget } from "./eventhub-settings.ts";
import { permanent, retry, SUCCESS } from "./outcome.ts";

export interface EventHubChannelOptions {
  /** How long a throttled (ServerBusyError) delivery waits at least before its next attempt. */
  readonly serverBusyRetryMs?: number;
  /** Producer clients unused this long are closed. */
  readonly idleCloseMs?: number;
  /** Events per `deliver` call. */
  readonly maxBatch?: number;
  /** Sent in the AMQP connection properties, beside the SDK's own. */
  readonly userAgent?: string;
}

type Sdk = typeof import("@azure/event-hubs");

interface Producer {
  readonly key: string;
  readonly client: EventHubProducerClient;
  inFlight: number;
  lastUsed: number;
}

export function createEventHubChannel(opts: EventHubChannelOptions = {}): DeliveryChannel {
  return new EventHubChannel(opts);
}

class EventHubChannel implements DeliveryChannel {
  readonly name = "eventhub" as const;
  readonly maxBatch: number;
  readonly #serverBusyRetryMs: number;
  readonly #idleCloseMs: number;
  readonly #userAgent: string;
  readonly #producers = new Map<string, Producer>();
  #sdk: Promise<Sdk> | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: EventHubChannelOptions) {
    this.maxBatch = opts.maxBatch ?? EVENTHUB_DEFAULTS.maxBatch;
    this.#serverBusyRetryMs = opts.serverBusyRetryMs ?? EVENTHUB_DEFAULTS.serverBusyRetryMs;
    this.#idleCloseMs = opts.idleCloseMs ?? EVENTHUB_DEFAULTS.idleCloseMs;
    this.#userAgent = opts.userAgent ?? "segwatch";
  }

  open(record: SubscriptionRecord): ChannelTarget {
    const settings = record.eventHub;
    if (!settings) throw new ChannelConfigError(record.id, "no eventHub settings");
    let target: EventHubTarget;
    try {
      target = resolveEventHubTarget(settings.connectionString, settings.eventHubName);
    } catch (err) {
      throw new ChannelConfigError(record.id, `event hub: ${describeError(err)}`, { cause: err });
    }
    return new EventHubChannelTarget(this, {
      target,
      subscriptionId: record.id,
      partitionKeyField: settings.partitionKeyField || undefined,
      timeoutMs: record.delivery.timeoutMs,
      serverBusyRetryMs: this.#serverBusyRetryMs,
    });
  }

  /** The producer for a hub, created on first use; `release` it after the send. */
  async acquire(target: EventHubTarget): Promise<Producer> {
    if (this.#closed) throw new Error("the event hub channel is closed");
    const key = `${target.connectionString}\u0000${target.eventHubName}`;
    let p = this.#producers.get(key);
    if (!p) {
      this.#sdk ??= import("@azure/event-hubs");
      const sdk = await this.#sdk;
      // Another delivery may have created it while the SDK loaded.
      p = this.#producers.get(key);
      if (!p) {
        if (this.#closed) throw new Error("the event hub channel is closed");
        const client = new sdk.EventHubProducerClient(
          target.connectionString,
          target.eventHubName,
          { retryOptions: { maxRetries: 0 }, userAgent: this.#userAgent },
        );
        p = { key, client, inFlight: 0, lastUsed: Date.now() };
        this.#producers.set(key, p);
        this.#startSweeper();
      }
    }
    p.inFlight++;
    return p;
  }

  release(p: Producer): void {
    p.inFlight--;
    p.lastUsed = Date.now();
  }

  #startSweeper(): void {
    if (this.#sweeper !== undefined) return;
    this.#sweeper = setInterval(() => this.#closeIdle(), Math.max(1_000, this.#idleCloseMs / 2));
    this.#sweeper.unref();
  }

  #closeIdle(): void {
    const now = Date.now();
    for (const p of this.#producers.values()) {
      if (p.inFlight === 0 && now - p.lastUsed >= this.#idleCloseMs) {
        this.#producers.delete(p.key);
        p.client.close().catch(() => {});
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const all = [...this.#producers.values()];
    this.#producers.clear();
    // A send still in flight fails and its message, already released by the worker, comes back.
    await Promise.all(all.map((p) => p.client.close().catch(() => {})));
  }

  destroy(): Promise<void> {
    return this.close();
  }
}

interface TargetSettings {
  readonly target: EventHubTarget;
  readonly subscriptionId: string;
  readonly partitionKeyField: string | undefined;
  readonly timeoutMs: number;
  readonly serverBusyRetryMs: number;
}

class EventHubChannelTarget implements ChannelTarget {
  readonly #channel: EventHubChannel;
  readonly #s: TargetSettings;

  constructor(channel: EventHubChannel, settings: TargetSettings) {
    this.#channel = channel;
    this.#s = settings;
  }

  async deliver(items: readonly DeliveryItem[]): Promise<DeliveryOutcome[]> {
    const outcomes: (DeliveryOutcome | undefined)[] = new Array(items.length);
    const prepared: (PreparedEvent | undefined)[] = new Array(items.length);
    const pending: number[] = [];
    for (let i = 0; i < items.length; i++) {
      try {
        prepared[i] = prepareEvent(items[i]!, this.#s.subscriptionId, this.#s.partitionKeyField);
        pending.push(i);
      } catch (err) {
        outcomes[i] = eventHubErrorOutcome(err, this.#s.serverBusyRetryMs);
      }
    }
    if (pending.length > 0) {
      let producer: Producer | undefined;
      try {
        producer = await this.#channel.acquire(this.#s.target);
        const signal = AbortSignal.timeout(this.#s.timeoutMs);
        const groups = groupByPartitionKey(pending.map((i) => prepared[i]!.partitionKey));
        await Promise.all(
          groups.map((g) =>
            this.#sendGroup(
              producer!.client,
              g.map((j) => pending[j]!),
              prepared,
              outcomes,
              signal,
            ),
          ),
        );
      } catch (err) {
        const o = eventHubErrorOutcome(err, this.#s.serverBusyRetryMs);
        for (const i of pending) outcomes[i] ??= o;
      } finally {
        if (producer) this.#channel.release(producer);
      }
    }
    return outcomes.map((o) => o ?? retry("eventhub: no outcome for the event"));
  }

  /**
   * Sends the events of one partition key: as few batches as the hub's maximum message size allows,
   * one after the other. An event that does not fit even an empty batch is permanent for itself only.
   */
  async #sendGroup(
    client: EventHubProducerClient,
    indices: readonly number[],
    prepared: readonly (PreparedEvent | undefined)[],
    outcomes: (DeliveryOutcome | undefined)[],
    abortSignal: AbortSignal,
  ): Promise<void> {
    const partitionKey = prepared[indices[0]!]!.partitionKey;
    const retryMs = this.#s.serverBusyRetryMs;
    let batch: EventDataBatch | undefined;
    let members: number[] = [];
    const flush = async () => {
      const sent = members;
      members = [];
      const b = batch!;
      batch = undefined;
      if (sent.length === 0) return;
      let o: DeliveryOutcome = SUCCESS;
      try {
        await client.sendBatch(b, { abortSignal });
      } catch (err) {
        o = eventHubErrorOutcome(err, retryMs);
      }
      for (const i of sent) outcomes[i] = o;
    };
    try {
      for (const i of indices) {
        const { event } = prepared[i]!;
        batch ??= await client.createBatch({ partitionKey, abortSignal });
        if (batch.tryAdd(event)) {
          members.push(i);
          continue;
        }
        if (members.length > 0) {
          await flush();
          batch = await client.createBatch({ partitionKey, abortSignal });
          if (batch.tryAdd(event)) {
            members.push(i);
            continue;
          }
        }
        outcomes[i] = permanent(
          `eventhub: the event (${event.body.length} bytes of payload) is larger than the hub's maximum message size (${batch.maxSizeInBytes} bytes)`,
        );
      }
      if (batch) await flush();
    } catch (err) {
      // Creating a batch failed (connection, authorization, hub): every event not yet settled shares it.
      const o = eventHubErrorOutcome(err, retryMs);
      for (const i of indices) outcomes[i] ??= o;
    }
  }
}
