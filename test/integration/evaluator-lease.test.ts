// Two evaluators that both own every partition, against a real nats-server: the partition leases
// let one read each partition at a time. Events toggle a segment for many users; every transition
// must be delivered exactly once, in each user's order, and the profiles must end right — through a
// graceful stop of one evaluator mid-stream (the other takes over at once), and through one cut
// off from NATS without releasing anything (the other takes over after the TTL, and the cut-off one
// stops itself before that). A partition held elsewhere does not keep the others from being read.

import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DELIVERY_DEFAULTS,
  type SegmentRecord,
  type SubscriptionRecord,
} from "../../src/controller/records.ts";
import { readEnvelope, type TriggerPayload } from "../../src/delivery/envelope.ts";
import { profileKvKey } from "../../src/evaluator/profile-store.ts";
import { type Evaluator, runEvaluator } from "../../src/evaluator/run.ts";
import { bootstrap } from "../../src/nats/bootstrap.ts";
import {
  DELIVERIES_STREAM,
  EVENTS_STREAM,
  evaluatorLeaseKey,
  eventSubject,
  HEADER,
  PROFILES_BUCKET,
  registryKey,
} from "../../src/nats/names.ts";
import { identityOf, partitionOf } from "../../src/profile/identity.ts";
import type { StoredProfile } from "../../src/profile/profile.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";

const PARTITIONS = 4;
const ALL = [0, 1, 2, 3];
/** Short, so a takeover after a silent holder is quick; renewals still far apart for a loaded machine. */
const LEASE = { ttlMs: 2_000, renewMs: 400, pollMs: 50 };
/** A bound on a hang, not a performance claim. */
const WAIT_MS = 30_000;
const USERS = 40;
const ROUNDS = 20;
const HALF = ROUNDS / 2;

let server: NatsServer;
let nc: NatsConnection;
let registry: KV;
let status: KV;
let profiles: KV;
let nsCounter = 0;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  const buckets = await bootstrap(nc);
  registry = buckets.registry;
  status = buckets.status;
  profiles = await new Kvm(nc).open(PROFILES_BUCKET);
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  // Each test starts with free leases, whatever the last one left behind.
  for (const p of ALL) await status.delete(evaluatorLeaseKey(p));
});

afterAll(async () => {
  await nc?.drain();
  await server?.stop();
});

interface Started {
  readonly evaluator: Evaluator;
  readonly conn: NatsConnection;
  readonly logs: string[];
}

/** An evaluator on its own connection (as a process of its own), owning every partition. */
async function startEvaluator(owner: string, owned: readonly number[] = ALL): Promise<Started> {
  const conn = await connect({ servers: server.url, noAsyncTraces: true });
  const logs: string[] = [];
  const evaluator = await runEvaluator({
    connection: conn,
    partitions: PARTITIONS,
    owned,
    owner,
    lease: LEASE,
    log: (level, message, error) => logs.push(`${level} ${message}${error ? `: ${error}` : ""}`),
  });
  cleanups.push(async () => {
    await withDeadline(`${owner} stops`, evaluator.stop());
    if (!conn.isClosed()) await conn.close();
  });
  return { evaluator, conn, logs };
}

async function setUp(): Promise<{ ns: string; subscriptionId: string }> {
  const ns = `lease${++nsCounter}-${process.pid}`;
  const seg: SegmentRecord = {
    id: "seg1",
    namespace: ns,
    name: "even",
    slug: "even",
    segmentql: "FILTER n % 2 == 0",
    generation: 1,
  };
  const sub: SubscriptionRecord = {
    id: `sub-${ns}`,
    namespace: ns,
    name: "sub",
    channel: "webhook",
    generation: 1,
    segmentIds: ["seg1"],
    events: ["enter", "exit"],
    fields: [],
    delivery: DELIVERY_DEFAULTS,
    webhook: { url: "http://127.0.0.1:9/hook", headers: {}, signingSecrets: [] },
  };
  await registry.put(registryKey.segment(ns, seg.id), JSON.stringify(seg));
  await registry.put(registryKey.subscription(ns, sub.id), JSON.stringify(sub));
  return { ns, subscriptionId: sub.id };
}

const users = Array.from({ length: USERS }, (_, i) => `user${i}`);
const keyOf = (u: string) => identityOf({ user_id: u }, ["user_id"])!.key;

/**
 * Round r sets n = r for every user: odd rounds out of the segment, even rounds in. A round's events
 * go out at once (a burst the evaluators work through in batches); rounds one after the other.
 */
async function publishRounds(ns: string, from: number, to: number): Promise<void> {
  const js = jetstream(nc);
  for (let r = from; r <= to; r++) {
    await Promise.all(
      users.map((u) =>
        js.publish(
          eventSubject(ns, partitionOf(keyOf(u), PARTITIONS)),
          JSON.stringify({ user_id: u, n: r }),
        ),
      ),
    );
  }
}

interface Delivered {
  readonly msgId: string;
  readonly user: string;
  readonly event: string;
  readonly n: unknown;
}

/** Every delivery of the subscription so far, in stream order. */
async function deliveries(subscriptionId: string): Promise<Delivered[]> {
  const jsm = await jetstreamManager(nc);
  const name = `read-${Math.random().toString(36).slice(2)}`;
  await jsm.consumers.add(DELIVERIES_STREAM, {
    name,
    filter_subject: `segwatch.deliver.*.${subscriptionId}.*`,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    inactive_threshold: 30_000_000_000,
  });
  const consumer = await jetstream(nc).consumers.get(DELIVERIES_STREAM, name);
  // Exactly what is stored now, so no read waits for a batch to expire.
  let left = (await consumer.info()).num_pending;
  const out: Delivered[] = [];
  while (left > 0) {
    const batch = await consumer.fetch({ max_messages: Math.min(left, 500), expires: WAIT_MS });
    for await (const m of batch) {
      left--;
      const payload = m.json<TriggerPayload>();
      for (const e of payload.data.segment_events) {
        out.push({
          msgId: readEnvelope(m.headers)!.msgId,
          user: m.headers!.get(HEADER.user),
          event: e.event,
          n: payload.data.n,
        });
      }
    }
  }
  await jsm.consumers.delete(DELIVERIES_STREAM, name);
  return out;
}

/** Every round from 2 on flips the membership: enter at n = 2, exit at 3, … — per user, in order. */
function expectEveryTransitionOnceInOrder(got: Delivered[]): void {
  expect(got).toHaveLength(USERS * (ROUNDS - 1));
  expect(new Set(got.map((d) => d.msgId)).size).toBe(got.length);
  for (const u of users) {
    const mine = got.filter((d) => d.user === keyOf(u));
    expect(mine.map((d) => d.n)).toEqual(Array.from({ length: ROUNDS - 1 }, (_, i) => i + 2));
    expect(mine.map((d) => d.event)).toEqual(mine.map((_, i) => (i % 2 === 0 ? "enter" : "exit")));
  }
}

async function expectProfilesFinal(ns: string): Promise<void> {
  for (const u of users) {
    const key = profileKvKey(ns, partitionOf(keyOf(u), PARTITIONS), keyOf(u));
    const p = (await profiles.get(key))?.json<StoredProfile>();
    expect(p?.fields.n, u).toBe(ROUNDS);
    expect(Object.keys(p?.segments ?? {}), u).toEqual(ROUNDS % 2 === 0 ? ["seg1"] : []);
  }
}

async function allDelivered(subscriptionId: string): Promise<Delivered[]> {
  let got: Delivered[] = [];
  await until("every transition delivered", async () => {
    got = await deliveries(subscriptionId);
    return got.length >= USERS * (ROUNDS - 1);
  });
  // Anything doubled or late would show now: the evaluators are idle.
  await until("nothing left to read", async () => {
    const jsm = await jetstreamManager(nc);
    for (const p of ALL) {
      const info = await jsm.consumers.info(EVENTS_STREAM, `evaluator-p${p}`);
      if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
    }
    return true;
  });
  return deliveries(subscriptionId);
}

describe("evaluators sharing partitions through leases", () => {
  it("reads each partition once; a graceful stop mid-stream hands its partitions over at once", async () => {
    const { ns, subscriptionId } = await setUp();
    const [a, b] = await Promise.all([startEvaluator("eval-a"), startEvaluator("eval-b")]);
    await until("every partition held", () =>
      sameSet([...a.evaluator.held(), ...b.evaluator.held()], ALL),
    );
    expect(a.evaluator.held().filter((p) => b.evaluator.held().includes(p))).toEqual([]);

    await publishRounds(ns, 1, HALF);
    await until("some deliveries", async () => (await deliveries(subscriptionId)).length > 0);
    // Stopped while the rest of the stream arrives: what it does not finish, the other one does.
    const [leaving, staying] = a.evaluator.held().length > 0 ? [a, b] : [b, a];
    const handed = leaving.evaluator.held();
    await Promise.all([leaving.evaluator.stop(), publishRounds(ns, HALF + 1, ROUNDS)]);
    await until("the other holds every partition", () => sameSet(staying.evaluator.held(), ALL));

    expectEveryTransitionOnceInOrder(await allDelivered(subscriptionId));
    await expectProfilesFinal(ns);
    for (const p of handed) expect(leaving.logs).toContain(`info partition ${p}: lease released`);
  }, 60_000);

  it("takes over from a holder cut off from NATS after the TTL; the cut-off one stops itself first", async () => {
    const { ns, subscriptionId } = await setUp();
    const a = await startEvaluator("eval-a");
    await until("a holds every partition", () => sameSet(a.evaluator.held(), ALL));
    const b = await startEvaluator("eval-b");
    await until("b waits for a", () =>
      ALL.every((p) => b.logs.includes(`info partition ${p}: waiting for eval-a`)),
    );
    expect(b.evaluator.held()).toEqual([]);

    await publishRounds(ns, 1, HALF);
    await until("some deliveries", async () => (await deliveries(subscriptionId)).length > 0);
    // As a kill -9 looks to NATS: the connection goes, nothing is released or acked; the rest of
    // the stream arrives meanwhile.
    await Promise.all([a.conn.close(), publishRounds(ns, HALF + 1, ROUNDS)]);
    await until("a stops itself", () =>
      ALL.every((p) =>
        a.logs.some((l) => l.startsWith(`warn partition ${p}: lease lost (not renewable`)),
      ),
    );
    await until("b holds every partition", () => sameSet(b.evaluator.held(), ALL));
    expect(a.evaluator.held()).toEqual([]);

    expectEveryTransitionOnceInOrder(await allDelivered(subscriptionId));
    await expectProfilesFinal(ns);
  }, 60_000);
  it("reads the partitions nobody holds while it waits for one that another process holds", async () => {
    const a = await startEvaluator("eval-a", [0]);
    await until("a holds partition 0", () => sameSet(a.evaluator.held(), [0]));
    const b = await startEvaluator("eval-b");
    await until("b reads the other three", () => sameSet(b.evaluator.held(), [1, 2, 3]));
    await until("b waits for a", () => b.logs.includes("info partition 0: waiting for eval-a"));
    await a.evaluator.stop();
    await until("b holds every partition", () => sameSet(b.evaluator.held(), ALL));
    await withDeadline("b reads every partition", b.evaluator.reading());
  });
});

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && b.every((x) => a.includes(x));
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function withDeadline<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), WAIT_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
