import { describe, expect, it } from "vitest";
import { NIL, NOT_OK, outcome, type Want } from "../../../test/support/segmentql-builtins.ts";

// Rows of expr/builtins/builtins_test.go (builtinTests): oneof, filter, filtermatch.
const ROWS: [string, Want][] = [
  ['oneof("apples","oranges")', "apples"],
  ["oneof(notincontext,event)", "hello"],
  ['oneof(not_a_field, email("Bob <bob@bob.com>"))', "bob@bob.com"],
  ["oneof(email, email(not_a_field))", "email@email.com"],
  ['oneof("","")', NOT_OK],

  ['filtermatch(split(sval,","),"event4=")', ["event4=63.00"]],
  ['filtermatch(match("score_","tag_"),"amo*")', { amount: "22" }],
  ['filtermatch(match("score_","tag_"),"amo")', { amount: "22" }],
  ['filtermatch(match("score_","tag_"),"aaa")', NOT_OK],
  ['filtermatch("apples","app*")', "apples"],
  ['filtermatch("apples","app")', "apples"],
  ['filtermatch(split("apples,oranges",","),"app*")', ["apples"]],
  ['filtermatch(split("apples,oranges",","),"app")', ["apples"]],
  ['filtermatch(split("apples,oranges",","),"app%")', ["apples"]],
  ['filtermatch(split("oranges",","),"app%")', NOT_OK],
  ['filtermatch("apples","bam*")', NIL],
  ['filtermatch("apples","bam")', NIL],
  ['filtermatch("","")', NOT_OK],

  ['filter(match("score_","tag_"),"nam*")', { amount: "22" }],
  ['filter(match("score_","tag_"),"name")', { amount: "22" }],
  ['filter(match("score_"),"amo")', NOT_OK],
  ['filter(split("apples,oranges",","),"ora*")', ["apples"]],
  ['filter(split("apples,oranges",","),"ora")', ["apples"]],
  ['filter(split("apples,oranges",","),"ora%")', ["apples"]],
  ['filter(split("apples,oranges",","),["ora%","ban*"])', ["apples"]],
  ['filter(split("apples,oranges",","), ["ora*","notmatch","stuff"] )', ["apples"]],
  ['filter(split("apples,oranges,",","), [""] )', ["apples", "oranges"]],
  ['filter("apples","")', "apples"],
  ['filter("apples","ban*")', "apples"],
  ['filter("apples","ban")', "apples"],
  ['filter("apples","app*")', NIL],
  ['filter("apples","app")', NIL],
  ['filter(split("apples",","),"app")', NOT_OK],
  ['filter("","")', NOT_OK],
];

describe("filter builtins (builtins_test.go)", () => {
  it.each(ROWS)("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });
});

// Address is a Go struct in builtins_test.go (not ok there); a JSON object is a map[string]value.
describe("deliberate divergences: a JSON object where qlbridge's test has a struct", () => {
  it.each<[string, Want]>([
    ['filtermatch(Address,"C")', { City: "Detroit" }],
    ['filter(Address,"C")', { Zip: 55 }],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });
});

describe("filter builtins beyond the Go table", () => {
  it.each<[string, Want]>([
    // The glob is a path glob: * does not cross "/".
    ['filtermatch(split("a/b,ab",","),"a*")', ["ab"]],
    ['filtermatch(split("a/b,ab",","),"a**")', ["a/b", "ab"]],
    // A scalar-valued typed map is filtered as its keys, into a []string.
    ['filter(Campaigns,"foo2")', ["foo"]],
    ['filtermatch(Hits,"foo2")', ["foo2"]],
    ['filtermatch(FirstEvent,"s")', NOT_OK],
    // Non-string filters are ignored.
    ["filtermatch(tags, 5)", NOT_OK],
    ["oneof(not_a_field, 0, 1)", 0],
    ["oneof(EmptyStrings, tags)", ["a", "b", "c", "d"]],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });
});
