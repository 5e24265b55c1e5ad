// The Event Hubs worker: the real @azure/event-hubs client through the real worker and a real
// nats-server, publishing to the AMQP test peer (test/harness/eventhub-peer.ts) on 127.0.0.1.
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SubscriptionRecord } from "../../src/controller/records.ts";
import type { DeliveryItem } from "../../src/delivery/channel.ts";
import { createEventHubChannel } from "../../src/delivery/eventhub.ts";
import { createDeliveryChannel } from "../../src/delivery/run.ts";
import type { DeliveryWorker } from "../../src/delivery/worker.ts";
import type { Buckets } from "../../src/nats/bootstrap.ts";
import { HEADER } from "../../src/nats/names.ts";
import {
  type EventHubPeer,
  type ReceivedEvent,
  startEventHubPeer,
} from "../harness/eventhub-peer.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import {
  connectSession,
  deadLetterCount,
  interleaved,
  laneDrained,
  NAMESPACE,
  newSubscriptionId,
  type Published,
  payload,
  publishInOrder,
  readStats,
  requireDeadLetter,
  runCleanups,
  startTestWorker,
  subscribe,
  testRecord,
  until,
  untilCounted,
} from "./delivery-support.ts";

const HUB = "triggers";
const SMALL_HUB_MAX_MESSAGE = 4 * 1024;

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let buckets: Buckets;
let peer: EventHubPeer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  ({ nc, buckets, jsm } = await connectSession("delivery-eventhub-test", server.url));
  peer = await startEventHubPeer({ hubs: { [HUB]: 4 } });
});

afterEach(async () => {
  peer.onTransfer = () => undefined;
  await runCleanups(cleanups);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
  await peer?.close();
});

function worker(): Promise<DeliveryWorker> {
  // A short throttling wait, so that retries after ServerBusyError do not slow the suite.
  const channel = createDeliveryChannel("eventhub", { eventhub: { serverBusyRetryMs: 50 } });
  return startTestWorker({ nc, buckets, channel, cleanups });
}

function record(
  id: string,
  eventHub: NonNullable<SubscriptionRecord["eventHub"]>,
  delivery: Partial<SubscriptionRecord["delivery"]> = {},
): SubscriptionRecord {
  return testRecord(id, "eventhub", { eventHub }, delivery);
}

/** Publishes deliveries as the evaluator does, to the eventhub channel's subject, in order. */
function publish(
  subscriptionId: string,
  messages: readonly { user: string; index: number; extra?: Record<string, unknown> }[],
): Promise<Published[]> {
  return publishInOrder(nc, "eventhub", subscriptionId, messages);
}

const deadLetters = (subscriptionId: string) => deadLetterCount(jsm, subscriptionId, "eventhub");
const deadLetter = (subscriptionId: string) => requireDeadLetter(jsm, subscriptionId, "eventhub");

/** The peer's accepted events of one subscription. */
function eventsOf(subscriptionId: string): ReceivedEvent[] {
  return peer.events.filter((e) => e.properties.subscription_id === subscriptionId);
}

function indexOf(e: ReceivedEvent): { user: string; index: number } {
  const p = JSON.parse(e.body.toString("utf8")) as { data: { user_id: string; index: number } };
  return { user: p.data.user_id, index: p.data.index };
}

describe("event hub delivery worker", () => {
  it("publishes each message as one event: payload bytes, id, content type, properties, user key", async () => {
    const w = await worker();
    const id = newSubscriptionId("eh");
    await subscribe(
      jsm,
      buckets.registry,
      w,
      record(id, { connectionString: peer.connectionString(), eventHubName: HUB }),
    );
    const sent = await publish(id, interleaved(3, 2));

    await until("6 events", () => eventsOf(id).length >= 6);
    await until("lane drained", () => laneDrained(jsm, id));
    const got = eventsOf(id);
    expect(got).toHaveLength(6);
    expect(got.map((e) => e.body.toString("utf8")).sort()).toEqual(sent.map((s) => s.body).sort());
    for (const e of got) {
      const s = sent.find((x) => x.body === e.body.toString("utf8"))!;
      expect(e).toMatchObject({
        hub: HUB,
        messageId: s.msgId,
        contentType: "application/json",
        partitionKey: s.user,
        properties: { subscription_id: id, event_types: s.index % 2 ? "exit" : "enter" },
      });
    }
    // Every transfer carries one partition key; a user's events share a partition.
    for (const user of ["user0", "user1", "user2"])
      expect(
        new Set(got.filter((e) => e.partitionKey === user).map((e) => e.partitionId)).size,
      ).toBe(1);
    await untilCounted(buckets.status, id, "delivered", 6);
    expect(await readStats(buckets.status, id)).toMatchObject({
      delivered: 6,
      failed: 0,
      deadLettered: 0,
      lastError: null,
    });
  });

  it("keys by the partition key field when the profile has it, else by the user", async () => {
    const w = await worker();
    const id = newSubscriptionId("eh");
    await subscribe(
      jsm,
      buckets.registry,
      w,
      record(id, {
        connectionString: peer.connectionString({ entityPath: HUB }),
        partitionKeyField: "email",
      }),
    );
    await publish(id, [
      { user: "u1", index: 0, extra: { email: "one@example.com" } },
      { user: "u2", index: 0 },
      { user: "u3", index: 0, extra: { email: "" } },
    ]);
    await until("3 events", () => eventsOf(id).length >= 3);
    const keyOf = (user: string) =>
      eventsOf(id).find((e) => indexOf(e).user === user)?.partitionKey;
    expect([keyOf("u1"), keyOf("u2"), keyOf("u3")]).toEqual(["one@example.com", "u2", "u3"]);
  });

  it("retries a throttled hub (ServerBusyError), keeping each user's order", async () => {
    // Every event is refused twice before it gets through; a transfer fails as a whole.
    const seen = new Map<string, number>();
    peer.onTransfer = (t) => {
      let refuse = false;
      for (const e of t.events) {
        const n = (seen.get(e.messageId!) ?? 0) + 1;
        seen.set(e.messageId!, n);
        if (n <= 2) refuse = true;
      }
      return refuse
        ? {
            condition: "com.microsoft:server-busy",
            description: "The request was terminated because the entity is being throttled.",
          }
        : undefined;
    };
    const w = await worker();
    const id = newSubscriptionId("eh");
    await subscribe(
      jsm,
      buckets.registry,
      w,
      record(
        id,
        { connectionString: peer.connectionString(), eventHubName: HUB },
        { maxInFlight: 4 },
      ),
    );
    await publish(id, interleaved(3, 4));

    await until("12 events", () => eventsOf(id).length >= 12);
    await until("lane drained", () => laneDrained(jsm, id));
    const order = new Map<string, number[]>();
    for (const e of eventsOf(id)) {
      const { user, index } = indexOf(e);
      order.set(user, [...(order.get(user) ?? []), index]);
    }
    expect([...order.values()]).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
    await untilCounted(buckets.status, id, "delivered", 12);
    const stats = await readStats(buckets.status, id);
    expect(stats).toMatchObject({ delivered: 12, deadLettered: 0 });
    expect(stats!.failed).toBeGreaterThanOrEqual(24);
    expect(stats!.lastError).toMatch(/^eventhub: ServerBusyError: .*throttled/);
  });

  it("retries a send that timed out, and one whose connection was lost", async () => {
    let transfers = 0;
    peer.onTransfer = () => {
      transfers++;
      return transfers === 1 ? "hold" : transfers === 2 ? "drop" : undefined;
    };
    const w = await worker();
    const id = newSubscriptionId("eh");
    await subscribe(
      jsm,
      buckets.registry,
      w,
      record(
        id,
        { connectionString: peer.connectionString(), eventHubName: HUB },
        { timeoutMs: 500 },
      ),
    );
    await publish(id, [{ user: "u", index: 0 }]);

    await until("delivered", () => eventsOf(id).length >= 1);
    await untilCounted(buckets.status, id, "delivered", 1);
    expect(eventsOf(id)).toHaveLength(1);
    expect(transfers).toBe(3);
    expect(await readStats(buckets.status, id)).toMatchObject({
      delivered: 1,
      failed: 2,
      deadLettered: 0,
    });
  });

  it("dead-letters at once when the key is wrong (UnauthorizedError), with the error", async () => {
    const w = await worker();
    const id = newSubscriptionId("eh");
    const keyName = Object.keys(peer.keys)[0]!;
    await subscribe(
      jsm,
      buckets.registry,
      w,
      record(id, {
        connectionString: peer.connectionString({ keyName, key: "d3JvbmcK" }),
        eventHubName: HUB,
      }),
    );
    const [sent] = await publish(id, [{ user: "u1", index: 0 }]);

    await until("dead letter", async () => (await deadLetters(id)) === 1);
    const dl = await deadLetter(id);
    expect(dl.string()).toBe(sent!.body);
    expect(dl.header.get(HEADER.msgId)).toBe(sent!.msgId);
    expect(dl.header.get(HEADER.attempts)).toBe("1");
    expect(dl.header.get(HEADER.error)).toMatch(/^eventhub: UnauthorizedError: InvalidSignature/);
    expect(dl.header.get(HEADER.error)).not.toContain("d3JvbmcK");
    await untilCounted(buckets.status, id, "deadLettered", 1);
    expect(await readStats(buckets.status, id)).toMatchObject({
      delivered: 0,
      failed: 1,
      deadLettered: 1,
      lastError: expect.stringMatching(/UnauthorizedError/),
    });
    expect(eventsOf(id)).toHaveLength(0);
  });

  it("dead-letters at once when the hub does not exist (MessagingEntityNotFoundError)", async () => {
    const w = await worker();
    const id = newSubscriptionId("eh");
    await subscribe(
      jsm,
      buckets.registry,
      w,
      record(id, { connectionString: peer.connectionString(), eventHubName: "no-such-hub" }),
    );
    await publish(id, [{ user: "u1", index: 0 }]);
    await until("dead letter", async () => (await deadLetters(id)) === 1);
    expect((await deadLetter(id)).header.get(HEADER.error)).toMatch(
      /^eventhub: MessagingEntityNotFoundError: The messaging entity '.*no-such-hub' could not be found/,
    );
  });

  it("dead-letters a subscription whose hub name contradicts its connection string", async () => {
    const w = await worker();
    const id = newSubscriptionId("eh");
    await subscribe(
      jsm,
      buckets.registry,
      w,
      record(id, {
        connectionString: peer.connectionString({ entityPath: "other" }),
        eventHubName: HUB,
      }),
    );
    await publish(id, [{ user: "u1", index: 0 }]);
    await until("dead letter", async () => (await deadLetters(id)) === 1);
    const error = (await deadLetter(id)).header.get(HEADER.error);
    expect(error).toContain(
      `the event hub name "${HUB}" does not match the connection string's EntityPath "other"`,
    );
    expect(error).not.toContain("SharedAccessKey=");
  });

  it("uses one connection for the subscriptions that share a connection string and hub", async () => {
    const w = await worker();
    const before = peer.connectionsAccepted();
    const ids = [newSubscriptionId("eh"), newSubscriptionId("eh")];
    for (const id of ids) {
      await subscribe(
        jsm,
        buckets.registry,
        w,
        record(id, { connectionString: peer.connectionString(), eventHubName: HUB }),
      );
    }
    for (const id of ids) await publish(id, interleaved(2, 2));
    await until("8 events", () => ids.every((id) => eventsOf(id).length >= 4));
    expect(peer.connectionsAccepted() - before).toBe(1);
  });
});

describe("event hub delivery worker, a hub with a small maximum message size", () => {
  let small: EventHubPeer;
  beforeAll(async () => {
    small = await startEventHubPeer({ hubs: { [HUB]: 2 }, maxMessageSize: SMALL_HUB_MAX_MESSAGE });
  });
  afterAll(async () => {
    await small?.close();
  });

  it("dead-letters only the event too large for any batch; the others go through", async () => {
    const w = await worker();
    const id = newSubscriptionId("eh");
    await subscribe(
      jsm,
      buckets.registry,
      w,
      record(id, {
        connectionString: small.connectionString(),
        eventHubName: HUB,
        partitionKeyField: "team",
      }),
    );
    // One partition key for all, so they would share a batch; the big one cannot.
    await publish(id, [
      { user: "u1", index: 0, extra: { team: "t" } },
      { user: "u2", index: 0, extra: { team: "t", blob: "x".repeat(SMALL_HUB_MAX_MESSAGE) } },
      { user: "u3", index: 0, extra: { team: "t" } },
    ]);
    await until("dead letter", async () => (await deadLetters(id)) === 1);
    await until("2 events", () => small.events.length >= 2);
    await until("lane drained", () => laneDrained(jsm, id));
    expect(small.events.map((e) => indexOf(e).user).sort()).toEqual(["u1", "u3"]);
    expect(small.events.every((e) => e.partitionKey === "t")).toBe(true);
    const dl = await deadLetter(id);
    expect(dl.header.get(HEADER.user)).toBe("u2");
    expect(dl.header.get(HEADER.error)).toMatch(
      /^eventhub: the event \(\d+ bytes of payload\) is larger than the hub's maximum message size \(4096 bytes\)$/,
    );
  });
});

describe("event hub channel", () => {
  const item = (user: string, index: number, extra: Record<string, unknown> = {}): DeliveryItem => {
    const p = payload("direct", user, index);
    return {
      envelope: {
        msgId: `direct:${user}:${index}`,
        namespace: NAMESPACE,
        subscriptionId: "direct",
        userKey: user,
        lane: "live",
      },
      body: Buffer.from(JSON.stringify({ ...p, data: { ...p.data, ...extra } })),
      attempt: 1,
      progress: new Set(),
    };
  };

  it("sends the events of one call that share a partition key in one batch", async () => {
    const channel = createEventHubChannel();
    cleanups.push(() => channel.close());
    const target = channel.open(
      record("direct", {
        connectionString: peer.connectionString(),
        eventHubName: HUB,
        partitionKeyField: "team",
      }),
    );
    const before = peer.transfers.length;
    const outcomes = await target.deliver([
      item("a", 0, { team: "red" }),
      item("b", 0, { team: "blue" }),
      item("c", 0, { team: "red" }),
    ]);
    expect(outcomes).toEqual([{ kind: "success" }, { kind: "success" }, { kind: "success" }]);
    const sent = peer.transfers.slice(before);
    expect(sent.map((t) => [t.partitionKey, t.events.map((e) => e.messageId)])).toEqual(
      expect.arrayContaining([
        ["red", ["direct:a:0", "direct:c:0"]],
        ["blue", ["direct:b:0"]],
      ]),
    );
    expect(sent).toHaveLength(2);
  });

  it("closes a producer left idle, and opens a new one when needed again", async () => {
    const channel = createEventHubChannel({ idleCloseMs: 1_000 });
    cleanups.push(() => channel.close());
    const target = channel.open(
      record("direct", { connectionString: peer.connectionString(), eventHubName: HUB }),
    );
    // Earlier tests' channels are closed; their connections may still be winding down.
    await until("no connection open", () => peer.openConnections() === 0);
    expect(await target.deliver([item("a", 1)])).toEqual([{ kind: "success" }]);
    expect(peer.openConnections()).toBe(1);
    await until("the idle connection closed", () => peer.openConnections() === 0);
    expect(await target.deliver([item("a", 2)])).toEqual([{ kind: "success" }]);
  });

  it("refuses a record it cannot deliver with, naming the problem", () => {
    const channel = createEventHubChannel();
    const open = (eventHub: SubscriptionRecord["eventHub"]) =>
      channel.open({ ...record("cfg", { connectionString: "" }), eventHub });
    expect(() => open(undefined)).toThrow("subscription cfg: no eventHub settings");
    expect(() => open({ connectionString: "Endpoint=sb://x/", eventHubName: HUB })).toThrow(
      "subscription cfg: event hub: the connection string has no SharedAccessKeyName",
    );
    expect(() => open({ connectionString: peer.connectionString() })).toThrow(
      /event hub name is required \(the connection string has no EntityPath\)/,
    );
  });
});
