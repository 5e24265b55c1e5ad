import { describe, expect, it } from "vitest";
import {
  evalCall,
  NOT_OK,
  outcome,
  TS,
  type Want,
} from "../../../test/support/segmentql-builtins.ts";
import { lookupFunction } from "./index.ts";

// Rows of expr/builtins/builtins_test.go (builtinTests), map/list section.
const ROWS: [string, Want][] = [
  ["map(event, 22)", { hello: 22 }],
  ["map(event, toint(score_amount))", { hello: 22 }],
  ['map("",6)', NOT_OK],
  ['map("key","")', NOT_OK],

  ["maptime(event)", { hello: new Date(TS) }],
  ['maptime(event, "2016-02-03T22:00:00")', { hello: new Date(Date.UTC(2016, 1, 3, 22)) }],
  ['maptime("")', NOT_OK],
  ['maptime("",now())', NOT_OK],
  ['maptime("key","not_a_date")', NOT_OK],
  ['maptime(Address,"")', NOT_OK],

  ['match("score_")', { amount: "22" }],
  ['match("score_","tag_")', { amount: "22", name: "bob" }],
  ["match(Address)", NOT_OK],
  ['match("nonfield_")', NOT_OK],

  ['mapkeys(match("score_","tag_"))', ["amount", "name"]],
  ['mapkeys(match("nevergonnamatch"))', NOT_OK],

  ['mapvalues(match("score_","tag_"))', ["22", "bob"]],
  ["mapvalues(will_not_match)", NOT_OK],

  ['mapinvert(match("score_","tag_"))', { "22": "amount", bob: "name" }],

  ['len(["5","6"])', 2],
  ['len(split(reg_date,"/"))', 3],
  ["len(tobool(true))", 0],
  ["len(tonumber(10.6))", 0],
  ["len(10)", 0],
  ["len(now())", 0],
  ["len(Hits)", 2],
  ["len(Floats)", 2],
  ["len(Campaigns)", 2],
  ['len(match("score_","tag_"))', 2],
  ['len("abc")', 3],
  ["len(not_a_field)", NOT_OK],
  ['CHAR_LENGTH("abc")', 3],
  ['CHAR_LENGTH(CAST("abc" AS CHAR))', 3],

  ["array.index(tags,1)", "b"],
  ["array.index(tags, -1)", "d"],
  ["array.index(tags,-2)", "c"],
  ["array.index(tags,6)", NOT_OK],
  ["array.index(tags,-6)", NOT_OK],
  ['array.index(tags,"notint")', NOT_OK],
  ['array.index("",6)', NOT_OK],
  ["array.index(1,6)", NOT_OK],

  ["array.slice(tags,2)", ["c", "d"]],
  ["array.slice(tags,-2)", ["c", "d"]],
  ["array.slice(tags,-1)", ["d"]],
  ["array.slice(tags,1,3)", ["b", "c"]],
  ["array.slice(tags,1,4)", ["b", "c", "d"]],
  ["array.slice(tags,-3,-1)", ["b", "c"]],
  ["array.slice(tags,1,7)", NOT_OK],
  ["array.slice(tags,1,-7)", NOT_OK],
  ["array.slice(tags,-1,77)", NOT_OK],
  ["array.slice(tags,-10,77)", NOT_OK],
  ['array.slice("",-1,77)', NOT_OK],
  ['array.slice(tags,"hello",77)', NOT_OK],
  ['array.slice(tags,1,"hello")', NOT_OK],

  ["array.slice(Labels,2)", ["c", "d", 5, 6, 7]],
  ["array.slice(Labels,-6,-4)", ["b", "c"]],
  ["array.slice(Labels,1, 10)", NOT_OK],
  ["array.slice(Labels,1,-7)", NOT_OK],
  ["array.slice(Labels,-1,77)", NOT_OK],
  ["array.slice(Labels,-10,77)", NOT_OK],
  ['array.slice(Labels,"hello",77)', NOT_OK],
  ['array.slice(Labels,1,"hello")', NOT_OK],
  ["array.slice(Address,1, 10)", NOT_OK],
];

describe("list and map builtins (builtins_test.go)", () => {
  it.each(ROWS)("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  it('len(not_a_field) >= 10 is not ok, len("abc") >= 2 holds', () => {
    expect(evalCall("len(not_a_field)")).toBeUndefined();
    expect(evalCall('len("abc")')).toBeGreaterThanOrEqual(2);
  });
});

// Address is a Go struct in builtins_test.go, where these fail; a JSON object is a map[string]value.
describe("deliberate divergences: a JSON object where qlbridge's test has a struct", () => {
  it.each<[string, Want]>([
    ["len(Address)", 2],
    ["mapkeys(Address)", ["City", "Zip"]],
    ["mapinvert(Address)", { Detroit: "City", "55": "Zip" }],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });
});

describe("list and map builtins beyond the Go table", () => {
  it.each<[string, Want]>([
    // Length's switch has no case for map[string]bool or map[string]time.
    ["len(FirstEvent)", NOT_OK],
    ["len(EmptyLabels)", 0],
    ["len(ZeroTime)", 0],
    // array.index reads a scalar-valued typed map as its (ordered here) keys.
    ["array.index(Campaigns, 0)", "foo"],
    ["array.index(Labels, 4)", 5],
    ["array.slice(Campaigns, 0)", NOT_OK],
    ["array.slice(tags, 3, 1)", NOT_OK],
    ["mapvalues(Hits)", ["5"]],
    ["mapvalues(FirstEvent)", [String(Date.UTC(2015, 11, 18))]],
    ['mapkeys(Hits, Campaigns, "x")', ["foo", "foo2"]],
    ["map(Created, 1)", { [String(Date.UTC(2015, 11, 18))]: 1 }],
    ['maptime("Key", Created)', { key: new Date(Date.UTC(2015, 11, 18)) }],
    ['maptime("k", "now-1d")', { k: new Date(TS - 86_400_000) }],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  it("maptime(x) reads the evaluation's now", () => {
    expect(lookupFunction("maptime")!.usesNow!(1)).toBe(true);
    expect(lookupFunction("maptime")!.usesNow!(2)).toBe(false);
  });

  it("match() without a profile in the context is not ok", () => {
    expect(lookupFunction("match")!.eval(["a"], ["string"], { now: TS })).toBeUndefined();
  });
});
