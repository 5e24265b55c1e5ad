// Stopping a delivery worker loses nothing: a real SIGTERM to a worker process with requests in
// flight, a bounded stop that lets in-flight requests finish, and two workers on one subscription.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { JetStreamManager, PriorityPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deliveryConsumerConfig, LANES } from "../../src/delivery/consumer-config.ts";
import { WORKER_DEFAULTS } from "../../src/delivery/defaults.ts";
import { createDeliveryChannel } from "../../src/delivery/run.ts";
import type { Buckets } from "../../src/nats/bootstrap.ts";
import { DELIVERIES_STREAM, deliveryConsumerName, registryKey } from "../../src/nats/names.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import {
  connectSession,
  deliveredOrder,
  interleaved,
  laneDrained,
  newSubscriptionId,
  publishDeliveries,
  putRecord,
  type Receiver,
  runCleanups,
  startReceiver,
  startTestWorker,
  subscriptionRecord,
  type TestWorker,
  until,
  WAIT_MS,
  withDeadline,
} from "./delivery-support.ts";

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let buckets: Buckets;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  ({ nc, buckets, jsm } = await connectSession("delivery-stop-test", server.url));
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

function worker(
  userAgent: string,
  stopTimeoutMs = 5_000,
  ensureConsumers = true,
): Promise<TestWorker> {
  const channel = createDeliveryChannel("webhook", {
    webhook: { targetPolicy: { allowLoopback: true }, userAgent },
  });
  return startTestWorker({
    nc,
    buckets,
    channel,
    cleanups,
    stopTimeoutMs,
    ensureConsumers,
    // These tests read no stats: the production cadence.
    statusFlushMs: WORKER_DEFAULTS.statusFlushMs,
  });
}

function startChild(
  subscriptionId: string,
  stopTimeoutMs: number,
): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const script = fileURLToPath(new URL("./delivery-worker-child.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    [script, server.url, subscriptionId, String(stopTimeoutMs)],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const lines: string[] = [];
  let stderr = "";
  child.stdout!.on("data", (b: Buffer) => lines.push(...b.toString().split("\n").filter(Boolean)));
  child.stderr!.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      if (code !== 0 && stderr) console.error(stderr);
      resolve(code);
    });
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  return { child, lines, exited };
}

describe("stopping a delivery worker", () => {
  it("on SIGTERM with requests in flight, releases them and the next worker delivers everything in order", async () => {
    const r = await receiver(() => ({ status: 200, hold: true }));
    const id = newSubscriptionId();
    await putRecord(
      jsm,
      buckets.registry,
      subscriptionRecord(id, r.url, { delivery: { maxInFlight: 4 } }),
    );
    const sent = await publishDeliveries(nc, id, interleaved(3, 10));

    const { child, lines, exited } = startChild(id, 300);
    await until("child consuming", () => lines.includes("consuming"));
    // One request per user is in flight (per-user order), none answered.
    await until("3 requests held", () => r.requests.length === 3);

    child.kill("SIGTERM");
    expect(await withDeadline("child exit", exited)).toBe(0);
    expect(lines).toContain("stopped");
    expect(r.requests.every((q) => q.status === undefined)).toBe(true);

    r.respond = () => ({ status: 200 });
    const w2 = await worker("segwatch-next");
    await w2.whenConsuming(id);
    await until(
      "everything delivered",
      () =>
        new Set(r.requests.filter((q) => q.status === 200).map((q) => q.headers["webhook-id"]))
          .size === sent.length,
    );
    await until("lane drained", () => laneDrained(jsm, id));
    for (const [, order] of deliveredOrder(r.requests))
      expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Everything after the SIGTERM came from the next worker.
    expect(r.requests.slice(3).every((q) => q.headers["user-agent"] === "segwatch-next")).toBe(
      true,
    );
  });

  it("lets in-flight requests finish within the bound: acked once, the rest redelivered", async () => {
    const r = await receiver(() => ({ status: 200, delayMs: 300 }));
    const id = newSubscriptionId();
    await putRecord(
      jsm,
      buckets.registry,
      subscriptionRecord(id, r.url, { delivery: { maxInFlight: 4 } }),
    );
    const sent = await publishDeliveries(nc, id, interleaved(4, 5));
    const w1 = await worker("w1", WAIT_MS);
    await w1.whenConsuming(id);
    await until("4 requests in flight", () => r.requests.length >= 4);
    await w1.stopAll();
    const finished = r.requests.filter((q) => q.status === 200).length;
    expect(finished).toBe(r.requests.length);

    r.respond = () => ({ status: 200 });
    const w2 = await worker("w2");
    await w2.whenConsuming(id);
    await until("everything delivered", () => r.requests.length >= sent.length);
    await until("lane drained", () => laneDrained(jsm, id));
    // No duplicates: what w1 finished was acked before it let go.
    const ids = r.requests.map((q) => q.headers["webhook-id"]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(sent.length);
    for (const [, order] of deliveredOrder(r.requests)) expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it("runs one worker at a time; a standby takes over when the active one stops", async () => {
    const r = await receiver(() => ({ status: 200, delayMs: 2 }));
    const id = newSubscriptionId();
    await putRecord(
      jsm,
      buckets.registry,
      subscriptionRecord(id, r.url, { delivery: { maxInFlight: 2 } }),
    );
    const w1 = await worker("w1");
    await w1.whenConsuming(id);
    const w2 = await worker("w2");
    const first = await publishDeliveries(nc, id, interleaved(3, 10));
    await until("first batch delivered", () => r.requests.length >= first.length);
    const agents = new Set(r.requests.map((q) => q.headers["user-agent"]));
    expect(agents.size).toBe(1);

    const active = w1.active ? w1 : w2;
    expect([w1.active, w2.active].filter(Boolean)).toHaveLength(1);
    expect(active === w1 ? "w1" : "w2").toBe([...agents][0]);
    await active.stopAll();
    const second = await publishDeliveries(
      nc,
      id,
      interleaved(3, 20).filter((m) => m.index >= 10),
    );
    await until("second batch delivered", () => r.requests.length >= first.length + second.length);
    await until("lane drained", () => laneDrained(jsm, id));
    expect(new Set(r.requests.slice(first.length).map((q) => q.headers["user-agent"])).size).toBe(
      1,
    );
    expect(r.requests.slice(first.length)[0]!.headers["user-agent"]).not.toBe([...agents][0]);
    for (const [, order] of deliveredOrder(r.requests))
      expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("reads consumers made with a pinned-client priority group, and hands them over in order", async () => {
    // The shape an older controller created: the worker must still read it (with the group) and
    // drop the previous worker's pin at a handover.
    const r = await receiver(() => ({ status: 200, delayMs: 300 }));
    const id = newSubscriptionId();
    for (const lane of LANES) {
      await jsm.consumers.add(DELIVERIES_STREAM, {
        ...deliveryConsumerConfig("webhook", id, lane),
        priority_groups: ["deliver"],
        priority_policy: "pinned_client" as PriorityPolicy,
        priority_timeout: 60_000_000_000,
      });
    }
    const record = subscriptionRecord(id, r.url, { delivery: { maxInFlight: 3 } });
    await buckets.registry.put(
      registryKey.subscription(record.namespace, id),
      JSON.stringify(record),
    );
    const sent = await publishDeliveries(nc, id, interleaved(3, 6));
    const w1 = await worker("w1", WAIT_MS, false);
    await w1.whenConsuming(id);
    await until("3 requests in flight", () => r.requests.length >= 3);
    await w1.stopAll();

    r.respond = () => ({ status: 200 });
    const w2 = await worker("w2", 5_000, false);
    await w2.whenConsuming(id);
    await until("everything delivered", () => r.requests.length >= sent.length);
    await until("lane drained", () => laneDrained(jsm, id));
    const ids = r.requests.map((q) => q.headers["webhook-id"]);
    expect(new Set(ids).size).toBe(sent.length);
    for (const [, order] of deliveredOrder(r.requests)) expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    const info = await jsm.consumers.info(DELIVERIES_STREAM, deliveryConsumerName(id, "live"));
    expect(info.config.priority_policy).toBe("pinned_client");
  });
});
