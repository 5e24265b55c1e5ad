import { describe, expect, it } from "vitest";
import { compileSegment } from "../segmentql/index.ts";
import { FieldIndex } from "./field-index.ts";

describe("FieldIndex", () => {
  it("returns only the segments that read a changed field", () => {
    const index = new FieldIndex<string>();
    index.set("paying", compileSegment('FILTER paying_user == "t"').fields);
    index.set("engaged", compileSegment("FILTER AND ( score > 5, visits > 2 )").fields);
    index.set("mapped", compileSegment("FILTER scores.total > 5").fields);
    expect(index.affected(["paying_user"])).toEqual(["paying"]);
    expect(index.affected(["visits", "unrelated"])).toEqual(["engaged"]);
    expect(index.affected(["scores"])).toEqual(["mapped"]);
    expect(index.affected(["nothing"]).length).toBe(0);
  });

  it("replaces and deletes a segment's references", () => {
    const index = new FieldIndex<number>();
    index.set(1, { names: new Set(["a"]), prefixes: new Set() });
    index.set(1, { names: new Set(["b"]), prefixes: new Set() });
    expect(index.affected(["a"]).length).toBe(0);
    expect(index.affected(["b"])).toEqual([1]);
    index.delete(1);
    expect(index.affected(["b"]).length).toBe(0);
    expect(index.size).toBe(0);
  });

  it("matches prefix references against every changed field", () => {
    const index = new FieldIndex<string>();
    index.set("scores", { names: new Set(), prefixes: new Set(["score_"]) });
    expect(index.affected(["score_momentum"])).toEqual(["scores"]);
    expect(index.affected(["scorecard"]).length).toBe(0);
  });

  it("returns a segment once however many of its fields changed, on every lookup", () => {
    const index = new FieldIndex<string>();
    index.set("both", compileSegment("FILTER AND ( a > 1, b > 1 )").fields);
    index.set("prefixed", { names: new Set(["a"]), prefixes: new Set(["a"]) });
    expect(index.affected(["a", "b"])).toEqual(["both", "prefixed"]);
    expect(index.affected(["b", "a"])).toEqual(["both", "prefixed"]);
    expect(index.affected(["a"])).toEqual(["both", "prefixed"]);
  });
});
