import { describe, expect, it } from "vitest";
import { segment } from "../../test/support/controller-fixtures.ts";
import { indexSegments, segmentFacts } from "./segment-index.ts";
import { resolveSegments } from "./subscription-segments.ts";

const paying = segment("demo-segment", 'FILTER paying_user = "t" ALIAS demo_segment');
const broken = segment("broken", "FILTER AND (");
const index = indexSegments([paying, broken]);
const payingId = segmentFacts(paying).id;

describe("resolveSegments", () => {
  it("resolves names, slugs and ids to ids once each", () => {
    const r = resolveSegments(["demo_segment", "demo-segment", payingId], index, {}, "acme");
    expect(r.resolved).toBe(true);
    expect(r.segmentIds).toEqual([payingId]);
    expect(r.condition).toMatchObject({
      type: "SegmentsResolved",
      status: "True",
      reason: "Resolved",
      message: "segment demo-segment",
    });
  });

  it("lists every missing reference", () => {
    const r = resolveSegments(["demo_segment", "nope", "gone"], index, {}, "acme");
    expect(r.resolved).toBe(false);
    expect(r.condition).toMatchObject({ status: "False", reason: "SegmentNotFound" });
    expect(r.condition.message).toContain('"nope", "gone"');
    expect(r.condition.message).toContain("namespace acme");
  });

  it("does not resolve to a segment that is not Ready, and says why", () => {
    const r = resolveSegments(["broken"], index, {}, "acme");
    expect(r.condition).toMatchObject({ status: "False", reason: "SegmentNotReady" });
    expect(r.condition.message).toMatch(/broken \(InvalidSegmentQL: 1:\d+: /);
  });
});
