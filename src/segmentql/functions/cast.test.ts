import { describe, expect, it } from "vitest";
import { NOT_OK, outcome, TS, type Want } from "../../../test/support/segmentql-builtins.ts";
import { lookupFunction } from "./index.ts";

const REG_TIME = new Date(Date.UTC(2014, 9, 13));

// Rows of expr/builtins/builtins_test.go (builtinTests), casting section.
const ROWS: [string, Want][] = [
  ["cast(reg_date as time)", REG_TIME],
  ['cast(reg_date, "time")', REG_TIME],
  ["CAST(score_amount AS int)", 22],
  ["CAST(score_amount AS string)", "22"],
  // A []byte value: segwatch carries its bytes as a string.
  ["CAST(score_amount AS char)", "22"],
  ["cast(ZeroTime as time)", NOT_OK],
  ["cast(Created as notreal)", NOT_OK],
  ["cast(Address AS int)", NOT_OK],
  ['cast(ZeroTime ,"int")', NOT_OK],
  ['cast(reg_date ,"invalidtype")', NOT_OK],
  ['cast(Address ,"time")', NOT_OK],
  ['cast(reg_date ,"char")', "10/13/2014"],

  ['toint("5")', 5],
  ['toint("hello")', NOT_OK],
  ['toint("$ 5.22")', 5],
  ['toint("5.56")', 5],
  ['toint("$5.56")', 5],
  ['toint("5,555.00")', 5555],
  ['toint("€ 5,555.00")', 5555],
  ["toint(5555.05)", 5555],
  ["toint(todate(reg_date))", 1413158400000],
  ["toint(tonumber(55.1))", 55],
  ["toint(toint(55.1))", 55],

  ['tobool("true")', true],
  ['tobool("t")', true],
  ['tobool("f")', false],
  ['tobool("hello")', NOT_OK],
  ["tobool(ZeroTime)", NOT_OK],

  ['tonumber("5")', 5],
  ['tonumber("hello")', NOT_OK],
  ['tonumber("$ 5.22")', 5.22],
  ['tonumber("5.56")', 5.56],
  ['tonumber("$5.56")', 5.56],
  ['tonumber("5,555.00")', 5555],
  ['tonumber("€ 5,555.00")', 5555],

  ["tostring(true)", "true"],
  ["tostring(1)", "1"],
  ['tostring("")', ""],

  ["unsign(false)", NOT_OK],
  ['unsign("howdy")', NOT_OK],
  ["unsign(0)", "0"],
  ["unsign(-794)", "18446744073709550822"],
  ["unsign(794)", "794"],
  ['unsign("-7941778727260920248")', "10504965346448631368"],
  ['unsign("7941778727260920248")', "7941778727260920248"],
  // unsign(7941778727260920248): the literal is beyond 2^53 and rounds in JavaScript, see below.
  // unsign(hash.sip("bananas234029348")) likewise: see hash_encode.test.ts.
];

describe("cast builtins (builtins_test.go)", () => {
  it.each(ROWS)("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  it("unsign of an int64 literal beyond 2^53 sees the rounded JavaScript number (divergence)", () => {
    // Go: "7941778727260920248". JavaScript has already rounded the literal to ...9808.
    expect(outcome("unsign(7941778727260920248)", "").got).toBe("7941778727260919808");
  });
});

describe("cast builtins beyond the Go table", () => {
  it.each<[string, Want]>([
    // value.Cast supports only int, string, time and []byte ("char" in any case; the rest is case-sensitive).
    ['cast(score_amount, "number")', NOT_OK],
    ['cast(score_amount, "bool")', NOT_OK],
    ['cast(score_amount, "INT")', NOT_OK],
    ['cast("abc", "CHAR")', "abc"],
    ['cast("now-1d", "time")', new Date(TS - 86_400_000)],
    ['cast(not_a_field, "string")', NOT_OK],
    ["cast(Created AS string)", String(Date.UTC(2015, 11, 18))],
    // strconv.ParseInt(s, 16, 64) refuses the 0x prefix, so hex text is not an int.
    ['toint("0x1F")', NOT_OK],
    ['toint("12abc")', NOT_OK],
    ["toint(tags)", NOT_OK],
    ['toint(["7", "8"])', 7],
    ["toint(Created)", Date.UTC(2015, 11, 18)],
    ["toint(true)", NOT_OK],
    ["tonumber(true)", 1],
    ["tonumber(Created)", Date.UTC(2015, 11, 18)],
    ["tonumber(ZeroTime)", NOT_OK],
    ["tostring(not_a_field)", ""],
    ["tostring(tags)", "a,b,c,d"],
    ["tostring(5.5)", "5.5"],
    ["tostring(Created)", String(Date.UTC(2015, 11, 18))],
    ["tobool(1)", true],
    ["tobool(2)", NOT_OK],
    ['unsign("$-5")', "18446744073709551611"],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  it("toint of a non-finite number is Go's int64 conversion result, MinInt64", () => {
    expect(lookupFunction("toint")!.eval([Number.NaN], ["number"], { now: TS })).toBe(-(2 ** 63));
  });
});
