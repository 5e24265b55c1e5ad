// The header bytes nats.js keeps for a received message: read as they arrived, so that the delivery
// worker's envelope reading skips the general decoder. If a nats.js upgrade moves them, this fails
// rather than the worker silently falling back to the slower path.
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeHeaders, messageEnvelope, readEnvelope } from "../../src/delivery/envelope.ts";
import { rawHeaderBlock } from "../../src/nats/raw-headers.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";

let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "RAW", subjects: ["raw.>"] });
  await jsm.consumers.add("RAW", { durable_name: "c", ack_policy: AckPolicy.Explicit });
});

afterAll(async () => {
  await nc?.drain();
  await server?.stop();
});

describe("rawHeaderBlock", () => {
  it("gives the received header block, and the envelope read from it is readEnvelope's", async () => {
    const js = jetstream(nc);
    const envelope = {
      msgId: "ev:9:sub",
      namespace: "ns",
      subscriptionId: "sub",
      userKey: "user_id:ü",
      lane: "live" as const,
    };
    await js.publish("raw.a", '{"x":1}', { headers: envelopeHeaders(envelope) });
    await js.publish("raw.b", "no headers");
    const consumer = await js.consumers.get("RAW", "c");

    const withHeaders = (await consumer.next())!;
    const block = rawHeaderBlock(withHeaders);
    expect(block).toMatch(/^NATS\/1\.0\r\n/);
    expect(block).toContain("Segwatch-User: user_id:ü\r\n");
    expect(messageEnvelope(withHeaders)).toEqual(envelope);
    expect(readEnvelope(withHeaders.headers)).toEqual(envelope);
    expect(withHeaders.string()).toBe('{"x":1}');
    withHeaders.ack();

    const bare = (await consumer.next())!;
    expect(rawHeaderBlock(bare)).toBeUndefined();
    expect(messageEnvelope(bare)).toBeUndefined();
    bare.ack();
  });
});
