// The NATS harness against a real nats-server, through the same nats.js v3
// client packages the services use.
import {
  AckPolicy,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  StorageType,
} from "@nats-io/jetstream";
import { Kvm, type KvWatchEntry } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";

// Generous bound for anything that waits on the server: a limit on a hang, not
// a performance expectation.
const WAIT_MS = 20_000;

async function withDeadline<T>(what: string, promise: Promise<T>, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(what: string, check: () => Promise<boolean>, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function open(server: NatsServer): Promise<NatsConnection> {
  return connect({ servers: server.url, noAsyncTraces: true, name: "nats-harness-test" });
}

// Publishes with a bounded window of acks in flight (never one await per message).
async function publishAll(nc: NatsConnection, subject: string, payloads: string[]) {
  const js = jetstream(nc);
  const acks = [];
  const window = 64;
  for (let i = 0; i < payloads.length; i += window) {
    acks.push(
      ...(await Promise.all(payloads.slice(i, i + window).map((p) => js.publish(subject, p)))),
    );
  }
  return acks;
}

// Consumes `count` messages with consume({ callback }), acking each; stops the
// subscription before returning.
async function consumeAndAck(
  nc: NatsConnection,
  stream: string,
  durable: string,
  count: number,
): Promise<string[]> {
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  const received: string[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const messages = await consumer.consume({
    max_messages: 32,
    callback: (m: JsMsg) => {
      if (received.length >= count) return; // left unacked: redelivered to the next reader
      received.push(m.string());
      m.ack();
      if (received.length === count) done();
    },
  });
  try {
    await withDeadline(`${count} messages from ${stream}/${durable}`, all);
  } finally {
    await messages.close();
  }
  return received;
}

async function ackPendingIsZero(jsm: JetStreamManager, stream: string, durable: string) {
  const info = await jsm.consumers.info(stream, durable);
  return info.num_ack_pending === 0;
}

describe("nats harness", () => {
  let server: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await open(server);
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it("listens on loopback with JetStream enabled", async () => {
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    const jsm = await jetstreamManager(nc);
    const account = await jsm.getAccountInfo();
    expect(account.streams).toBe(0);
  });

  it("publishes with acks and consumes with consume({ callback }) + ack", async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: "HARNESS_EVENTS",
      subjects: ["harness.events.>"],
      storage: StorageType.File,
    });
    const payloads = Array.from({ length: 200 }, (_, i) => `event-${i}`);
    const acks = await publishAll(nc, "harness.events.acme.0", payloads);
    expect(acks.map((a) => a.seq)).toEqual(payloads.map((_, i) => i + 1));
    expect(new Set(acks.map((a) => a.stream))).toEqual(new Set(["HARNESS_EVENTS"]));
    expect(acks.some((a) => a.duplicate)).toBe(false);

    await jsm.consumers.add("HARNESS_EVENTS", {
      durable_name: "reader",
      ack_policy: AckPolicy.Explicit,
    });
    const received = await consumeAndAck(nc, "HARNESS_EVENTS", "reader", payloads.length);
    expect(received).toEqual(payloads);
    // Plain ack() is fire-and-forget: the server's view converges shortly after.
    await until("all acks recorded", () => ackPendingIsZero(jsm, "HARNESS_EVENTS", "reader"));
    const info = await jsm.consumers.info("HARNESS_EVENTS", "reader");
    expect(info.ack_floor.stream_seq).toBe(payloads.length);
    expect(info.num_pending).toBe(0);
  });

  it("puts, gets and watches KV entries", async () => {
    const kv = await new Kvm(nc).create("harness-kv", { history: 5 });
    const watch = await kv.watch({ key: "user.>" });
    const seen: KvWatchEntry[] = [];
    const collected = (async () => {
      for await (const e of watch) {
        seen.push(e);
        if (seen.length === 4) break;
      }
    })();

    const r1 = await kv.put("user.1", "alice");
    const r2 = await kv.put("user.1", "alice-2");
    await kv.put("other.key", "ignored by the watch");
    await kv.delete("user.1");
    await kv.put("user.2", JSON.stringify({ plan: "paid" }));

    const e1 = await kv.get("user.1", { revision: r1 });
    expect(e1?.string()).toBe("alice");
    const latest = await kv.get("user.1");
    expect(latest?.operation).toBe("DEL");
    expect((await kv.get("user.2"))?.json()).toEqual({ plan: "paid" });
    expect(r2).toBeGreaterThan(r1);

    try {
      await withDeadline("4 watch entries", collected);
    } finally {
      watch.stop();
    }
    expect(seen.map((e) => [e.key, e.operation, e.string()])).toEqual([
      ["user.1", "PUT", "alice"],
      ["user.1", "PUT", "alice-2"],
      ["user.1", "DEL", ""],
      ["user.2", "PUT", '{"plan":"paid"}'],
    ]);
  });

  it("keeps stream messages, consumer state and KV values across a restart", async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: "HARNESS_DURABLE",
      subjects: ["harness.durable.>"],
      storage: StorageType.File,
    });
    const payloads = Array.from({ length: 50 }, (_, i) => `durable-${i}`);
    await publishAll(nc, "harness.durable.x", payloads);
    await jsm.consumers.add("HARNESS_DURABLE", {
      durable_name: "reader",
      ack_policy: AckPolicy.Explicit,
    });
    // Read everything: a partial read would leave pulled-but-unacked messages
    // that only return after ack_wait.
    expect(await consumeAndAck(nc, "HARNESS_DURABLE", "reader", 50)).toEqual(payloads);
    await until("50 acks recorded", () => ackPendingIsZero(jsm, "HARNESS_DURABLE", "reader"));
    const kv = await new Kvm(nc).create("harness-durable-kv");
    await kv.put("profile.u1", "before-restart");

    const { url, port, storeDir } = server;
    await nc.close();
    await server.restart();
    expect([server.url, server.port, server.storeDir]).toEqual([url, port, storeDir]);
    nc = await open(server);

    const jsm2 = await jetstreamManager(nc);
    const info = await jsm2.streams.info("HARNESS_DURABLE");
    expect(info.config.storage).toBe(StorageType.File);
    expect(info.state.messages).toBe(50);
    expect(info.state.last_seq).toBe(50);
    expect((await jsm2.streams.getMessage("HARNESS_DURABLE", { seq: 1 }))?.string()).toBe(
      "durable-0",
    );
    const consumer = await jsm2.consumers.info("HARNESS_DURABLE", "reader");
    expect(consumer.ack_floor.stream_seq).toBe(50);
    expect(consumer.num_pending).toBe(0);
    // The durable resumes after its acked position: only new messages arrive.
    const more = ["after-0", "after-1", "after-2"];
    const acks = await publishAll(nc, "harness.durable.x", more);
    expect(acks.map((a) => a.seq)).toEqual([51, 52, 53]);
    expect(await consumeAndAck(nc, "HARNESS_DURABLE", "reader", more.length)).toEqual(more);
    const kv2 = await new Kvm(nc).open("harness-durable-kv");
    expect((await kv2.get("profile.u1"))?.string()).toBe("before-restart");

    // The earlier tests' stream survives too.
    expect((await jsm2.streams.info("HARNESS_EVENTS")).state.messages).toBe(200);
  });
});
