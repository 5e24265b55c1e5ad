import { describe, expect, it } from "vitest";
import { NOT_OK, outcome, TS, type Want } from "../../../test/support/segmentql-builtins.ts";
import { lookupFunction } from "./index.ts";

// Rows of expr/builtins/builtins_test.go (builtinTests), logic section.
const ROWS: [string, Want][] = [
  ["eq(5,5)", true],
  ['eq("hello", event)', true],
  ["eq(5,6)", false],
  ["eq(5.5,6)", false],
  ["eq(true,eq(5,5))", true],
  ["eq(true,false)", false],
  ["eq(not_a_field,5)", false],
  ["eq(eq(not_a_field,5),false)", true],
  ['eq(oneof(fakeevent,"yes"),"yes")', true],
  // Address is a Go struct there (Equal errors); here it is a map, which errors the same way.
  ["eq(Address, true)", NOT_OK],

  ["ne(5,5)", false],
  ['ne("hello", event)', false],
  ['ne("hello", fakeevent)', true],
  ["ne(5,6)", true],
  ["ne(true,eq(5,5))", false],
  ["ne(true,false)", true],
  ['ne(oneof(event,"yes"),"")', true],
  ["ne(Address, true)", NOT_OK],

  ["not(true)", false],
  ["not(eq(5,6))", true],
  ["not(eq(5,not_a_field))", true],
  ['not(eq(5,len("12345")))', false],
  ["not(eq(5,len(not_a_field)))", true],
  ["not(Address)", NOT_OK],

  ["ge(5,5)", true],
  ["ge(5,6)", false],
  ["ge(5,3)", true],
  ["ge(5.5,3)", true],
  ['ge(5,"3")', true],
  // ge(5,10/0): the division is not ok, so the argument arrives as nil.
  ["ge(5,not_a_field)", NOT_OK],

  ["le(5,5)", true],
  ["le(5,6)", true],
  ["le(5,3)", false],
  ['le(5,"3")', false],
  ["le(5,not_a_field)", NOT_OK],

  ["lt(5,5)", false],
  ["lt(5,6)", true],
  ["lt(5,3)", false],
  ['lt(5,"3")', false],
  ["lt(5,not_a_field)", NOT_OK],

  ["gt(5,5)", false],
  ["gt(5,6)", false],
  ["gt(5,3)", true],
  ['gt(5,"3")', true],
  ['gt(5,toint("3.5"))', true],
  ["gt(toint(total_amount),0)", NOT_OK],
  ["gt(toint(price),1)", true],
  ["gt(5,not_a_field)", NOT_OK],

  ["exists(event)", true],
  ["exists(price)", true],
  ["exists(toint(price))", true],
  ["exists(-1)", true],
  ["exists(non_field)", false],
  ['exists("")', true],
  ["exists(true)", true],
  // exists(1.5/6.7)
  ["exists(0.2238)", true],
  ["exists(tonumber(not_a_field))", false],
  ["exists(0)", true],
  ["exists(emails)", true],
  ["exists(ZeroTime)", true],
  ["exists(Created)", true],
  ["exists(Updated)", true],

  ["any(5)", true],
  ['any("value")', true],
  ["any(event)", true],
  ["any(notrealfield)", false],

  ['all("Apple")', true],
  ['all("Apple",event)', true],
  ['all("Apple",event,true)', true],
  ['all("Linux",true,not_a_realfield)', false],
  ['all("Linux",false)', false],
  ['all("Linux","")', false],
  ['all("Linux",notreal)', false],
  ["all(ZeroTime)", false],
  ["all(-1)", false],
];

describe("logic builtins (builtins_test.go)", () => {
  it.each(ROWS)("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });
});

describe("logic builtins beyond the Go table", () => {
  it.each<[string, Want]>([
    // exists() is false for the map kinds its type switch omits, true for map[string]int (notes 5.8).
    ["exists(Hits)", true],
    ["exists(Campaigns)", false],
    ["exists(Floats)", false],
    ["exists(FirstEvent)", false],
    // Address stands for a Go struct in the table (true there); as a map[string]value it is false.
    ["exists(Address)", false],
    // all(): any non-zero number fails it (qlbridge's bug), zero passes.
    ["all(5)", false],
    ["all(0)", true],
    ["all(Created)", false],
    // A list is equal only to a list.
    ['eq(tags, "a")', NOT_OK],
    ['eq(tags, ["a","b","c","d"])', true],
    ['gt("$1,000", 999)', true],
    ['gt("abc", 1)', NOT_OK],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  it("compares times in eq() with date math anchored at the evaluation's now", () => {
    const eq = lookupFunction("eq")!;
    const t = new Date(TS - 3 * 86_400_000);
    expect(eq.eval([t, "now-3d"], ["time", "string"], { now: TS })).toBe(true);
    expect(eq.eval([t, "now-2d"], ["time", "string"], { now: TS })).toBe(false);
    expect(eq.eval([t, "garbage"], ["time", "string"], { now: TS })).toBe(false);
  });

  it("not() coerces bool strings and 0/1 (called directly: in a FILTER, `not(` is the NOT operator)", () => {
    const not = lookupFunction("not")!;
    expect(not.eval(["t"], ["string"], { now: TS })).toBe(false);
    expect(not.eval(["maybe"], ["string"], { now: TS })).toBeUndefined();
    expect(not.eval([0], ["int"], { now: TS })).toBe(true);
    expect(not.eval([2], ["int"], { now: TS })).toBeUndefined();
  });

  it("declares parse-time arity like qlbridge's Validate", () => {
    expect(lookupFunction("eq")).toMatchObject({ minArgs: 2, maxArgs: 2, returns: "bool" });
    expect(lookupFunction("not")).toMatchObject({ minArgs: 1, maxArgs: 1 });
    expect(lookupFunction("any")).toMatchObject({ minArgs: 1, maxArgs: Number.POSITIVE_INFINITY });
    expect(lookupFunction("EQ")).toBe(lookupFunction("eq"));
  });
});
