import { describe, expect, it } from "vitest";
import type { DeliveryItem } from "./channel.ts";
import {
  EventPayloadError,
  eventTypesOf,
  groupByPartitionKey,
  partitionKeyFor,
  prepareEvent,
} from "./eventhub-events.ts";

const payload = (data: Record<string, unknown>) => ({
  data: {
    _created: "2026-01-01T00:00:00Z",
    _modified: "2026-01-01T00:00:00Z",
    segment_events: [
      { id: "s1", event: "enter", enter: "x", exit: null, slug: "a" },
      { id: "s2", event: "exit", enter: "x", exit: "y", slug: "b" },
      { id: "s3", event: "enter", enter: "x", exit: null, slug: "c" },
    ],
    ...data,
  },
  meta: { object: "user", source: "subscription", subscription_id: "sub1" },
});

const item = (body: string | Uint8Array, userKey = "u1"): DeliveryItem => ({
  envelope: {
    msgId: "sub1:u1:7",
    namespace: "acme",
    subscriptionId: "sub1",
    userKey,
    lane: "live",
  },
  body: typeof body === "string" ? new TextEncoder().encode(body) : body,
  attempt: 1,
  progress: new Set(),
});

describe("prepareEvent", () => {
  it("sends the payload bytes unchanged, keyed and labelled", () => {
    const json = JSON.stringify(payload({ user_id: "u1", email: "a@b.c" }));
    const p = prepareEvent(item(json), "sub1", undefined);
    expect(p.partitionKey).toBe("u1");
    expect(p.event.body.toString("utf8")).toBe(json);
    expect(p.event).toMatchObject({
      contentType: "application/json",
      messageId: "sub1:u1:7",
      properties: { subscription_id: "sub1", event_types: "enter,exit" },
    });
  });

  it("keeps a view into the message's bytes rather than a copy", () => {
    const bytes = new TextEncoder().encode(`xx${JSON.stringify(payload({}))}`).subarray(2);
    const p = prepareEvent(item(bytes), "sub1", undefined);
    expect(p.event.body.buffer).toBe(bytes.buffer);
    expect(p.event.body.byteOffset).toBe(2);
  });

  it("refuses a body that is not a JSON object", () => {
    expect(() => prepareEvent(item("nope"), "sub1", undefined)).toThrow(EventPayloadError);
    expect(() => prepareEvent(item("[1]"), "sub1", undefined)).toThrow(/not a JSON object/);
  });
});

describe("partitionKeyFor", () => {
  it("uses the profile field when the payload has a scalar there", () => {
    expect(partitionKeyFor(payload({ email: "a@b.c" }), "email", "u1")).toBe("a@b.c");
    expect(partitionKeyFor(payload({ n: 42 }), "n", "u1")).toBe("42");
    expect(partitionKeyFor(payload({ t: false }), "t", "u1")).toBe("false");
  });

  it("falls back to the user's identity when the field is missing, empty or not a scalar", () => {
    for (const data of [{}, { email: "" }, { email: null }, { email: ["a"] }, { email: {} }])
      expect(partitionKeyFor(payload(data), "email", "u1")).toBe("u1");
    expect(partitionKeyFor(payload({ email: "a" }), undefined, "u1")).toBe("u1");
  });

  it("hashes keys longer than the service takes, the same value always to the same key", () => {
    const long = "x".repeat(200);
    const k = partitionKeyFor(payload({}), undefined, long);
    expect(k).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(partitionKeyFor(payload({ f: long }), "f", "u1")).toBe(k);
    expect(partitionKeyFor(payload({}), undefined, "x".repeat(128))).toBe("x".repeat(128));
  });
});

describe("eventTypesOf", () => {
  it("lists distinct events in payload order, tolerating odd shapes", () => {
    expect(eventTypesOf(payload({}))).toEqual(["enter", "exit"]);
    expect(
      eventTypesOf({ data: { segment_events: [null, { event: 3 }, { event: "exit" }] } }),
    ).toEqual(["exit"]);
    expect(eventTypesOf({})).toEqual([]);
  });
});

describe("groupByPartitionKey", () => {
  it("groups equal keys in order of first appearance, indices ascending", () => {
    expect(groupByPartitionKey(["a", "b", "a", "c", "b"])).toEqual([[0, 2], [1, 4], [3]]);
    expect(groupByPartitionKey([])).toEqual([]);
  });
});
