// The Pub/Sub worker: the real @google-cloud/pubsub client through the real worker, against a real
// nats-server and the Pub/Sub emulator of the machine's Google Cloud CLI. What arrived is read back
// through the emulator's REST API from subscriptions with message ordering.
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PubSubRecord, SubscriptionRecord } from "../../src/controller/records.ts";
import { PUBSUB_ATTRIBUTE } from "../../src/delivery/pubsub-message.ts";
import { createDeliveryChannel } from "../../src/delivery/run.ts";
import type { DeliveryWorker } from "../../src/delivery/worker.ts";
import type { Buckets } from "../../src/nats/bootstrap.ts";
import { HEADER } from "../../src/nats/names.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import { type PubSubEmulator, startPubSubEmulator } from "../harness/pubsub-emulator.ts";
import { serviceAccountKeyJson } from "../support/service-account-key.ts";
import {
  connectSession,
  deadLetterCount,
  interleaved,
  laneDrained,
  lastDeadLetter,
  newSubscriptionId,
  putRecord,
  readStats,
  runCleanups,
  startTestWorker,
  subscribe,
  testRecord,
  until,
  untilCounted,
} from "./delivery-support.ts";
import {
  EmulatorRest,
  type PulledMessage,
  publishPubSubDeliveries,
  startRelay,
} from "./pubsub-support.ts";

const PROJECT = "segwatch-test";

let server: NatsServer;
let emulator: PubSubEmulator;
let rest: EmulatorRest;
let nc: NatsConnection;
let jsm: JetStreamManager;
let buckets: Buckets;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  [server, emulator] = await Promise.all([startNatsServer(), startPubSubEmulator()]);
  rest = new EmulatorRest(emulator.host);
  ({ nc, buckets, jsm } = await connectSession("delivery-pubsub-test", server.url));
});

afterEach(async () => {
  await runCleanups(cleanups);
});

afterAll(async () => {
  await nc?.close();
  await Promise.all([server?.stop(), emulator?.stop()]);
});

/**
 * A worker whose Pub/Sub clients reach `apiEndpoint` (the emulator, or a relay in front of it).
 * Retries come at once (zero jitter) unless `fullBackoff` waits each backoff's whole ceiling.
 */
function worker(apiEndpoint = emulator.host, fullBackoff = false): Promise<DeliveryWorker> {
  const channel = createDeliveryChannel("pubsub", { pubsub: { apiEndpoint } });
  return startTestWorker({
    nc,
    buckets,
    channel,
    cleanups,
    random: () => (fullBackoff ? 1 : 0),
  });
}

function record(
  id: string,
  pubsub: PubSubRecord,
  delivery: Partial<SubscriptionRecord["delivery"]> = {},
): SubscriptionRecord {
  return testRecord(id, "pubsub", { pubsub }, delivery);
}

/** A topic and an ordered subscription on it, named after the test's subscription. */
async function topicFor(id: string): Promise<{ topic: string; pull: string }> {
  const topic = `projects/${PROJECT}/topics/t-${id}`;
  const pull = `projects/${PROJECT}/subscriptions/s-${id}`;
  await rest.createTopic(topic);
  await rest.createOrderedSubscription(pull, topic);
  return { topic: `t-${id}`, pull };
}

function byKey(messages: readonly PulledMessage[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of messages) {
    const index = JSON.parse(m.data.toString("utf8")).data.index as number;
    out.set(m.orderingKey, [...(out.get(m.orderingKey) ?? []), index]);
  }
  return out;
}

describe("pubsub delivery worker", () => {
  it("publishes the payload's bytes with the user as ordering key and the attributes, in order", async () => {
    const w = await worker();
    const id = newSubscriptionId("ps");
    const { topic, pull } = await topicFor(id);
    await subscribe(jsm, buckets.registry, w, record(id, { projectId: PROJECT, topic }));
    const sent = await publishPubSubDeliveries(nc, id, interleaved(3, 4));

    const got = await rest.pullAll(pull, 12);
    await until("lane drained", () => laneDrained(jsm, id));
    expect(got).toHaveLength(12);
    const sentById = new Map(sent.map((s) => [s.msgId, s]));
    for (const m of got) {
      const key = m.attributes[PUBSUB_ATTRIBUTE.idempotencyKey]!;
      const s = sentById.get(key)!;
      expect(s, key).toBeDefined();
      // Byte for byte what the evaluator published.
      expect(m.data.equals(Buffer.from(s.body))).toBe(true);
      expect(m.orderingKey).toBe(s.user);
      expect(m.attributes).toEqual({
        [PUBSUB_ATTRIBUTE.subscriptionId]: id,
        [PUBSUB_ATTRIBUTE.idempotencyKey]: s.msgId,
        [PUBSUB_ATTRIBUTE.events]: s.index % 2 ? "exit" : "enter",
        [PUBSUB_ATTRIBUTE.segments]: "demo_segment",
      });
    }
    expect(new Set(got.map((m) => m.attributes[PUBSUB_ATTRIBUTE.idempotencyKey])).size).toBe(12);
    for (const user of ["user0", "user1", "user2"])
      expect(byKey(got).get(user), user).toEqual([0, 1, 2, 3]);
    await untilCounted(buckets.status, id, "delivered", 12);
    expect(await readStats(buckets.status, id)).toMatchObject({
      delivered: 12,
      failed: 0,
      deadLettered: 0,
      lastError: null,
    });
  });

  it("keys by the orderingKeyField when the profile has it, with a service-account key set", async () => {
    const w = await worker();
    const id = newSubscriptionId("ps");
    const { topic, pull } = await topicFor(id);
    // With an emulator endpoint the client sends no credentials: the subscription's key must not
    // get in the way.
    await subscribe(
      jsm,
      buckets.registry,
      w,
      record(id, {
        projectId: PROJECT,
        topic: `projects/${PROJECT}/topics/${topic}`,
        orderingKeyField: "account",
        credentials: serviceAccountKeyJson(),
      }),
    );
    await publishPubSubDeliveries(nc, id, interleaved(3, 2), {
      profile: (user) => (user === "user2" ? {} : { account: "acme-corp" }),
    });

    const got = await rest.pullAll(pull, 6);
    const keys = byKey(got);
    expect([...keys.keys()].sort()).toEqual(["acme-corp", "user2"]);
    expect(keys.get("user2")).toEqual([0, 1]);
    expect(keys.get("acme-corp")).toHaveLength(4);

    // A rotated key: a new client takes over (the old one is closed), deliveries go on.
    const rotated = serviceAccountKeyJson({}, "rotated@segwatch-test.iam.gserviceaccount.com");
    await putRecord(
      jsm,
      buckets.registry,
      record(id, { projectId: PROJECT, topic, orderingKeyField: "account", credentials: rotated }),
    );
    await publishPubSubDeliveries(nc, id, [
      { user: "user2", index: 2 },
      { user: "user2", index: 3 },
    ]);
    expect(byKey(await rest.pullAll(pull, 2)).get("user2")).toEqual([2, 3]);
    await until("lane drained", () => laneDrained(jsm, id));
    expect(await readStats(buckets.status, id)).toMatchObject({ deadLettered: 0 });
  });

  it("retries while the connection is down, then delivers every user's messages in order", async () => {
    const relay = await startRelay(emulator.port);
    cleanups.push(() => relay.close());
    const w = await worker(relay.host, true);
    const id = newSubscriptionId("ps");
    const { topic, pull } = await topicFor(id);
    await putRecord(
      jsm,
      buckets.registry,
      record(
        id,
        { projectId: PROJECT, topic },
        // Attempts for well over a minute: enough to outlast the outage and the reconnection.
        { maxAttempts: 100, initialBackoffMs: 50, maxBackoffMs: 1_000 },
      ),
    );
    await w.whenConsuming(id);
    relay.down();
    await publishPubSubDeliveries(nc, id, interleaved(3, 3));
    await until(
      "failed attempts counted",
      async () => ((await readStats(buckets.status, id))?.failed ?? 0) >= 3,
    );
    const during = await readStats(buckets.status, id);
    expect(during?.delivered).toBe(0);
    expect(during?.lastError).toMatch(
      /^pubsub: projects\/segwatch-test\/topics\/t-.*: 14 UNAVAILABLE/,
    );
    relay.up();

    // The client's channel reconnects after its backoff (at most PUBSUB_DEFAULTS'
    // maxReconnectBackoffMs); the subscription's attempts outlast that.
    const got = await rest.pullAll(pull, 9, 40_000);
    await until("lane drained", () => laneDrained(jsm, id));
    const keys = byKey(got);
    for (const user of ["user0", "user1", "user2"]) expect(keys.get(user), user).toEqual([0, 1, 2]);
    await untilCounted(buckets.status, id, "delivered", 9);
    expect(await readStats(buckets.status, id)).toMatchObject({ delivered: 9, deadLettered: 0 });
    expect(await deadLetterCount(jsm, id, "pubsub")).toBe(0);
  });

  it("dead-letters a publish to a missing topic at once, with the error", async () => {
    const w = await worker();
    const id = newSubscriptionId("ps");
    await subscribe(
      jsm,
      buckets.registry,
      w,
      record(id, { projectId: PROJECT, topic: "no-such-topic" }),
    );
    const [sent] = await publishPubSubDeliveries(nc, id, [{ user: "u1", index: 0 }]);

    await until("dead letter", async () => (await deadLetterCount(jsm, id, "pubsub")) === 1);
    await until("lane drained", () => laneDrained(jsm, id));
    const dl = (await lastDeadLetter(jsm, id, "pubsub"))!;
    expect(dl.string()).toBe(sent!.body);
    expect(dl.header.get(HEADER.msgId)).toBe(sent!.msgId);
    expect(dl.header.get(HEADER.attempts)).toBe("1");
    expect(dl.header.get(HEADER.error)).toMatch(
      /^pubsub: projects\/segwatch-test\/topics\/no-such-topic: 5 NOT_FOUND/,
    );
    await untilCounted(buckets.status, id, "deadLettered", 1);
    expect(await readStats(buckets.status, id)).toMatchObject({
      delivered: 0,
      failed: 1,
      deadLettered: 1,
      lastError: expect.stringContaining("NOT_FOUND"),
    });
  });

  it("dead-letters with a clear error when the settings are unusable", async () => {
    const w = await worker();
    const id = newSubscriptionId("ps");
    await subscribe(
      jsm,
      buckets.registry,
      w,
      record(id, { projectId: PROJECT, topic: "t-any", credentials: "{not json" }),
    );
    await publishPubSubDeliveries(nc, id, [{ user: "u1", index: 0 }]);

    await until("dead letter", async () => (await deadLetterCount(jsm, id, "pubsub")) === 1);
    const dl = (await lastDeadLetter(jsm, id, "pubsub"))!;
    expect(dl.header.get(HEADER.error)).toBe(
      `subscription ${id}: pubsub credentials: the credentials are not JSON (a service-account key file)`,
    );
  });
});
