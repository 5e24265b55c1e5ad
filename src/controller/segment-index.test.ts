import { describe, expect, it } from "vitest";
import { segment } from "../../test/support/controller-fixtures.ts";
import {
  includeTarget,
  indexSegments,
  lookupSegment,
  segmentFacts,
  slugOf,
  slugOwner,
} from "./segment-index.ts";

describe("slugs", () => {
  it("takes spec.slug, else the ALIAS, else metadata.name", () => {
    expect(slugOf("paying", "demo_segment", "demo-segment")).toBe("paying");
    expect(slugOf(undefined, "demo_segment", "demo-segment")).toBe("demo_segment");
    expect(slugOf(undefined, undefined, "demo-segment")).toBe("demo-segment");
    expect(segmentFacts(segment("a", 'FILTER x = "1" ALIAS Big_Spenders')).slug).toBe(
      "big_spenders",
    );
    expect(segmentFacts(segment("b", 'FILTER x = "1"')).slug).toBe("b");
    expect(segmentFacts(segment("c", 'FILTER x = "1" ALIAS a1', { slug: "mine" })).slug).toBe(
      "mine",
    );
  });

  it("falls back to the name when the statement does not parse", () => {
    const f = segmentFacts(segment("broken", "FILTER AND ( ALIAS x"));
    expect(f.slug).toBe("broken");
    expect(f.specErrors.map((e) => e.code)).toEqual(["InvalidSegmentQL"]);
  });

  it("gives a slug to the segment created first; the later one is the duplicate", () => {
    const older = segment("first", 'FILTER x = "1" ALIAS shared');
    const newer = segment("second", 'FILTER y = "1" ALIAS shared');
    const index = indexSegments([newer, older]);
    expect(index.bySlug.get("shared")?.name).toBe("first");
    expect(slugOwner(index, segmentFacts(newer))?.name).toBe("first");
    expect(slugOwner(index, segmentFacts(older))).toBeUndefined();
  });

  it("breaks creation-time ties by name", () => {
    const at = "2026-02-01T00:00:00Z";
    const b = segment("b", 'FILTER x = "1" ALIAS s', { createdAt: at });
    const a = segment("a", 'FILTER x = "1" ALIAS s', { createdAt: at });
    expect(indexSegments([b, a]).bySlug.get("s")?.name).toBe("a");
  });

  it("records the INCLUDEs a statement makes, lower-cased", () => {
    const f = segmentFacts(segment("x", "FILTER AND (INCLUDE Paying, INCLUDE other) ALIAS x"));
    expect(f.includes).toEqual(["paying", "other"]);
  });
});

describe("lookupSegment", () => {
  const paying = segment("demo-segment", 'FILTER paying_user = "t" ALIAS demo_segment');
  const index = indexSegments([paying]);
  const id = segmentFacts(paying).id;

  it("finds a segment by slug (any case), name or id", () => {
    expect(lookupSegment(index, "demo_segment")?.name).toBe("demo-segment");
    expect(lookupSegment(index, "DEMO_SEGMENT")?.name).toBe("demo-segment");
    expect(lookupSegment(index, "demo-segment")?.name).toBe("demo-segment");
    expect(lookupSegment(index, id)?.name).toBe("demo-segment");
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(lookupSegment(index, "nope")).toBeUndefined();
  });

  it("offers as INCLUDE targets only segments usable on their own account", () => {
    const broken = segment("broken", "FILTER AND (");
    const dup = segment("dup", 'FILTER x = "1" ALIAS demo_segment');
    const idx = indexSegments([paying, broken, dup]);
    expect(includeTarget(idx, "demo_segment")).toContain("paying_user");
    expect(includeTarget(idx, "broken")).toBeUndefined();
    expect(includeTarget(idx, "dup")).toBeUndefined();
  });
});
