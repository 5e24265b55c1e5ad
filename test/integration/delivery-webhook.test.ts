// The webhook worker against a real nats-server and HTTP receivers on 127.0.0.1.
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDeliveryChannel } from "../../src/delivery/run.ts";
import type { DeliveryWorker } from "../../src/delivery/worker.ts";
import type { Buckets } from "../../src/nats/bootstrap.ts";
import { HEADER } from "../../src/nats/names.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import {
  connectSession,
  deadLetterCount,
  deliveredOrder,
  interleaved,
  laneDrained,
  lastDeadLetter,
  newSubscriptionId,
  publishDeliveries,
  putRecord,
  type Receiver,
  readStats,
  runCleanups,
  startReceiver,
  startTestWorker,
  subscribe,
  subscriptionRecord,
  until,
  untilCounted,
} from "./delivery-support.ts";

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let buckets: Buckets;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  ({ nc, buckets, jsm } = await connectSession("delivery-webhook-test", server.url));
});

afterEach(async () => {
  await runCleanups(cleanups);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

async function receiver(respond?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(respond);
  cleanups.push(() => r.close());
  return r;
}

/** A worker on the shared connection; deterministic zero jitter unless a test says otherwise. */
function worker(
  opts: {
    segmentEndpoint?: string;
    allowLoopback?: boolean;
    backfillRatePerSecond?: number;
    backfillMaxInFlight?: number;
  } = {},
): Promise<DeliveryWorker> {
  const channel = createDeliveryChannel("webhook", {
    webhook: {
      targetPolicy: { allowLoopback: opts.allowLoopback ?? true },
      ...(opts.segmentEndpoint ? { segmentEndpoint: opts.segmentEndpoint } : {}),
    },
  });
  return startTestWorker({
    nc,
    buckets,
    channel,
    cleanups,
    ...(opts.backfillRatePerSecond ? { backfillRatePerSecond: opts.backfillRatePerSecond } : {}),
    ...(opts.backfillMaxInFlight ? { backfillMaxInFlight: opts.backfillMaxInFlight } : {}),
  });
}

describe("webhook delivery worker", () => {
  it("delivers the payload with the subscription's headers, acks, and counts it", async () => {
    const r = await receiver();
    const w = await worker();
    const id = newSubscriptionId();
    // One at a time, so that keep-alive shows as a single socket.
    await subscribe(
      jsm,
      buckets.registry,
      w,
      subscriptionRecord(id, `${r.url}/hook?x=1`, { delivery: { maxInFlight: 1 } }),
    );
    const sent = await publishDeliveries(nc, id, interleaved(3, 2));

    await until("6 deliveries", () => r.requests.length >= 6);
    await until("lane drained", () => laneDrained(jsm, id));
    expect(r.requests.map((q) => q.body).sort()).toEqual(sent.map((s) => s.body).sort());
    const first = r.requests[0]!;
    expect(first.method).toBe("POST");
    expect(first.url).toBe("/hook?x=1");
    expect(first.headers["content-type"]).toBe("application/json");
    expect(first.headers.best_number).toBe("47");
    expect(sent.map((s) => s.msgId)).toContain(first.headers["webhook-id"]);
    expect(Number(first.headers["webhook-timestamp"])).toBeGreaterThan(1_700_000_000);
    await untilCounted(buckets.status, id, "delivered", 6);
    const stats = await readStats(buckets.status, id);
    expect(stats).toMatchObject({ delivered: 6, failed: 0, deadLettered: 0, lastError: null });
    expect(Date.parse(stats!.lastDeliveryTime!)).not.toBeNaN();
    // Pooled keep-alive connections: not one per request. (undici frees a socket a tick after the
    // response ends, so a request sent at once after the previous one may open a second socket.)
    expect(r.connections()).toBeLessThanOrEqual(2);
  });

  it("retries 5xx, then delivers, keeping each user's order", async () => {
    // Every message fails twice before it succeeds.
    const attempts = new Map<string, number>();
    const r = await receiver((req) => {
      const id = String(req.headers["webhook-id"]);
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      return n <= 2 ? { status: n === 1 ? 503 : 500, body: "try later" } : { status: 200 };
    });
    const w = await worker();
    const id = newSubscriptionId();
    await subscribe(
      jsm,
      buckets.registry,
      w,
      subscriptionRecord(id, r.url, { delivery: { maxInFlight: 4 } }),
    );
    await publishDeliveries(nc, id, interleaved(3, 4));

    await until("12 deliveries", () => r.requests.filter((q) => q.status === 200).length >= 12);
    await until("lane drained", () => laneDrained(jsm, id));
    expect(r.requests).toHaveLength(36);
    for (const [, order] of deliveredOrder(r.requests)) expect(order).toEqual([0, 1, 2, 3]);
    await untilCounted(buckets.status, id, "delivered", 12);
    expect(await readStats(buckets.status, id)).toMatchObject({
      delivered: 12,
      failed: 24,
      deadLettered: 0,
      lastError: expect.stringContaining("HTTP 500: try later"),
    });
  });

  it("waits as long as a 429's Retry-After says", async () => {
    let calls = 0;
    const r = await receiver(() =>
      ++calls === 1 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 },
    );
    const w = await worker();
    const id = newSubscriptionId();
    // Jitter is zero (random () => 0): without Retry-After the retry would be immediate.
    await subscribe(
      jsm,
      buckets.registry,
      w,
      subscriptionRecord(id, r.url, { delivery: { maxBackoffMs: 60_000 } }),
    );
    await publishDeliveries(nc, id, [{ user: "u", index: 0 }]);

    await until(
      "delivered after the 429",
      () => r.requests.length >= 2 && r.requests[1]!.status === 200,
    );
    const [first, second] = r.requests;
    expect(first!.status).toBe(429);
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    // A lower bound only: the worker must not come back before the receiver allowed it.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it("dead-letters a 4xx at once with the error, original body and headers, then acks", async () => {
    const r = await receiver(() => ({ status: 404, body: "no such hook" }));
    const w = await worker();
    const id = newSubscriptionId();
    await subscribe(jsm, buckets.registry, w, subscriptionRecord(id, r.url));
    const [sent] = await publishDeliveries(nc, id, [{ user: "u1", index: 0 }]);

    await until("dead letter", async () => (await deadLetterCount(jsm, id)) === 1);
    await until("lane drained", () => laneDrained(jsm, id));
    expect(r.requests).toHaveLength(1);
    const dl = (await lastDeadLetter(jsm, id))!;
    expect(dl.string()).toBe(sent!.body);
    expect(dl.header.get(HEADER.msgId)).toBe(sent!.msgId);
    expect(dl.header.get(HEADER.user)).toBe("u1");
    expect(dl.header.get(HEADER.subscription)).toBe(id);
    expect(dl.header.get(HEADER.error)).toBe("webhook: HTTP 404: no such hook");
    expect(dl.header.get(HEADER.attempts)).toBe("1");
    await untilCounted(buckets.status, id, "deadLettered", 1);
    expect(await readStats(buckets.status, id)).toMatchObject({
      delivered: 0,
      failed: 1,
      deadLettered: 1,
      lastError: "webhook: HTTP 404: no such hook",
    });
  });

  it("dead-letters after the last attempt, and the user's next message follows", async () => {
    const r = await receiver((req) =>
      JSON.parse(req.body).data.index === 0 ? { status: 502 } : { status: 200 },
    );
    const w = await worker();
    const id = newSubscriptionId();
    await subscribe(
      jsm,
      buckets.registry,
      w,
      subscriptionRecord(id, r.url, { delivery: { maxAttempts: 3 } }),
    );
    await publishDeliveries(nc, id, [
      { user: "u1", index: 0 },
      { user: "u1", index: 1 },
    ]);

    await until("dead letter", async () => (await deadLetterCount(jsm, id)) === 1);
    await until("lane drained", () => laneDrained(jsm, id));
    const indices = r.requests.map((q) => JSON.parse(q.body).data.index);
    expect(indices).toEqual([0, 0, 0, 1]);
    const dl = (await lastDeadLetter(jsm, id))!;
    expect(dl.header.get(HEADER.attempts)).toBe("3");
    expect(dl.header.get(HEADER.error)).toMatch(/^webhook: HTTP 502 \(gave up after 3 attempts\)$/);
  });

  it("retries a timeout", async () => {
    let calls = 0;
    const r = await receiver(() => (++calls === 1 ? { status: 200, hold: true } : { status: 200 }));
    const w = await worker();
    const id = newSubscriptionId();
    await subscribe(
      jsm,
      buckets.registry,
      w,
      subscriptionRecord(id, r.url, { delivery: { timeoutMs: 300 } }),
    );
    await publishDeliveries(nc, id, [{ user: "u", index: 0 }]);
    await until("delivered after the timeout", () => r.requests.some((q) => q.status === 200));
    await untilCounted(buckets.status, id, "delivered", 1);
    expect((await readStats(buckets.status, id))?.lastError).toMatch(/webhook: .*Timeout/i);
  });

  it("keeps per-user order with several users under concurrency, within maxInFlight", async () => {
    const users = 6;
    const perUser = 15;
    const maxInFlight = 4;
    let n = 0;
    const inFlightByUser = new Map<string, number>();
    let overlaps = 0;
    const r = await receiver(async (req) => {
      const user = JSON.parse(req.body).data.user_id as string;
      const now = (inFlightByUser.get(user) ?? 0) + 1;
      inFlightByUser.set(user, now);
      if (now > 1) overlaps++;
      // Every fourth request fails; every request takes a little while, so requests overlap.
      const fail = ++n % 4 === 0;
      await new Promise((res) => setTimeout(res, 3));
      inFlightByUser.set(user, (inFlightByUser.get(user) ?? 1) - 1);
      return fail ? { status: 503 } : { status: 200 };
    });
    const w = await worker();
    const id = newSubscriptionId();
    await subscribe(
      jsm,
      buckets.registry,
      w,
      subscriptionRecord(id, r.url, { delivery: { maxInFlight } }),
    );
    await publishDeliveries(nc, id, interleaved(users, perUser));

    await until(
      "all delivered",
      () => r.requests.filter((q) => q.status === 200).length >= users * perUser,
    );
    await until("lane drained", () => laneDrained(jsm, id));
    const order = deliveredOrder(r.requests);
    expect(order.size).toBe(users);
    const expected = Array.from({ length: perUser }, (_, i) => i);
    for (const [, got] of order) expect(got).toEqual(expected);
    // Never two requests of one user at once; users did overlap; the bound held.
    expect(overlaps).toBe(0);
    expect(r.maxActive()).toBeGreaterThan(1);
    expect(r.maxActive()).toBeLessThanOrEqual(maxInFlight);
    // Attempts of each user never go back to an earlier message.
    const attempts = new Map<string, number[]>();
    for (const q of r.requests) {
      const p = JSON.parse(q.body).data;
      attempts.set(p.user_id, [...(attempts.get(p.user_id) ?? []), p.index]);
    }
    for (const [, xs] of attempts) expect(xs).toEqual([...xs].sort((a, b) => a - b));
  });

  it("delivers a backfill in its own paced lane, without delaying live transitions", async () => {
    let backfillActive = 0;
    let backfillMax = 0;
    const r = await receiver(async (req) => {
      const backfill = JSON.parse(req.body).data.user_id.startsWith("member");
      if (!backfill) return { status: 200 };
      backfillMax = Math.max(backfillMax, ++backfillActive);
      await new Promise((res) => setTimeout(res, 5));
      backfillActive--;
      return { status: 200 };
    });
    const w = await worker({ backfillRatePerSecond: 20, backfillMaxInFlight: 2 });
    const id = newSubscriptionId();
    await subscribe(jsm, buckets.registry, w, subscriptionRecord(id, r.url));
    const members = Array.from({ length: 40 }, (_, i) => ({ user: `member${i}`, index: 0 }));
    await publishDeliveries(nc, id, members, "backfill");
    await publishDeliveries(nc, id, interleaved(5, 1));

    await until(
      "everything delivered",
      () => r.requests.filter((q) => q.status === 200).length >= 45,
    );
    await until(
      "lanes drained",
      async () => (await laneDrained(jsm, id)) && (await laneDrained(jsm, id, "backfill")),
    );
    const users = r.requests.map((q) => JSON.parse(q.body).data.user_id as string);
    const lastLive = Math.max(...users.map((u, i) => (u.startsWith("user") ? i : -1)));
    const lastBackfill = Math.max(...users.map((u, i) => (u.startsWith("member") ? i : -1)));
    // Published after the whole backfill, the live messages still went out before it finished.
    expect(lastLive).toBeLessThan(lastBackfill);
    expect(backfillMax).toBeLessThanOrEqual(2);
  });

  it("signs every request so that standardwebhooks verifies it, with either secret during a rotation", async () => {
    const current = `whsec_${Buffer.from("current secret, thirty-two bytes").toString("base64")}`;
    const previous = "previous raw secret";
    const r = await receiver();
    const w = await worker();
    const id = newSubscriptionId();
    await subscribe(
      jsm,
      buckets.registry,
      w,
      subscriptionRecord(id, r.url, { webhook: { signingSecrets: [current, previous] } }),
    );
    const sent = await publishDeliveries(nc, id, interleaved(2, 2));
    await until("4 deliveries", () => r.requests.filter((q) => q.status === 200).length >= 4);

    for (const q of r.requests) {
      const headers = q.headers as Record<string, string>;
      expect(new Webhook(current).verify(q.body, headers)).toEqual(JSON.parse(q.body));
      expect(new Webhook(previous, { format: "raw" }).verify(q.body, headers)).toEqual(
        JSON.parse(q.body),
      );
      expect(() => new Webhook(current).verify(`${q.body} `, headers)).toThrow();
      expect(sent.find((s) => s.msgId === headers["webhook-id"])?.body).toBe(q.body);
    }
  });

  it("also sends an identify call to Segment's tracking API", async () => {
    const hook = await receiver();
    const segment = await receiver();
    const w = await worker({ segmentEndpoint: `${segment.url}/segment-api` });
    const id = newSubscriptionId();
    await subscribe(
      jsm,
      buckets.registry,
      w,
      subscriptionRecord(id, hook.url, { webhook: { segmentioWriteKey: "wk_123" } }),
    );
    const [sent] = await publishDeliveries(nc, id, [{ user: "user123", index: 0 }]);

    await until("identify", () => segment.requests.length >= 1 && hook.requests.length >= 1);
    await until("lane drained", () => laneDrained(jsm, id));
    const call = segment.requests[0]!;
    expect(call.method).toBe("POST");
    expect(call.url).toBe("/segment-api/v1/identify");
    expect(call.headers.authorization).toBe(`Basic ${Buffer.from("wk_123:").toString("base64")}`);
    expect(call.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(call.body);
    expect(body).toEqual({
      userId: "user123",
      traits: {
        _created: "2026-01-01T00:00:00.000Z",
        _modified: "2026-01-01T00:00:00.000Z",
        user_id: "user123",
        index: 0,
        demo_segment: true,
      },
      messageId: sent!.msgId,
      timestamp: "2026-01-01T00:00:00.000Z",
      context: { library: { name: "segwatch" } },
    });
  });

  it("retries only the identify call when the webhook already succeeded", async () => {
    const hook = await receiver();
    let calls = 0;
    const segment = await receiver(() => (++calls === 1 ? { status: 503 } : { status: 200 }));
    const w = await worker({ segmentEndpoint: segment.url });
    const id = newSubscriptionId();
    await subscribe(
      jsm,
      buckets.registry,
      w,
      subscriptionRecord(id, hook.url, { webhook: { segmentioWriteKey: "wk" } }),
    );
    await publishDeliveries(nc, id, [{ user: "u", index: 0 }]);
    await until("identify retried", () => segment.requests.some((q) => q.status === 200));
    await until("lane drained", () => laneDrained(jsm, id));
    expect(hook.requests).toHaveLength(1);
    expect(segment.requests).toHaveLength(2);
  });

  it("refuses a loopback target unless allowed: a permanent failure with a clear error", async () => {
    const r = await receiver();
    const w = await worker({ allowLoopback: false });
    const id = newSubscriptionId();
    await subscribe(jsm, buckets.registry, w, subscriptionRecord(id, r.url));
    await publishDeliveries(nc, id, [{ user: "u", index: 0 }]);

    await until("dead letter", async () => (await deadLetterCount(jsm, id)) === 1);
    expect(r.requests).toHaveLength(0);
    expect(r.connections()).toBe(0);
    const dl = (await lastDeadLetter(jsm, id))!;
    expect(dl.header.get(HEADER.error)).toMatch(/target 127\.0\.0\.1 refused: loopback address/);
    expect(dl.header.get(HEADER.attempts)).toBe("1");
  });

  it("follows the registry: new settings apply, a deleted record stops consuming", async () => {
    const a = await receiver();
    const b = await receiver();
    const w = await worker();
    const id = newSubscriptionId();
    const record = subscriptionRecord(id, a.url);
    await subscribe(jsm, buckets.registry, w, record);
    await publishDeliveries(nc, id, [{ user: "u", index: 0 }]);
    await until("delivered to a", () => a.requests.length === 1);

    await putRecord(jsm, buckets.registry, {
      ...record,
      generation: 2,
      webhook: { ...record.webhook!, url: b.url },
    });
    // Until the worker has the new record, a message may still go to a; each try is a new message
    // (a repeated msg id would be dropped by JetStream's duplicate window).
    let attempt = 100;
    await until("new url applied", async () => {
      await publishDeliveries(nc, id, [{ user: "u", index: attempt++ }]);
      await new Promise((res) => setTimeout(res, 50));
      return b.requests.length > 0;
    });

    await buckets.registry.delete(`subscriptions.${record.namespace}.${id}`);
    await until("stopped consuming", () => !w.isConsuming(id));
  });
});
