// The Google Cloud Pub/Sub channel: each delivery becomes one message on the subscription's topic,
// published through @google-cloud/pubsub with message ordering on and the user's identity as the
// ordering key (pubsub-message.ts has the message's shape). The client library is loaded on the first
// delivery, so that other commands do not pay for it.
//
// One client per (project, credentials) — each holds a gRPC channel — and one publisher per (topic,
// timeout), shared by every subscription that names them. `PUBSUB_EMULATOR_HOST`, or the channel's
// `apiEndpoint`, points the clients at an emulator; the library then connects without TLS and sends no
// credentials, so a subscription's own credentials are checked but unused.

import { createHash } from "node:crypto";
import type { ClientConfig, PubSub, Topic } from "@google-cloud/pubsub";
import type { PubSubRecord, SubscriptionRecord } from "../controller/records.ts";
import { projectIdProblem, topicName, topicProblem } from "../resources/pubsub-names.ts";
import type { ChannelTarget, DeliveryChannel, DeliveryItem, DeliveryOutcome } from "./channel.ts";
import { PUBSUB_DEFAULTS } from "./defaults.ts";
import { ChannelConfigError, describeError } from "./errors.ts";
import { permanent, retry, SUCCESS } from "./outcome.ts";
import { parseServiceAccountKey, type ServiceAccountKey } from "./pubsub-credentials.ts";
import { buildPubSubMessage, type PubSubMessage } from "./pubsub-message.ts";
import { grpcStatusName, publishErrorOutcome } from "./pubsub-outcome.ts";

export interface PubSubChannelOptions {
  /**
   * host:port of the Pub/Sub API for every subscription (an emulator in tests). Default: the
   * `PUBSUB_EMULATOR_HOST` environment variable, else Google's endpoint.
   */
  readonly apiEndpoint?: string;
}

type PubSubModule = typeof import("@google-cloud/pubsub");
type AuthModule = typeof import("google-auth-library");

/** The scopes the client library asks for itself when it builds the credentials. */
const PUBSUB_SCOPES = [
  "https://www.googleapis.com/auth/cloud-platform",
  "https://www.googleapis.com/auth/pubsub",
] as const;

const DEFAULT_UNIVERSE = "googleapis.com";

/** The client library's own rule: an endpoint outside googleapis.com is an emulator (no TLS). */
export function isEmulatorEndpoint(endpoint: string): boolean {
  const host = endpoint.replace(/^https?:\/\//, "").replace(/[:/].*$/, "");
  return !host.endsWith(`.${DEFAULT_UNIVERSE}`);
}

export function createPubSubChannel(opts: PubSubChannelOptions = {}): DeliveryChannel {
  return new PubSubChannel(opts);
}

/** A cached publisher: the topic handle and the ordering keys its last publish failed for. */
interface Publisher {
  readonly topic: Topic;
  /** Keys the library paused after a failed publish: resumed before the next publish with them. */
  readonly paused: Set<string>;
}

interface Client {
  readonly pubsub: Promise<PubSub>;
  readonly publishers: Map<string, Publisher>;
}

class PubSubChannel implements DeliveryChannel {
  readonly name = "pubsub" as const;
  readonly maxBatch = PUBSUB_DEFAULTS.maxBatch;
  readonly #opts: PubSubChannelOptions;
  #sdk: Promise<[PubSubModule, AuthModule]> | undefined;
  readonly #clients = new Map<string, Client>();
  /** Which client each subscription opened last: a client no subscription uses any more is closed. */
  readonly #clientOf = new Map<string, string>();

  constructor(opts: PubSubChannelOptions) {
    this.#opts = opts;
  }

  open(record: SubscriptionRecord): ChannelTarget {
    const settings = pubsubSettings(record);
    const clientKey = `${settings.projectId}\0${settings.credentialsDigest}`;
    this.#use(record.id, clientKey);
    const publisherKey = `${settings.topic}\0${record.delivery.timeoutMs}`;
    return new PubSubTarget(settings, () =>
      this.#publisher(clientKey, publisherKey, settings, record.delivery.timeoutMs),
    );
  }

  /**
   * Records that `subscriptionId` now uses `clientKey`; the client it used before (a rotated key, a
   * changed project) is closed once no subscription uses it. Its deliveries still in flight fail and
   * are retried through the new one.
   */
  #use(subscriptionId: string, clientKey: string): void {
    const previous = this.#clientOf.get(subscriptionId);
    this.#clientOf.set(subscriptionId, clientKey);
    if (previous === undefined || previous === clientKey) return;
    for (const k of this.#clientOf.values()) if (k === previous) return;
    const client = this.#clients.get(previous);
    if (!client) return;
    this.#clients.delete(previous);
    void closeClient(client, true);
  }

  async #publisher(
    clientKey: string,
    publisherKey: string,
    settings: Settings,
    timeoutMs: number,
  ): Promise<Publisher> {
    let client = this.#clients.get(clientKey);
    if (!client) {
      const pubsub = this.#newClient(settings);
      client = { pubsub, publishers: new Map() };
      this.#clients.set(clientKey, client);
      // A client that could not be built is built again on the next delivery.
      pubsub.catch(() => {
        if (this.#clients.get(clientKey) === client) this.#clients.delete(clientKey);
      });
    }
    const pubsub = await client.pubsub;
    let publisher = client.publishers.get(publisherKey);
    if (!publisher) {
      const topic = pubsub.topic(settings.topic, {
        messageOrdering: true,
        batching: {
          maxMessages: this.maxBatch,
          maxMilliseconds: PUBSUB_DEFAULTS.batchDelayMs,
        },
        // The worker retries with its own backoff and attempt limit, and bounds each try by the
        // subscription's timeout; the library's own retries (up to 10 minutes) would hide both.
        gaxOpts: { timeout: timeoutMs, retry: null },
      });
      publisher = { topic, paused: new Set() };
      client.publishers.set(publisherKey, publisher);
    }
    return publisher;
  }

  async #newClient(settings: Settings): Promise<PubSub> {
    this.#sdk ??= Promise.all([import("@google-cloud/pubsub"), import("google-auth-library")]);
    let sdk: PubSubModule;
    let auth: AuthModule;
    try {
      [sdk, auth] = await this.#sdk;
    } catch (err) {
      this.#sdk = undefined;
      throw err;
    }
    const key = settings.credentials;
    const endpoint = this.#opts.apiEndpoint ?? process.env.PUBSUB_EMULATOR_HOST;
    const options: ClientConfig & Record<`grpc.${string}`, unknown> = {
      projectId: settings.projectId,
      // A client of the key's own, rather than the key as `credentials` (deprecated by the library).
      ...(key
        ? {
            authClient: new auth.JWT({
              email: key.client_email,
              key: key.private_key,
              ...(key.private_key_id ? { keyId: key.private_key_id } : {}),
              scopes: [...PUBSUB_SCOPES],
            }),
          }
        : {}),
      ...(this.#opts.apiEndpoint ? { apiEndpoint: this.#opts.apiEndpoint } : {}),
      // An emulator takes no credentials: without this, finding the credentials' universe would
      // look for Application Default Credentials, up to the GCE metadata server.
      ...(endpoint && isEmulatorEndpoint(endpoint) && !settings.credentials
        ? { clientOptions: { universeDomain: DEFAULT_UNIVERSE } }
        : {}),
      // Passed on to the gRPC channel.
      "grpc.max_reconnect_backoff_ms": PUBSUB_DEFAULTS.maxReconnectBackoffMs,
    };
    return new sdk.PubSub(options);
  }

  async close(): Promise<void> {
    await this.#closeAll(true);
  }

  async destroy(): Promise<void> {
    await this.#closeAll(false);
  }

  async #closeAll(flush: boolean): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    this.#clientOf.clear();
    await Promise.all(clients.map((c) => closeClient(c, flush)));
  }
}

/** Closes a client's connections, after its queued messages went out when `flush`. Never rejects. */
async function closeClient(c: Client, flush: boolean): Promise<void> {
  let pubsub: PubSub;
  try {
    pubsub = await c.pubsub;
  } catch {
    return; // never built: nothing to close
  }
  if (flush) {
    await Promise.all([...c.publishers.values()].map((p) => p.topic.flush().catch(() => {})));
  }
  await pubsub.close().catch(() => {});
}

/** A subscription's Pub/Sub settings, checked. */
interface Settings {
  readonly projectId: string;
  /** The full resource name. */
  readonly topic: string;
  readonly orderingKeyField: string | undefined;
  readonly credentials: ServiceAccountKey | undefined;
  /** Tells clients apart without keeping the key in a map key. */
  readonly credentialsDigest: string;
}

/** Reads and checks a record's settings; a ChannelConfigError names what is wrong. */
export function pubsubSettings(record: SubscriptionRecord): Settings {
  const p: Partial<PubSubRecord> | undefined = record.pubsub;
  if (!p) throw new ChannelConfigError(record.id, "no pubsub settings");
  const projectId = typeof p.projectId === "string" ? p.projectId : "";
  if (!projectId) throw new ChannelConfigError(record.id, "pubsub: no projectId");
  const projectProblem = projectIdProblem(projectId);
  if (projectProblem)
    throw new ChannelConfigError(record.id, `pubsub projectId: ${projectProblem}`);
  const topic = typeof p.topic === "string" ? p.topic : "";
  if (!topic) throw new ChannelConfigError(record.id, "pubsub: no topic");
  const problem = topicProblem(topic);
  if (problem) throw new ChannelConfigError(record.id, `pubsub topic: ${problem}`);
  let credentials: ServiceAccountKey | undefined;
  if (p.credentials !== undefined) {
    try {
      credentials = parseServiceAccountKey(p.credentials);
    } catch (err) {
      throw new ChannelConfigError(record.id, `pubsub credentials: ${describeError(err)}`, {
        cause: err,
      });
    }
  }
  return {
    projectId,
    topic: topicName(projectId, topic),
    orderingKeyField: p.orderingKeyField || undefined,
    credentials,
    credentialsDigest: credentials
      ? createHash("sha256").update(JSON.stringify(credentials)).digest("hex")
      : "adc",
  };
}

class PubSubTarget implements ChannelTarget {
  readonly #settings: Settings;
  readonly #publisher: () => Promise<Publisher>;

  constructor(settings: Settings, publisher: () => Promise<Publisher>) {
    this.#settings = settings;
    this.#publisher = publisher;
  }

  async deliver(items: readonly DeliveryItem[]): Promise<DeliveryOutcome[]> {
    let publisher: Publisher;
    try {
      publisher = await this.#publisher();
    } catch (err) {
      const outcome = retry(`pubsub: loading the client failed: ${describeError(err)}`);
      return items.map(() => outcome);
    }
    // All items are handed to the library before any await: each ordering key's queue then sends
    // what it got in one request.
    return Promise.all(items.map((item) => this.#publish(publisher, item)));
  }

  async #publish(publisher: Publisher, item: DeliveryItem): Promise<DeliveryOutcome> {
    let message: PubSubMessage;
    try {
      message = buildPubSubMessage(item.envelope, item.body, this.#settings.orderingKeyField);
    } catch (err) {
      return permanent(`pubsub: ${describeError(err)}`);
    }
    const { topic, paused } = publisher;
    const key = message.orderingKey;
    // The library's contract: a key whose publish failed stays paused until resumed. (6.3.0 drops a
    // failed key's queue once it is empty, so the pause rarely outlives the failure; later versions
    // need not.)
    if (paused.delete(key)) topic.resumePublishing(key);
    try {
      await topic.publishMessage({
        data: message.data,
        attributes: { ...message.attributes },
        orderingKey: key,
      });
      return SUCCESS;
    } catch (err) {
      // After a failure the library refuses this key's later messages until it is resumed.
      paused.add(key);
      return publishErrorOutcome(this.#settings.topic, unwrapPaused(err));
    }
  }
}

/**
 * A publish refused because its key was paused carries the failure that paused it: classify by that
 * one (its gRPC code) when the wrapper has none of its own.
 */
function unwrapPaused(err: unknown): unknown {
  const inner = (err as { error?: unknown } | null)?.error;
  return grpcStatusName(err) === undefined && inner instanceof Error ? inner : err;
}
