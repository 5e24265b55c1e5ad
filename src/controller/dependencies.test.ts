import { describe, expect, it } from "vitest";
import type { ResourceKey } from "../resources/types.ts";
import { DependencyIndex } from "./dependencies.ts";

const seg = (name: string, namespace = "acme"): ResourceKey => ({
  kind: "Segment",
  namespace,
  name,
});
const sub = (name: string): ResourceKey => ({ kind: "Subscription", namespace: "acme", name });
const state = (name: string, slug: string, fingerprint = "f1") => ({
  identifiers: [name, slug, `id-${name}`],
  slug,
  fingerprint,
});
const names = (keys: ResourceKey[]) => keys.map((k) => `${k.kind}/${k.name}`).sort();

describe("DependencyIndex", () => {
  it("wakes resources that refer to a segment by any identifier when it changes", () => {
    const d = new DependencyIndex();
    d.setRefs(seg("a"), ["PAYING"]);
    d.setRefs(sub("s"), ["id-paying-seg"]);
    d.setRefs(sub("other"), ["unrelated"]);
    expect(names(d.segmentObserved(seg("paying-seg"), state("paying-seg", "paying")))).toEqual([
      "Segment/a",
      "Subscription/s",
    ]);
  });

  it("wakes nobody when the segment's observable state is the same", () => {
    const d = new DependencyIndex();
    d.setRefs(sub("s"), ["paying"]);
    d.segmentObserved(seg("p"), state("p", "paying"));
    expect(d.segmentObserved(seg("p"), state("p", "paying"))).toEqual([]);
    expect(names(d.segmentObserved(seg("p"), state("p", "paying", "f2")))).toEqual([
      "Subscription/s",
    ]);
  });

  it("wakes referrers of the old slug after a rename, and on deletion", () => {
    const d = new DependencyIndex();
    d.setRefs(sub("old-ref"), ["old"]);
    d.segmentObserved(seg("p"), state("p", "old"));
    expect(names(d.segmentObserved(seg("p"), state("p", "new", "f2")))).toEqual([
      "Subscription/old-ref",
    ]);
    d.setRefs(sub("by-name"), ["p"]);
    expect(names(d.segmentObserved(seg("p"), undefined))).toContain("Subscription/by-name");
  });

  it("wakes the segments competing for a slug", () => {
    const d = new DependencyIndex();
    d.segmentObserved(seg("first"), state("first", "shared"));
    d.segmentObserved(seg("second"), state("second", "shared"));
    expect(names(d.segmentObserved(seg("first"), undefined))).toEqual(["Segment/second"]);
  });

  it("stays within the namespace", () => {
    const d = new DependencyIndex();
    d.setRefs(seg("a", "other"), ["paying"]);
    expect(d.segmentObserved(seg("p"), state("p", "paying"))).toEqual([]);
  });
});
