// The evaluator against a real nats-server: events in, deliveries out, with the registry written the
// way the controller writes it. Covers the brief's f → t → f scenario, backfill while events keep
// arriving, segment redefinition, time-based exits, and a kill -9 of the evaluator mid-stream.

import { spawn } from "node:child_process";
import { join } from "node:path";
import {
  AckPolicy,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DELIVERY_DEFAULTS,
  type SchemaRecord,
  type SegmentRecord,
  type SubscriptionRecord,
} from "../../src/controller/records.ts";
import { readEnvelope, type TriggerPayload } from "../../src/delivery/envelope.ts";
import { evaluatorConsumerName } from "../../src/evaluator/partition-worker.ts";
import { type Evaluator, runEvaluator } from "../../src/evaluator/run.ts";
import { bootstrap } from "../../src/nats/bootstrap.ts";
import {
  DELIVERIES_STREAM,
  EVENTS_STREAM,
  eventSubject,
  HEADER,
  PROFILES_BUCKET,
  registryKey,
} from "../../src/nats/names.ts";
import { identityOf, partitionOf } from "../../src/profile/identity.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";

const PARTITIONS = 4;
const WAIT_MS = 30_000;

let server: NatsServer;
let nc: NatsConnection;
let registry: KV;
let nsCounter = 0;
const running: Evaluator[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  registry = (await bootstrap(nc)).registry;
});

afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
});

afterAll(async () => {
  await nc?.drain();
  await server?.stop();
});

/** Each test gets its own namespace, so tests share the server without seeing each other. */
function namespace(): string {
  return `t${++nsCounter}-${process.pid}`;
}

/** Polls a subscription's deliveries until they satisfy `done`; returns them. */
async function deliveredWhen(
  subscriptionId: string,
  done: (list: Delivered[]) => boolean,
  ms = WAIT_MS,
): Promise<Delivered[]> {
  let list: Delivered[] = [];
  await until(
    `deliveries of ${subscriptionId}`,
    async () => {
      list = await deliveries(subscriptionId);
      return done(list);
    },
    ms,
  );
  return list;
}

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function segment(
  ns: string,
  id: string,
  slug: string,
  segmentql: string,
  generation = 1,
): SegmentRecord {
  return { id, namespace: ns, name: slug.replaceAll("_", "-"), slug, segmentql, generation };
}

function subscription(
  ns: string,
  id: string,
  segmentIds: string[],
  extra: Partial<SubscriptionRecord> = {},
): SubscriptionRecord {
  return {
    id,
    namespace: ns,
    name: id,
    channel: "webhook",
    generation: 1,
    segmentIds,
    events: ["enter", "exit"],
    fields: [],
    delivery: DELIVERY_DEFAULTS,
    webhook: { url: "http://127.0.0.1:9/hook", headers: {}, signingSecrets: [] },
    ...extra,
  };
}

async function register(
  records: (SegmentRecord | SubscriptionRecord | SchemaRecord)[],
): Promise<void> {
  for (const r of records) {
    const key =
      "slug" in r
        ? registryKey.segment(r.namespace, r.id)
        : "channel" in r
          ? registryKey.subscription(r.namespace, r.id)
          : registryKey.schema(r.namespace);
    await registry.put(key, JSON.stringify(r));
  }
}

async function collect(ns: string, events: Record<string, unknown>[]): Promise<void> {
  const js = jetstream(nc);
  for (const e of events) {
    const id = identityOf(e, ["user_id"])!;
    await js.publish(eventSubject(ns, partitionOf(id.key, PARTITIONS)), JSON.stringify(e));
  }
}

interface Delivered {
  readonly seq: number;
  readonly msgId: string;
  readonly lane: string;
  readonly user: string;
  readonly payload: TriggerPayload;
}

/** How many messages a subscription's delivery subjects hold (cheap: one stream info). */
async function deliveryCount(subscriptionId: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(DELIVERIES_STREAM, {
    subjects_filter: `segwatch.deliver.*.${subscriptionId}.*`,
  });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

/** Every message on a subscription's delivery subjects so far, in stream order. */
async function deliveries(subscriptionId: string): Promise<Delivered[]> {
  const jsm = await jetstreamManager(nc);
  const name = `read-${subscriptionId}-${Math.random().toString(36).slice(2)}`;
  await jsm.consumers.add(DELIVERIES_STREAM, {
    name,
    filter_subject: `segwatch.deliver.*.${subscriptionId}.*`,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    inactive_threshold: 30_000_000_000,
  });
  const consumer = await jetstream(nc).consumers.get(DELIVERIES_STREAM, name);
  const out: Delivered[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
    let n = 0;
    for await (const m of batch) {
      n++;
      out.push(toDelivered(m));
    }
    if (n === 0) break;
  }
  await jsm.consumers.delete(DELIVERIES_STREAM, name);
  return out;
}

function toDelivered(m: JsMsg): Delivered {
  const env = readEnvelope(m.headers)!;
  return {
    seq: m.seq,
    msgId: env.msgId,
    lane: env.lane,
    user: m.headers!.get(HEADER.user),
    payload: m.json<TriggerPayload>(),
  };
}

async function start(extra: Partial<Parameters<typeof runEvaluator>[0]> = {}): Promise<Evaluator> {
  const e = await runEvaluator({ connection: nc, partitions: PARTITIONS, log: () => {}, ...extra });
  running.push(e);
  return e;
}

/** Replays a user's deliveries as membership changes; throws on an enter while in, or an exit while out. */
function replay(events: { event: string }[]): boolean {
  let member = false;
  for (const e of events) {
    if (e.event === "enter" && member) throw new Error("entered twice");
    if (e.event === "exit" && !member) throw new Error("exited while out");
    member = e.event === "enter";
  }
  return member;
}

describe("evaluator", () => {
  it("delivers the brief's scenario: paying_user f → t → f gives enter then exit", async () => {
    const ns = namespace();
    await register([
      segment(
        ns,
        "seg1",
        "demo_segment",
        '-- Paying Users Segment\nFILTER AND ( paying_user = "t" ) FROM user ALIAS demo_segment',
      ),
      subscription(ns, "sub1", ["seg1"]),
    ]);
    await start();
    await collect(ns, [
      { paying_user: "f", user_id: "user123", email: "user123@example.com" },
      { paying_user: "t", user_id: "user123" },
      { paying_user: "f", user_id: "user123" },
    ]);
    const got = await deliveredWhen("sub1", (list) => list.length >= 2);
    expect(got.map((d) => d.payload.data.segment_events.map((e) => e.event))).toEqual([
      ["enter"],
      ["exit"],
    ]);
    const [enter, exit] = got;
    expect(enter!.payload.meta).toEqual({
      object: "user",
      source: "subscription",
      subscription_id: "sub1",
    });
    expect(enter!.payload.data).toMatchObject({
      user_id: "user123",
      email: "user123@example.com",
      paying_user: "t",
    });
    expect(enter!.payload.data.segment_events[0]).toMatchObject({
      id: "seg1",
      slug: "demo_segment",
      exit: null,
    });
    expect(exit!.payload.data.segment_events[0]!.enter).toBe(
      enter!.payload.data.segment_events[0]!.enter,
    );
    expect(exit!.payload.data.segment_events[0]!.exit).toEqual(expect.any(String));
    expect(enter!.lane).toBe("live");
    expect(new Set(got.map((d) => d.msgId)).size).toBe(2);
  });

  it("backfills current members exactly once while events keep arriving", async () => {
    const ns = namespace();
    await register([segment(ns, "seg1", "high", "FILTER score > 50")]);
    await start();
    const users = Array.from({ length: 120 }, (_, i) => `u${i}`);
    await collect(
      ns,
      users.map((u, i) => ({ user_id: u, score: i % 2 === 0 ? 80 : 10 })),
    );
    // Wait until the evaluator stored every profile, then subscribe with a backfill while more events flow.
    await until("profiles stored", async () => (await countKeys(ns)) === users.length);
    await register([
      subscription(ns, "subbf", ["seg1"], { backfillRequestedAt: new Date().toISOString() }),
    ]);
    const flips = users.filter((_, i) => i % 3 === 0).map((u) => ({ user_id: u, score: 55 }));
    const drops = users.filter((_, i) => i % 4 === 0).map((u) => ({ user_id: u, score: 5 }));
    await collect(ns, [...flips, ...drops]);
    const expected = new Map<string, boolean>();
    for (const [i, u] of users.entries())
      expected.set(u, i % 4 === 0 ? false : i % 3 === 0 ? true : i % 2 === 0);
    // Until each user's final membership has been delivered.
    const got = await deliveredWhen("subbf", (all) => {
      const byUser = groupByUser(all);
      return users.every((u) => {
        const list = byUser.get(userKeyOf(u)) ?? [];
        return (list.length > 0 ? replay(list) : false) === expected.get(u);
      });
    });
    for (const [, list] of groupByUser(got)) {
      replay(list); // no double enter, no exit while out
      // One backfill enter at most. When it travels in the backfill lane it comes first, and the
      // user's later changes follow it there until that lane has delivered it (no delivery worker
      // runs here, so they all do): no backfill-lane message after a live one.
      expect(list.filter((e) => e.msgId.startsWith("bf:")).length).toBeLessThanOrEqual(1);
      if (list[0]?.lane === "backfill") expect(list[0].msgId.startsWith("bf:")).toBe(true);
      const firstLive = list.findIndex((e) => e.lane === "live");
      if (firstLive >= 0) expect(list.slice(firstLive).every((e) => e.lane === "live")).toBe(true);
    }
  });

  it("re-evaluates stored profiles when a segment is redefined", async () => {
    const ns = namespace();
    await register([
      segment(ns, "seg1", "rich", "FILTER score > 10"),
      subscription(ns, "subre", ["seg1"]),
    ]);
    await start();
    await collect(ns, [
      { user_id: "a", score: 20 },
      { user_id: "b", score: 60 },
    ]);
    await until("two enters", async () => (await deliveries("subre")).length === 2);
    await register([segment(ns, "seg1", "rich", "FILTER score > 50", 2)]);
    const got = await deliveredWhen("subre", (list) => list.length === 3);
    expect(got[2]!.payload.data).toMatchObject({ user_id: "a" });
    expect(got[2]!.payload.data.segment_events[0]!.event).toBe("exit");
  });

  it("exits users on time alone when a time-dependent segment's boundary passes", async () => {
    const ns = namespace();
    let now = Date.parse("2026-03-10T12:00:00Z");
    await register([
      { namespace: ns, identityFields: ["user_id"], fields: { last_visit: "time" } },
      segment(ns, "seg1", "recent", 'FILTER last_visit > "now-1h"'),
      subscription(ns, "subtm", ["seg1"]),
    ]);
    await start({ clock: () => now });
    await collect(ns, [{ user_id: "a", last_visit: new Date(now - 30 * 60_000).toISOString() }]);
    await until("enter", async () => (await deliveries("subtm")).length === 1);
    now += 31 * 60_000; // past the boundary; the evaluator's timer checks again at least every second of test time
    const got = await deliveredWhen("subtm", (list) => list.length === 2, WAIT_MS);
    expect(got[1]!.msgId).toMatch(/^tm:/);
    expect(got[1]!.payload.data.segment_events[0]!.event).toBe("exit");
  });

  it("replays an event a dead evaluator held unacked before the newer events after it", async () => {
    const ns = namespace();
    await register([
      segment(ns, "seg1", "even", "FILTER n % 2 == 0"),
      subscription(ns, "subheld", ["seg1"]),
    ]);
    // The durable consumer exists once an evaluator has read the partitions.
    const first = await start();
    await first.reading();
    await first.stop();
    running.splice(0);
    const partition = partitionOf(userKeyOf("held"), PARTITIONS);
    await collect(ns, [{ user_id: "held", n: 2 }]);
    // A process that took the event and died before acking it: JetStream would hand it out again
    // only after the ack wait, and the newer event first.
    const consumer = await jetstream(nc).consumers.get(
      EVENTS_STREAM,
      evaluatorConsumerName(partition),
    );
    const taken = await consumer.fetch({ max_messages: 1, expires: 5_000 });
    let held = 0;
    for await (const m of taken) {
      expect(m.json()).toEqual({ user_id: "held", n: 2 });
      held++;
    }
    expect(held).toBe(1);
    await collect(ns, [{ user_id: "held", n: 3 }]);
    await start();
    const got = await deliveredWhen("subheld", (list) => list.length >= 2);
    expect(got.flatMap((d) => d.payload.data.segment_events.map((e) => e.event))).toEqual([
      "enter",
      "exit",
    ]);
  });

  it("loses and duplicates nothing when the evaluator is killed with -9 mid-stream", async () => {
    const ns = namespace();
    await register([
      segment(ns, "seg1", "even", "FILTER n % 2 == 0"),
      subscription(ns, "subkill", ["seg1"]),
    ]);
    const users = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const rounds = 25;
    const round = (r: number) => users.map((u) => ({ user_id: u, n: r }));
    const child = spawnEvaluator();
    // Rounds 1 and 2 first: once round 2's enters are stored the evaluator is reading.
    await collect(ns, [...round(1), ...round(2)]);
    await until("round 2 delivered", async () => (await deliveryCount("subkill")) >= users.length);
    // The rest arrives round by round while the evaluator works; it is killed a round later.
    let published = 2;
    const publishing = (async () => {
      for (let r = 3; r <= rounds; r++) {
        await collect(ns, round(r));
        published = r;
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    await until(
      "round 3 delivered",
      async () => (await deliveryCount("subkill")) >= 2 * users.length,
    );
    child.kill("SIGKILL");
    // The kill lands mid-stream: events were still arriving.
    expect(published).toBeLessThan(rounds);
    await new Promise((r) => child.once("exit", r));
    await publishing;
    const again = spawnEvaluator();
    try {
      // Every round flips membership: r = 1 out, 2 in, ... 25 out → 24 transitions per user.
      const want = users.length * (rounds - 1);
      const got = await deliveredWhen("subkill", (list) => list.length >= want, 60_000);
      expect(got).toHaveLength(want);
      expect(new Set(got.map((d) => d.msgId)).size).toBe(want);
      for (const [, list] of groupByUser(got)) {
        expect(list).toHaveLength(rounds - 1);
        expect(replay(list)).toBe(false);
      }
    } finally {
      again.kill("SIGTERM");
      await new Promise((r) => again.once("exit", r));
    }
  }, 120_000);
});

function spawnEvaluator() {
  const main = join(import.meta.dirname, "..", "..", "src", "cli", "main.ts");
  return spawn(
    process.execPath,
    // A short lease: the next evaluator takes over from a killed one after 2 s, not 15.
    [
      main,
      "evaluator",
      "--nats",
      server.url,
      "--partitions",
      String(PARTITIONS),
      "--lease-ttl",
      "2",
    ],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
}

async function countKeys(ns: string): Promise<number> {
  const kv = await new Kvm(nc).open(PROFILES_BUCKET);
  let n = 0;
  for await (const _ of await kv.keys(`${ns}.>`)) n++;
  return n;
}

function userKeyOf(userId: string): string {
  return identityOf({ user_id: userId }, ["user_id"])!.key;
}

function groupByUser(
  list: Delivered[],
): Map<string, { event: string; lane: string; msgId: string }[]> {
  const out = new Map<string, { event: string; lane: string; msgId: string }[]>();
  for (const d of list) {
    let l = out.get(d.user);
    if (!l) {
      l = [];
      out.set(d.user, l);
    }
    for (const e of d.payload.data.segment_events)
      l.push({ event: e.event, lane: d.lane, msgId: d.msgId });
  }
  return out;
}
