import { describe, expect, it } from "vitest";
import { segment } from "../../test/support/controller-fixtures.ts";
import type { Segment } from "../resources/types.ts";
import { evaluateSegment } from "./segment-compile.ts";
import { indexSegments, segmentFacts } from "./segment-index.ts";

function outcome(target: Segment, others: Segment[] = [], types = {}) {
  const index = indexSegments([target, ...others]);
  return evaluateSegment(index.byName.get(target.metadata.name)!, index, types);
}

describe("evaluateSegment", () => {
  it("compiles a valid segment: fields, time dependence, Ready True", () => {
    const o = outcome(
      segment("demo-segment", 'FILTER AND ( paying_user = "t" ) ALIAS demo_segment'),
    );
    expect(o.ready).toMatchObject({ status: "True", reason: "Compiled" });
    expect(o.compiled).toEqual({ fields: ["paying_user"], timeDependent: false });
  });

  it("reports date math as time-dependent", () => {
    const o = outcome(segment("recent", 'FILTER last_visit > "now-7d"'), [], {
      last_visit: "time",
    });
    expect(o.compiled?.timeDependent).toBe(true);
    expect(o.ready.message).toContain("time");
  });

  it("reports a syntax error with line:column", () => {
    const o = outcome(segment("bad", "FILTER AND (\n  paying_user = \n) ALIAS bad"));
    expect(o.ready.status).toBe("False");
    expect(o.ready.reason).toBe("InvalidSegmentQL");
    expect(o.ready.message).toMatch(/^\d+:\d+: /);
    expect(o.compiled).toBeUndefined();
  });

  it("reports an unknown function as InvalidSegmentQL with its position", () => {
    const o = outcome(segment("fn", "FILTER nosuchfunction(x) == 1"));
    expect(o.ready.reason).toBe("InvalidSegmentQL");
    expect(o.ready.message).toMatch(/^1:\d+: /);
  });

  it("reports other spec errors as InvalidSpec naming the field", () => {
    const o = outcome(segment("s", 'FILTER x = "1"', { slug: "Not A Slug" }));
    expect(o.ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(o.ready.message).toContain("spec.slug");
  });

  it("resolves INCLUDE by slug, name or id and expands the included fields", () => {
    const paying = segment("paying", 'FILTER paying_user = "t" ALIAS paying_users');
    const id = segmentFacts(paying).id;
    for (const ref of ["paying_users", "paying", id]) {
      const o = outcome(segment(`inc-${ref.length}`, `FILTER AND (INCLUDE ${ref}, score > 1)`), [
        paying,
      ]);
      expect(o.ready.reason, ref).toBe("Compiled");
      expect(o.compiled?.fields).toEqual(["paying_user", "score"]);
    }
  });

  it("reports IncludeNotFound with the position", () => {
    const o = outcome(segment("inc", "FILTER AND (x = 1, INCLUDE missing_one)"));
    expect(o.ready.reason).toBe("IncludeNotFound");
    expect(o.ready.message).toMatch(/^1:\d+: .*missing_one/);
  });

  it("says when an included segment exists but is not usable", () => {
    const broken = segment("broken", "FILTER AND (");
    const o = outcome(segment("inc", "FILTER INCLUDE broken"), [broken]);
    expect(o.ready.reason).toBe("IncludeNotFound");
    expect(o.ready.message).toContain("exists but is not Ready");
  });

  it("reports IncludeCycle, also through a third segment", () => {
    const a = segment("a", "FILTER INCLUDE b ALIAS a");
    const b = segment("b", "FILTER INCLUDE c ALIAS b");
    const c = segment("c", "FILTER INCLUDE a ALIAS c");
    const o = outcome(a, [b, c]);
    expect(o.ready.reason).toBe("IncludeCycle");
    expect(o.ready.message).toMatch(/a -> b -> c -> a/);
    const self = outcome(segment("me", "FILTER OR (x = 1, INCLUDE me)"));
    expect(self.ready.reason).toBe("IncludeCycle");
  });

  it("reports an unknown segment INCLUDEd by an included one without a misleading position", () => {
    const b = segment("b", "FILTER AND (y = 1, INCLUDE c) ALIAS b");
    const o = outcome(segment("a", "FILTER INCLUDE b ALIAS a"), [b]);
    expect(o.ready.reason).toBe("IncludeNotFound");
    expect(o.ready.message).toBe('in an included segment: unknown segment "c" in INCLUDE');
  });

  it("makes the later of two segments with one slug DuplicateSlug", () => {
    const first = segment("first", 'FILTER x = "1" ALIAS shared');
    const second = segment("second", 'FILTER y = "1" ALIAS shared');
    expect(outcome(first, [second]).ready.reason).toBe("Compiled");
    const o = outcome(second, [first]);
    expect(o.ready).toMatchObject({ status: "False", reason: "DuplicateSlug" });
    expect(o.ready.message).toContain("first");
  });
});
