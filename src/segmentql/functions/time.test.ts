import { describe, expect, it } from "vitest";
import {
  evalCall,
  NOT_OK,
  outcome,
  TS,
  validationError,
  type Want,
} from "../../../test/support/segmentql-builtins.ts";
import { lookupFunction } from "./index.ts";

const TS2 = Date.UTC(2014, 3, 7);
const D = 86_400_000;

// Rows of expr/builtins/builtins_test.go (builtinTests): date functions. The Go test only checks
// that a time result is ok; these rows check the time too.
const ROWS: [string, Want][] = [
  ['todate("02/01/2006","07/04/2014")', new Date(TS2)],
  ['todate("1/2/06","4/7/14")', new Date(TS2)],
  ['todate("4/7/14")', new Date(TS2)],
  ['todate("Apr 7, 2014 4:58:55 PM")', new Date(TS)],
  ["todate(Address)", NOT_OK],
  ['todate("hello")', NOT_OK],
  ['todate("02/01/2006",Address)', NOT_OK],
  ['todate("02/01/2006","hello")', NOT_OK],
  ['todate(Address,"hello")', NOT_OK],

  // 5:57:51 PM in Los Angeles (PDT) is 00:57:51 UTC the next day.
  [
    'todatein("May 8, 2009 5:57:51 PM","America/Los_Angeles")',
    new Date(Date.UTC(2009, 4, 9, 0, 57, 51)),
  ],
  ['todatein("now-3d","America/Los_Angeles")', new Date(TS - 3 * D)],
  ['todatein(Address,"America/Los_Angeles")', NOT_OK],
  ['todatein(email,"America/Los_Angeles")', NOT_OK],

  ["now()", new Date(TS)],

  ['seconds("M10:30")', 630],
  ['seconds("M30")', 30],
  ['seconds(replace("M10:30","M"))', 630],
  ['seconds("M100:30")', 6030],
  ['seconds("00:30")', 30],
  ['seconds("00.00:30.60")', 30.6],
  ['seconds("30")', 30],
  ['seconds("30.6")', 30.6],
  ["seconds(30)", 30],
  ["seconds(30.6)", 30.6],
  ['seconds("2015/07/04")', 1435968000],
  ['seconds("-45")', -45],
  ["seconds(Address)", NOT_OK],

  ['yy("10/13/2014")', 14],
  ['yy("01/02/2006")', 6],
  ['yy("01/02/1956")', 56],
  ["yy()", 14],
  ["yy(Address)", NOT_OK],
  ['yy("hello")', NOT_OK],

  ["mm()", 4],
  ['mm("10/13/2014")', 10],
  ['mm("01/02/2006")', 1],
  ['mm("hello")', NOT_OK],
  ["mm(Address)", NOT_OK],

  ["yymm()", "1404"],
  ['yymm("10/13/2014")', "1410"],
  ['yymm("01/02/2006")', "0601"],
  ['yymm("hello")', NOT_OK],
  ["yymm(Address)", NOT_OK],

  ['hourofday("Apr 7, 2014 4:58:55 PM")', 16],
  ["hourofday()", 16],
  ['hourofday("hello")', NOT_OK],
  ["hourofday(Address)", NOT_OK],

  ["dayofweek()", 1],
  ['dayofweek("Apr 8, 2014 4:58:55 PM")', 2],
  ['dayofweek("hello")', NOT_OK],
  ["dayofweek(Address)", NOT_OK],

  ["hourofweek()", 40],
  ['hourofweek("Apr 7, 2014 4:58:55 PM")', 40],
  ['hourofweek("hello")', NOT_OK],
  ["hourofweek(Address)", NOT_OK],

  ['totimestamp("Apr 7, 2014 4:58:55 PM")', 1396889935],
  ['totimestamp("hello")', NOT_OK],
  ["totimestamp(Address)", NOT_OK],

  ['extract(reg_date, "%B")', "October"],
  ['extract(reg_date, "%d")', "13"],
  ['extract("1257894000", "%B - %d")', "November - 10"],
  ['extract("1257894000000", "%B - %d")', "November - 10"],
  ['strftime("hello", "%B")', NOT_OK],
  ['strftime(Address, "%B")', NOT_OK],
  ["strftime(reg_date, Address)", NOT_OK],

  ['unixtrunc("1438445529707")', "1438445529"],
  ['unixtrunc("1438445529", "ms")', "1438445529000"],
  ["unixtrunc(todate(msdate))", "1438445529"],
  ['unixtrunc(todate(msdate), "seconds")', "1438445529.707"],
  ["unixtrunc(todate(msdate2))", "-620110800"],
  ['unixtrunc(todate(msdate2), "seconds")', "-620110799.002"],
  ['unixtrunc(todate(nanodate), "sm")', "1438445529.707123"],
  ['unixtrunc(todate(microdate), "secondsmicro")', "-620110799.000002"],
  ['unixtrunc(todate(microdate2), "secondsmicro")', "1588964400.999998"],
  ['unixtrunc(todate(msdate), "secondsmicro")', "1438445529.707000"],
  ['unixtrunc(reg_date, "milliseconds")', "1413158400000"],
  ['unixtrunc(reg_date, "seconds")', "1413158400.000"],
  ['unixtrunc("hello")', NOT_OK],
  ['unixtrunc("hello","seconds")', NOT_OK],
  ["unixtrunc(reg_date,Address)", NOT_OK],
  ['unixtrunc(reg_date,"not-valid")', NOT_OK],
];

describe("time builtins (builtins_test.go)", () => {
  it.each(ROWS)("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  it('todate("Apr 7, 2014 4:58:55 PM") < todate("now-3m")', () => {
    const a = evalCall('todate("Apr 7, 2014 4:58:55 PM")') as Date;
    const b = evalCall('todate("now-3m")', { now: Date.now() }) as Date;
    expect(a.getTime()).toBeLessThan(b.getTime());
  });

  it.each([
    'todatein("now-3d","hello")',
    "todatein()",
    "todatein(date_field)",
    'todatein("now-3days","America/Los_Angeles")',
    'todatein("May 8, 2009 5:57:51 PM")',
    'todatein("May 8, 2009 5:57:51 PM","PDT")',
    'todatein("May 8, 2009 5:57:51 PM","PDT","MORE")',
    'todatein("May 8, 2009 5:57:51 PM", invalid_identity)',
    "todate()",
    "now(a)",
    "now(a,b)",
    "yy(a,b)",
    "mm(a,b)",
    "yymm(a,b)",
    "dayofweek(a,b)",
    "hourofweek(a,b)",
    "hourofday(a,b)",
    "totimestamp()",
    "totimestamp(a,b)",
    "seconds()",
    "seconds(a,b)",
    "unixtrunc()",
    "unixtrunc(a,b,c)",
    "strftime()",
    "strftime(now())",
    "maptime()",
    "maptime(a,b,c)",
  ])("rejects %s at parse time (testValidation)", (src) => {
    expect(validationError(src)).toBeDefined();
  });
});

describe("time builtins beyond the Go table", () => {
  it.each<[string, Want]>([
    // Fields are read in the zone the text carries, as Go reads them.
    ['hourofday("2014-12-31T23:00:00-05:00")', 23],
    ['yy("2014-12-31T23:00:00-05:00")', 14],
    ['hourofday(todate("2014-12-31T23:00:00-05:00"))', 23],
    ['strftime(todate("2014-12-31T23:00:00-05:00"), "%Y-%m-%d %H")', "2014-12-31 23"],
    ["dayofweek(Created)", 5],
    ["yy(Created)", 15],
    ["yymm(ZeroTime)", "0101"],
    ["hourofweek(ZeroTime)", NOT_OK],
    ['yy("01/02/1856")', 1856],
    // todate() reads any case of "now" and never falls back to dateparse for it.
    ['todate("NOW-1d")', new Date(TS - D)],
    ['todate("now-1x")', NOT_OK],
    ['todate("now")', NOT_OK],
    // datemath.Eval("3d") is "too short" (under 3 bytes); "13d" is 13 days ahead, sign optional.
    ['todate("now3d")', NOT_OK],
    ['todate("now13d")', new Date(TS + 13 * D)],
    ['todate("now+3d")', new Date(TS + 3 * D)],
    ["todate(Created)", new Date(Date.UTC(2015, 11, 18))],
    ['todatein("2009-05-08 17:57:51","UTC")', new Date(Date.UTC(2009, 4, 8, 17, 57, 51))],
    ['seconds("0:0")', NOT_OK],
    ['seconds("1:2:3")', NOT_OK],
    ["seconds(Authenticated)", NOT_OK],
    ["seconds(Created)", NOT_OK],
    ['unixtrunc(Created, "S")', "1450396800.000"],
    ['unixtrunc("now-1d", "ms")', String(TS - D)],
    ["unixtrunc(ZeroTime)", "-62135596800"],
    ["totimestamp(Created)", 1450396800],
    ['extract(Created, "%A %p")', "Friday AM"],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  it("reads the evaluation's now only without a date argument", () => {
    for (const name of [
      "yy",
      "mm",
      "yymm",
      "dayofweek",
      "hourofday",
      "hourofweek",
      "monthofyear",
    ]) {
      const f = lookupFunction(name)!;
      expect(f.usesNow!(0)).toBe(true);
      expect(f.usesNow!(1)).toBe(false);
    }
    expect(lookupFunction("now")!.usesNow!(0)).toBe(true);
    expect(lookupFunction("todate")!.usesNow).toBeUndefined();
  });

  it("answers the context's now, not the wall clock", () => {
    const now = Date.UTC(2031, 0, 5, 3, 4, 5);
    expect(evalCall("now()", { now })).toEqual(new Date(now));
    expect(evalCall("yymm()", { now })).toBe("3101");
    expect(evalCall("hourofweek()", { now })).toBe(3);
    expect(evalCall('todate("now-1h")', { now })).toEqual(new Date(now - 3_600_000));
  });
});

describe("times converted from text keep dateparse's precision", () => {
  it.each<[string, Want]>([
    ['unixtrunc("2020-05-08 19:00:00.999998", "sm")', "1588964400.999998"],
    ['unixtrunc(nanodate, "sm")', "1438445529.707123"],
    ['hourofday(cast("2014-12-31T23:00:00-05:00" AS time))', 23],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });
});
