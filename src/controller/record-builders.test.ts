import { describe, expect, it } from "vitest";
import { segment, subscription } from "../../test/support/controller-fixtures.ts";
import {
  buildDeliveryRecord,
  buildSchemaRecord,
  buildSegmentRecord,
  buildSubscriptionRecord,
} from "./record-builders.ts";
import { DELIVERY_DEFAULTS } from "./records.ts";

describe("record builders", () => {
  it("builds a segment record with the resolved slug and the statement as written", () => {
    const s = segment("demo-segment", 'FILTER paying_user = "t" ALIAS demo_segment');
    expect(buildSegmentRecord(s, "demo_segment")).toEqual({
      id: s.metadata.uid!.replaceAll("-", ""),
      namespace: "acme",
      name: "demo-segment",
      slug: "demo_segment",
      segmentql: 'FILTER paying_user = "t" ALIAS demo_segment',
      generation: 1,
    });
  });

  it("defaults identity fields and canonicalises declared types", () => {
    expect(buildSchemaRecord("acme", { fields: { seen: "date", n: "integer" } })).toEqual({
      namespace: "acme",
      identityFields: ["user_id"],
      fields: { n: "int", seen: "time" },
    });
    expect(buildSchemaRecord("acme", { identityFields: ["email"] }).identityFields).toEqual([
      "email",
    ]);
  });

  it("fills delivery defaults and turns durations into milliseconds", () => {
    expect(buildDeliveryRecord(undefined)).toEqual(DELIVERY_DEFAULTS);
    expect(
      buildDeliveryRecord({
        maxAttempts: 3,
        initialBackoff: "500ms",
        maxBackoff: "1m",
        timeout: "2s",
      }),
    ).toEqual({
      maxAttempts: 3,
      initialBackoffMs: 500,
      maxBackoffMs: 60_000,
      timeoutMs: 2_000,
      maxInFlight: DELIVERY_DEFAULTS.maxInFlight,
    });
  });

  it("builds a subscription record with default events and the resolved channel", () => {
    const sub = subscription("hook", { withBackfill: true, fields: ["email"] });
    const webhook = { url: "https://example.com/hook", headers: {}, signingSecrets: ["whsec_x"] };
    const record = buildSubscriptionRecord({
      subscription: sub,
      segmentIds: ["abc"],
      channel: { webhook },
      backfillRequestedAt: "2026-01-01T00:00:00.000Z",
    });
    expect(record).toEqual({
      id: sub.metadata.uid!.replaceAll("-", ""),
      namespace: "acme",
      name: "hook",
      channel: "webhook",
      generation: 1,
      segmentIds: ["abc"],
      events: ["enter", "exit"],
      fields: ["email"],
      backfillRequestedAt: "2026-01-01T00:00:00.000Z",
      delivery: DELIVERY_DEFAULTS,
      webhook,
    });
    const noBackfill = buildSubscriptionRecord({
      subscription: subscription("h2", { events: ["exit"] }),
      segmentIds: [],
      channel: {},
      backfillRequestedAt: undefined,
    });
    expect(noBackfill.events).toEqual(["exit"]);
    expect("backfillRequestedAt" in noBackfill).toBe(false);
    expect("webhook" in noBackfill).toBe(false);
  });
});
