// JetStreamPublisher against a real nats-server: every message stored in order with its PubAck,
// duplicates reported as such, and each way a publish can fail — no stream, a refusal, no PubAck —
// ends the call with a PublishError naming the subject, never a hang.
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JetStreamPublisher, PublishError } from "../../src/nats/publisher.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";

let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "PUB", subjects: ["pub.>"] });
  await jsm.streams.add({ name: "SMALL", subjects: ["small.>"], max_msg_size: 16 });
});

afterAll(async () => {
  await nc?.drain();
  await server?.stop();
});

function withId(id: string) {
  const h = headers();
  h.set("Nats-Msg-Id", id);
  return h;
}

describe("JetStreamPublisher", () => {
  it("stores every message in order through a window smaller than the batch", async () => {
    const publisher = new JetStreamPublisher(nc);
    const messages = Array.from({ length: 1_000 }, (_, i) => ({
      subject: `pub.order.${i % 3}`,
      data: String(i),
    }));
    const acks = await publisher.publishAll(messages, 7);
    expect(acks).toHaveLength(1_000);
    expect(acks.every((a) => a.stream === "PUB")).toBe(true);
    const seqs = acks.map((a) => a.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const jsm = await jetstreamManager(nc);
    const first = await jsm.streams.getMessage("PUB", { seq: seqs[0]! });
    const last = await jsm.streams.getMessage("PUB", { seq: seqs[999]! });
    expect([first?.string(), last?.string()]).toEqual(["0", "999"]);
    publisher.close();
  });

  it("resolves an empty batch at once and reports a repeated Nats-Msg-Id as a duplicate", async () => {
    const publisher = new JetStreamPublisher(nc);
    expect(await publisher.publishAll([])).toEqual([]);
    const first = await publisher.publish("pub.dup", "a", withId("same"));
    const again = await publisher.publish("pub.dup", "b", withId("same"));
    expect(first.duplicate).toBeFalsy();
    expect(again).toMatchObject({ duplicate: true, seq: first.seq });
    publisher.close();
  });

  it("fails with a PublishError when no stream stores the subject", async () => {
    const publisher = new JetStreamPublisher(nc);
    const err = await publisher.publish("nowhere.at.all", "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).subject).toBe("nowhere.at.all");
    expect((err as Error).message).toMatch(/no stream stores nowhere\.at\.all/);
    publisher.close();
  });

  it("fails the batch when JetStream refuses one message, after the rest has settled", async () => {
    const publisher = new JetStreamPublisher(nc);
    const err = await publisher
      .publishAll([
        { subject: "small.ok", data: "fits" },
        { subject: "small.big", data: "x".repeat(100) },
        { subject: "small.ok", data: "fits too" },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).subject).toBe("small.big");
    expect((err as Error).message).toMatch(/JetStream refused small\.big/);
    publisher.close();
  });

  it("fails a publish whose PubAck never comes, within the ack timeout", async () => {
    // A plain subscriber takes the message (so the server sends no "no responders") and never answers.
    const silent = nc.subscribe("silent.>");
    const publisher = new JetStreamPublisher(nc, { ackTimeoutMs: 200 });
    const err = await publisher
      .publishAll([{ subject: "silent.one", data: "x" }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as Error).message).toMatch(/no PubAck for silent\.one within 200 ms/);
    silent.unsubscribe();
    publisher.close();
  });

  it("fails each publish when it is overdue, not a later one with it", async () => {
    const silent = nc.subscribe("silent3.>");
    const publisher = new JetStreamPublisher(nc, { ackTimeoutMs: 1_000 });
    let laterSettled = false;
    const first = publisher.publish("silent3.one", "x").catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 500));
    const later = publisher.publish("silent3.two", "y").catch((e: unknown) => {
      laterSettled = true;
      return e;
    });
    expect(await first).toBeInstanceOf(PublishError);
    // The sweep that failed the first found the later one still within its time.
    expect(laterSettled).toBe(false);
    expect(await later).toBeInstanceOf(PublishError);
    silent.unsubscribe();
    publisher.close();
  });

  it("refuses a window below 1 instead of never finishing", () => {
    const publisher = new JetStreamPublisher(nc);
    expect(() => publisher.publishAll([{ subject: "pub.x", data: "x" }], 0)).toThrow(RangeError);
    publisher.close();
  });

  it("rejects what is still waiting when closed, and refuses new publishes", async () => {
    const silent = nc.subscribe("silent2.>");
    const publisher = new JetStreamPublisher(nc);
    const waiting = publisher.publish("silent2.one", "x").catch((e: unknown) => e);
    await nc.flush();
    publisher.close();
    expect(await waiting).toBeInstanceOf(PublishError);
    await expect(publisher.publish("pub.after", "x")).rejects.toThrow(/publisher closed/);
    silent.unsubscribe();
  });
});
