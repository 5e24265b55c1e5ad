import { describe, expect, it } from "vitest";
import { NOT_OK, outcome, TS, type Want } from "../../../test/support/segmentql-builtins.ts";
import { lookupFunction } from "./index.ts";

// Rows of expr/builtins/builtins_test.go (builtinTests): math and aggregation sections.
const ROWS: [string, Want][] = [
  ["pow(5,2)", 25],
  ["pow(2,2)", 4],
  ["pow(NotAField,2)", NOT_OK],
  ['pow(5,"hello")', NOT_OK],
  ['pow(5,"")', NOT_OK],

  ["sqrt(4)", 2],
  ["sqrt(25)", 5],
  ["sqrt(NotAField)", NOT_OK],
  ['sqrt("hello")', NOT_OK],

  ["sum(1,2)", 3],
  ["sum(1,[2,3])", 6],
  ['sum(1,"2")', 3],
  ['sum(split("1,2", ","))', 3],
  ['sum(["1","2"])', 3],
  ['sum(["1","abc"])', NOT_OK],
  ['sum("hello")', NOT_OK],
  ['sum(exists("hello"))', NOT_OK],
  ["sum(nil)", NOT_OK],
  ['sum("",0)', NOT_OK],

  ["avg(1,2)", 1.5],
  ["avg(1,[2,3])", 2],
  ['avg(1,"2")', 1.5],
  ['avg(["1","2"])', 1.5],
  ['avg(["1","2","abc"])', NOT_OK],
  ['avg(split("1,2,3", ","))', 2],
  ['avg(split("1,2,abc", ","))', NOT_OK],
  ['avg("hello")', NOT_OK],

  ["count(4)", 1],
  ["count(not_a_field)", NOT_OK],
];

describe("math and aggregation builtins (builtins_test.go)", () => {
  it.each(ROWS)("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });
});

describe("math and aggregation builtins beyond the Go table", () => {
  it.each<[string, Want]>([
    // sqrt takes only numeric values, not numeric text; pow converts text.
    ['sqrt("4")', NOT_OK],
    ['pow("2", "3")', 8],
    ["pow(1, 1000000)", 1],
    // A zero sum counts as no sum; an unparseable string in a []string is skipped by sum, fatal to avg.
    ["sum(1,-1)", NOT_OK],
    ['sum(split("1,x,2", ","))', 3],
    ["sum(BankAmount, 0.5)", 56],
    ["sum(Authenticated)", NOT_OK],
    ["sum(Hits)", NOT_OK],
    ["avg(not_a_field, 4)", 4],
    ["avg(Authenticated, 4)", 4],
    ['count("")', NOT_OK],
    ["count(EmptyStrings)", NOT_OK],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  it("sqrt of a negative number is NaN, which qlbridge returns as ok", () => {
    expect(lookupFunction("sqrt")!.eval([-1], ["int"], { now: TS })).toBeNaN();
  });
});
