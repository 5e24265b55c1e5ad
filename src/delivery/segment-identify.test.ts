import { describe, expect, it } from "vitest";
import type { DeliveryEnvelope, TriggerPayload } from "./envelope.ts";
import { identifyCall, PayloadShapeError, segmentAuthorization } from "./segment-identify.ts";

const envelope: DeliveryEnvelope = {
  msgId: "sub1:user123:42",
  namespace: "acme",
  subscriptionId: "sub1",
  userKey: "user123",
  lane: "live",
};

// The brief's v2 example.
const payload: TriggerPayload = {
  data: {
    _created: "2016-06-29T18:50:16.902758229Z",
    _modified: "2017-03-18T06:12:36.829070108Z",
    email: "user@example.com",
    user_id: "user123",
    segment_events: [
      {
        id: "d3d8f15855b6b067709577342fe72db9",
        event: "exit",
        enter: "2017-03-02T06:12:36.829070108Z",
        exit: "2017-03-18T06:12:36.829070108Z",
        slug: "demo_segment",
      },
      {
        id: "abc678asdf",
        event: "enter",
        enter: "2017-03-02T06:12:36.829070108Z",
        exit: null,
        slug: "another_segment",
      },
    ],
  },
  meta: { object: "user", source: "subscription", subscription_id: "sub1" },
};

describe("identifyCall", () => {
  it("maps the v2 payload onto Segment's identify call", () => {
    expect(identifyCall(payload, envelope, 0)).toEqual({
      userId: "user123",
      traits: {
        _created: "2016-06-29T18:50:16.902758229Z",
        _modified: "2017-03-18T06:12:36.829070108Z",
        email: "user@example.com",
        user_id: "user123",
        demo_segment: false,
        another_segment: true,
      },
      messageId: "sub1:user123:42",
      timestamp: "2017-03-18T06:12:36.829Z",
      context: { library: { name: "segwatch" } },
    });
  });

  it("falls back to _modified, then to now, for the timestamp", () => {
    const noEvents = { data: { ...payload.data, segment_events: [] }, meta: payload.meta };
    expect(identifyCall(noEvents, envelope, 0).timestamp).toBe("2017-03-18T06:12:36.829Z");
    const bare = { data: { user_id: "x" } };
    expect(identifyCall(bare, envelope, Date.parse("2026-01-01T00:00:00Z")).timestamp).toBe(
      "2026-01-01T00:00:00.000Z",
    );
  });

  it("refuses a payload without a data object", () => {
    expect(() => identifyCall({ meta: {} }, envelope, 0)).toThrow(PayloadShapeError);
    expect(() => identifyCall(null, envelope, 0)).toThrow(PayloadShapeError);
    expect(() => identifyCall({ data: [1] }, envelope, 0)).toThrow(PayloadShapeError);
  });
});

describe("segmentAuthorization", () => {
  it("is HTTP basic with the write key as user and no password", () => {
    expect(segmentAuthorization("abc123")).toBe(
      `Basic ${Buffer.from("abc123:").toString("base64")}`,
    );
  });
});
