// Per-user order across the two delivery lanes: a user whose backfill enter still waits in the paced
// backfill lane, and whose live event then makes them exit, must see the enter before the exit at the
// receiver. A real evaluator and a real webhook delivery worker against one nats-server, the backfill
// lane slowed to 2 messages a second so the enters are still queued when the exits happen.

import type { JetStreamManager } from "@nats-io/jetstream";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SegmentRecord } from "../../src/controller/records.ts";
import type { TriggerPayload } from "../../src/delivery/envelope.ts";
import { envelopeHeaders } from "../../src/delivery/envelope.ts";
import { createDeliveryChannel } from "../../src/delivery/run.ts";
import { profileKvKey } from "../../src/evaluator/profile-store.ts";
import { type Evaluator, runEvaluator } from "../../src/evaluator/run.ts";
import type { Buckets } from "../../src/nats/bootstrap.ts";
import {
  DELIVERIES_STREAM,
  deliverySubject,
  eventSubject,
  registryKey,
  statusKey,
} from "../../src/nats/names.ts";
import { JetStreamPublisher } from "../../src/nats/publisher.ts";
import { partitionOf } from "../../src/profile/identity.ts";
import type { StoredProfile } from "../../src/profile/profile.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import {
  connectSession,
  NAMESPACE,
  newSubscriptionId,
  publishDeliveries,
  type Receiver,
  runCleanups,
  startReceiver,
  startTestWorker,
  subscribe,
  subscriptionRecord,
  until,
} from "./delivery-support.ts";

const PARTITIONS = 2;

let server: NatsServer;
let nc: NatsConnection;
let buckets: Buckets;
let jsm: JetStreamManager;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  ({ nc, buckets, jsm } = await connectSession("backfill-order-test", server.url));
});

afterEach(() => runCleanups(cleanups));

afterAll(async () => {
  await nc?.drain();
  await server?.stop();
});

async function collect(events: Record<string, unknown>[]): Promise<void> {
  const js = jetstream(nc);
  for (const e of events) {
    const user = String(e.user_id);
    await js.publish(eventSubject(NAMESPACE, partitionOf(user, PARTITIONS)), JSON.stringify(e));
  }
}

async function profileCount(): Promise<number> {
  let n = 0;
  for await (const _ of await buckets.profiles.keys(`${NAMESPACE}.*.*`)) n++;
  return n;
}

/** Messages the evaluator published on one lane of a subscription so far. */
async function published(subscriptionId: string, lane: "live" | "backfill"): Promise<number> {
  const info = await jsm.streams.info(DELIVERIES_STREAM, {
    subjects_filter: deliverySubject("webhook", subscriptionId, lane),
  });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

async function storedProfile(user: string): Promise<StoredProfile | undefined> {
  const e = await buckets.profiles.get(
    profileKvKey(NAMESPACE, partitionOf(user, PARTITIONS), user),
  );
  return e?.operation === "PUT" ? e.json<StoredProfile>() : undefined;
}

/** Each user's segment events in the order the receiver got them. */
function eventsByUser(receiver: Receiver): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of receiver.requests) {
    if (r.status !== 200) continue;
    const p = JSON.parse(r.body) as TriggerPayload;
    const user = String(p.data.user_id);
    const list = out.get(user) ?? [];
    list.push(...p.data.segment_events.map((e) => e.event));
    out.set(user, list);
  }
  return out;
}

describe("backfill lane and live lane", () => {
  it("delivers a scanned user's backfill enter before the exit a later live event causes", async () => {
    // The receiver holds its first requests until the exits are published: the backfill lane has
    // delivered nothing when they are routed, whatever the machine's speed.
    let gated = true;
    const receiver = await startReceiver(() =>
      gated ? { status: 200, hold: true } : { status: 200 },
    );
    cleanups.push(() => receiver.close());
    const users = Array.from({ length: 10 }, (_, i) => `bo${i}`);
    const leaving = users.slice(0, 6);
    const segment: SegmentRecord = {
      id: "seg1",
      namespace: NAMESPACE,
      name: "high",
      slug: "high",
      segmentql: "FILTER score > 50",
      generation: 1,
    };
    await buckets.registry.put(registryKey.segment(NAMESPACE, segment.id), JSON.stringify(segment));
    const evaluator: Evaluator = await runEvaluator({
      connection: nc,
      partitions: PARTITIONS,
      log: () => {},
    });
    cleanups.push(() => evaluator.stop());
    await collect(users.map((u) => ({ user_id: u, score: 80 })));
    await until("profiles stored", async () => (await profileCount()) === users.length);

    const channel = createDeliveryChannel("webhook", {
      webhook: { targetPolicy: { allowLoopback: true } },
    });
    const worker = await startTestWorker({
      nc,
      buckets,
      channel,
      cleanups,
      backfillRatePerSecond: 2,
      backfillMaxInFlight: 1,
    });
    const id = newSubscriptionId("bforder");
    const record = {
      ...subscriptionRecord(id, `${receiver.url}/hook`),
      backfillRequestedAt: new Date().toISOString(),
    };
    await subscribe(jsm, buckets.registry, worker, record);
    // Every member's enter is queued in the paced lane before the live exits are caused.
    await until(
      "backfill published",
      async () => (await published(id, "backfill")) === users.length,
    );
    await collect(leaving.map((u) => ({ user_id: u, score: 5 })));
    await until(
      "exits published",
      async () =>
        (await published(id, "backfill")) + (await published(id, "live")) ===
        users.length + leaving.length,
    );
    gated = false;
    receiver.releaseHeld({ status: 200 });

    const expected = (u: string) => (leaving.includes(u) ? ["enter", "exit"] : ["enter"]);
    await until(
      "every user's events received",
      () => {
        const got = eventsByUser(receiver);
        return users.every((u) => (got.get(u)?.length ?? 0) >= expected(u).length);
      },
      25_000,
    );
    const got = eventsByUser(receiver);
    for (const u of users)
      expect({ user: u, events: got.get(u) }).toEqual({
        user: u,
        events: expected(u),
      });
    // The exits followed the enters through the backfill lane; nothing went live.
    expect(await published(id, "backfill")).toBe(users.length + leaving.length);
    expect(await published(id, "live")).toBe(0);

    // Once the lane reports everything delivered, the users' changes go live again.
    const last = (await jsm.streams.info(DELIVERIES_STREAM)).state.last_seq;
    await until("backfill lane reports all delivered", async () => {
      const e = await buckets.status.get(statusKey.backfillDelivered(NAMESPACE, id));
      return e?.operation === "PUT" && e.json<{ seq: number }>().seq >= last;
    });
    await collect(leaving.map((u) => ({ user_id: u, score: 90 })));
    await until("re-entries received", () =>
      leaving.every((u) => eventsByUser(receiver).get(u)?.length === 3),
    );
    expect(await published(id, "live")).toBe(leaving.length);
    expect(await published(id, "backfill")).toBe(users.length + leaving.length);
    for (const u of leaving) {
      expect(eventsByUser(receiver).get(u)).toEqual(["enter", "exit", "enter"]);
      expect((await storedProfile(u))?.backfillSeq).toBeUndefined();
    }
  }, 40_000);

  it("has a backfill lane report how far it delivered, and a lane without work write nothing", async () => {
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const channel = createDeliveryChannel("webhook", {
      webhook: { targetPolicy: { allowLoopback: true } },
    });
    const worker = await startTestWorker({
      nc,
      buckets,
      channel,
      cleanups,
      backfillProgressMs: 50,
    });
    const quiet = newSubscriptionId("quiet");
    const busy = newSubscriptionId("busy");
    await subscribe(jsm, buckets.registry, worker, subscriptionRecord(quiet, `${receiver.url}/q`));
    await subscribe(jsm, buckets.registry, worker, subscriptionRecord(busy, `${receiver.url}/b`));
    await publishDeliveries(nc, quiet, [{ user: "u1", index: 0 }], "live");
    await until("live message delivered", () => receiver.requests.length === 1);
    await publishDeliveries(
      nc,
      busy,
      [0, 1, 2].map((index) => ({ user: `u${index}`, index })),
      "backfill",
    );
    const last = (await jsm.streams.info(DELIVERIES_STREAM)).state.last_seq;
    await until("backfill delivered and reported", async () => {
      const e = await buckets.status.get(statusKey.backfillDelivered(NAMESPACE, busy));
      return e?.operation === "PUT" && e.json<{ seq: number }>().seq >= last;
    });
    expect(receiver.requests.length).toBe(4);
    expect(await buckets.status.get(statusKey.backfillDelivered(NAMESPACE, quiet))).toBeNull();
  });

  it("drops a message whose Nats-Msg-Id the stream has seen, whatever its subject", async () => {
    // The evaluator relies on it: a replay may route a message to the other lane than the first time.
    const publisher = new JetStreamPublisher(nc);
    try {
      const id = newSubscriptionId("dup");
      const envelope = {
        msgId: `ev:1:${id}`,
        namespace: NAMESPACE,
        subscriptionId: id,
        userKey: "u1",
        lane: "backfill" as const,
      };
      const [first, again] = await publisher.publishAll([
        {
          subject: deliverySubject("webhook", id, "backfill"),
          data: "{}",
          headers: envelopeHeaders(envelope),
        },
        {
          subject: deliverySubject("webhook", id, "live"),
          data: "{}",
          headers: envelopeHeaders({ ...envelope, lane: "live" }),
        },
      ]);
      expect(first!.duplicate ?? false).toBe(false);
      expect(again).toMatchObject({ duplicate: true, seq: first!.seq });
      expect(await published(id, "backfill")).toBe(1);
      expect(await published(id, "live")).toBe(0);
    } finally {
      publisher.close();
    }
  });
});
