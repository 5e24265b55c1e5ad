import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { PUBSUB_DEFAULTS } from "./defaults.ts";
import type { DeliveryEnvelope } from "./envelope.ts";
import {
  buildPubSubMessage,
  orderingKeyFor,
  PUBSUB_ATTRIBUTE,
  PubSubMessageError,
} from "./pubsub-message.ts";

const envelope: DeliveryEnvelope = {
  msgId: "sub1:user123:7",
  namespace: "acme",
  subscriptionId: "7e2b8804bbe162cd3f9c0c5991bf3078",
  userKey: "user123",
  lane: "live",
};

function body(data: Record<string, unknown>, events: { event: string; slug: string }[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      data: {
        _created: "2016-06-29T18:50:16.902758229Z",
        _modified: "2017-03-18T06:12:36.829070108Z",
        ...data,
        segment_events: events.map((e, i) => ({
          id: `seg${i}`,
          ...e,
          enter: "2017-03-02T06:12:36.829070108Z",
          exit: null,
        })),
      },
      meta: { object: "user", source: "subscription", subscription_id: envelope.subscriptionId },
    }),
  );
}

describe("buildPubSubMessage", () => {
  it("keeps the payload's bytes, keys by the user and names events and segments", () => {
    const b = body({ user_id: "user123" }, [
      { event: "exit", slug: "demo_segment" },
      { event: "enter", slug: "another_segment" },
    ]);
    const m = buildPubSubMessage(envelope, b);
    expect(m.data.equals(b)).toBe(true);
    expect(m.orderingKey).toBe("user123");
    expect(m.attributes).toEqual({
      [PUBSUB_ATTRIBUTE.subscriptionId]: envelope.subscriptionId,
      [PUBSUB_ATTRIBUTE.idempotencyKey]: "sub1:user123:7",
      [PUBSUB_ATTRIBUTE.events]: "enter,exit",
      [PUBSUB_ATTRIBUTE.segments]: "demo_segment,another_segment",
    });
  });

  it("reads a view into a larger buffer without the bytes around it", () => {
    const b = body({ user_id: "u" }, [{ event: "enter", slug: "s" }]);
    const big = Buffer.concat([Buffer.from("xx"), b, Buffer.from("yy")]);
    const view = new Uint8Array(big.buffer, big.byteOffset + 2, b.length);
    const m = buildPubSubMessage(envelope, view);
    expect(m.data.equals(b)).toBe(true);
    expect(m.attributes[PUBSUB_ATTRIBUTE.events]).toBe("enter");
  });

  it("lists each slug once and cuts the list at a slug boundary within the value limit", () => {
    const slug = (i: number) => `segment_${String(i).padStart(3, "0")}_${"x".repeat(40)}`;
    const events = Array.from({ length: 40 }, (_, i) => ({ event: "enter", slug: slug(i) }));
    const m = buildPubSubMessage(envelope, body({}, [...events, events[0]!]));
    const value = m.attributes[PUBSUB_ATTRIBUTE.segments]!;
    expect(Buffer.byteLength(value)).toBeLessThanOrEqual(PUBSUB_DEFAULTS.maxAttributeValueBytes);
    const listed = value.split(",");
    expect(listed).toEqual(events.slice(0, listed.length).map((e) => e.slug));
    expect(listed.length).toBeLessThan(40);
    expect(m.attributes[PUBSUB_ATTRIBUTE.segmentsTruncated]).toBe("true");

    const few = buildPubSubMessage(envelope, body({}, events.slice(0, 2)));
    expect(few.attributes[PUBSUB_ATTRIBUTE.segmentsTruncated]).toBeUndefined();
  });

  it("refuses what is not the v2 JSON, and a payload over the service limit", () => {
    expect(() => buildPubSubMessage(envelope, Buffer.from("not json"))).toThrow(PubSubMessageError);
    expect(() => buildPubSubMessage(envelope, Buffer.from("[1]"))).toThrow(/no data object/);
    const huge = new Uint8Array(PUBSUB_DEFAULTS.maxMessageBytes + 1);
    expect(() => buildPubSubMessage(envelope, huge)).toThrow(/at most 10000000/);
  });
});

describe("orderingKeyFor", () => {
  it("takes the configured profile field when present, else the user's identity", () => {
    const profile = { account: "acme-corp", n: 42, flag: true, empty: "", nested: { id: "n1" } };
    expect(orderingKeyFor("user123", profile, "account")).toBe("acme-corp");
    expect(orderingKeyFor("user123", profile, "n")).toBe("42");
    expect(orderingKeyFor("user123", profile, "flag")).toBe("true");
    expect(orderingKeyFor("user123", profile, "nested.id")).toBe("n1");
    expect(orderingKeyFor("user123", profile, "empty")).toBe("user123");
    expect(orderingKeyFor("user123", profile, "nested")).toBe("user123");
    expect(orderingKeyFor("user123", profile, "missing")).toBe("user123");
    expect(orderingKeyFor("user123", profile, undefined)).toBe("user123");
  });

  it("replaces a key over the service limit by its SHA-256, one per identity", () => {
    const long = "é".repeat(PUBSUB_DEFAULTS.maxOrderingKeyBytes / 2 + 1);
    const key = orderingKeyFor(long, {}, undefined);
    expect(key).toBe(`sha256:${createHash("sha256").update(long).digest("hex")}`);
    const fits = "e".repeat(PUBSUB_DEFAULTS.maxOrderingKeyBytes);
    expect(orderingKeyFor(fits, {}, undefined)).toBe(fits);
  });
});
