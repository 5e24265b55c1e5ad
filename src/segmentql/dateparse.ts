// dateparse.ParseAny / ParseIn as qlbridge uses them (github.com/araddon/dateparse, replaced
// in qlbridge's go.mod by the fork github.com/lytics/dateparse @ 6cedc927c67b).
//
// dateparse does not parse by itself: it scans the text once with a state machine, rewrites
// a copy of the text into a Go reference layout ("2014-04-26" becomes "2006-01-02"), and
// hands layout and text to time.Parse. This port keeps that design, byte for byte (Go
// indexes strings by UTF-8 bytes), so its oddities carry over: US month-first dates,
// unknown zone abbreviations read as UTC, "Z" after a fraction ignored, and the rest.
// Options (PreferMonthFirst, RetryAmbiguousDateWithSwap) are not used by qlbridge and are
// fixed at their defaults.

import {
  type GoLocation,
  type GoTime,
  goParse,
  loadLocation,
  toByteString,
  UTC_LOCATION,
  unixIn,
} from "./gotime.ts";

/** ParseAny: epoch milliseconds, or undefined when dateparse returns an error. */
export function parseDate(text: string): number | undefined {
  return parseDateZoned(text)?.ms;
}

/**
 * ParseIn(text, location) as todatein() calls it: zone-less text is read in the IANA zone,
 * and zone abbreviations are looked up there. Undefined for an unknown zone or text.
 */
export function parseDateIn(text: string, timeZone: string): number | undefined {
  return parseDateZoned(text, timeZone)?.ms;
}

/**
 * ParseAny (or ParseIn with a zone) keeping what Go keeps: nanoseconds and the zone the
 * result is read in. Builtins that take fields of a parsed date (yy, hourofday, strftime)
 * read them in that zone: "2014-12-31T23:00:00-05:00" has year 2014.
 */
export function parseDateZoned(text: string, timeZone?: string): GoTime | undefined {
  const loc = timeZone === undefined ? undefined : loadLocation(timeZone);
  if (timeZone !== undefined && !loc) return undefined;
  try {
    const p = scan(toByteString(text), loc);
    return p ? finish(p) : undefined;
  } catch (e) {
    // Where Go would index out of range (and panic), there is no date.
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}

// ------------------------------------------------------------------------------------------

type DateState =
  | "start"
  | "digit"
  | "digitSt"
  | "yearDash"
  | "yearDashAlphaDash"
  | "yearDashDash"
  | "yearDashDashWs"
  | "yearDashDashT"
  | "yearDashDashOffset"
  | "digitDash"
  | "digitDashAlpha"
  | "digitDashAlphaDash"
  | "digitDot"
  | "digitDotDot"
  | "digitSlash"
  | "digitYearSlash"
  | "digitSlashAlpha"
  | "digitChineseYear"
  | "digitChineseYearWs"
  | "digitWs"
  | "digitWsMoYear"
  | "digitWsMolong"
  | "alpha"
  | "alphaWs"
  | "alphaWsDigit"
  | "alphaWsDigitMore"
  | "alphaWsDigitMoreWs"
  | "alphaWsDigitMoreWsYear"
  | "alphaWsMonth"
  | "alphaWsDigitYearmaybe"
  | "alphaWsMonthMore"
  | "alphaWsMonthSuffix"
  | "alphaWsMore"
  | "alphaWsAlpha"
  | "alphaPeriodWsDigit"
  | "weekdayComma"
  | "weekdayAbbrevComma";

type TimeState =
  | "ignore"
  | "start"
  | "ws"
  | "wsAlpha"
  | "wsAlphaWs"
  | "wsAlphaZoneOffset"
  | "wsAlphaZoneOffsetWs"
  | "wsAlphaZoneOffsetWsYear"
  | "wsAlphaZoneOffsetWsExtra"
  | "wsAMPMMaybe"
  | "wsAMPM"
  | "wsOffset"
  | "wsOffsetWs"
  | "wsOffsetColonAlpha"
  | "wsOffsetColon"
  | "wsYear"
  | "offset"
  | "offsetColon"
  | "period"
  | "periodOffset"
  | "periodOffsetColon"
  | "periodOffsetColonWs"
  | "periodWs"
  | "periodWsAlpha"
  | "periodWsOffset"
  | "periodWsOffsetWsAlpha"
  | "periodWsOffsetColon"
  | "periodWsOffsetColonAlpha"
  | "z"
  | "zDigit";

const DAYS = new Set([
  "mon",
  "tue",
  "wed",
  "thu",
  "fri",
  "sat",
  "sun",
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
  "sunday",
]);

const MONTHS = new Set([
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
]);

/** The scanner's state: positions and lengths of the parts found, in bytes. */
class Parser {
  loc: GoLocation | undefined;
  ambiguousMD = false;
  stateDate: DateState = "start";
  stateTime: TimeState = "ignore";
  /** The layout being built, one char per byte, overwritten in place. */
  format: string[];
  datestr: string;
  fullMonth = "";
  skip = 0;
  extra = 0;
  part1Len = 0;
  yeari = 0;
  yearlen = 0;
  moi = 0;
  molen = 0;
  dayi = 0;
  daylen = 0;
  houri = 0;
  hourlen = 0;
  mini = 0;
  minlen = 0;
  seci = 0;
  seclen = 0;
  msi = 0;
  mslen = 0;
  offseti = 0;
  tzi = 0;
  tzlen = 0;
  /** Set when the text was an epoch number and needs no layout. */
  t: GoTime | undefined;

  constructor(datestr: string, loc: GoLocation | undefined) {
    this.datestr = datestr;
    this.loc = loc;
    this.format = datestr.split("");
  }

  nextIs(i: number, c: string): boolean {
    return this.datestr.length > i + 1 && this.datestr[i + 1] === c;
  }

  /** Overwrite layout bytes from start, unless that would run past the end. */
  set(start: number, val: string): void {
    if (start < 0 || this.format.length < start + val.length) return;
    for (let i = 0; i < val.length; i++) this.format[start + i] = val[i]!;
  }

  setMonth(): void {
    if (this.molen === 2) this.set(this.moi, "01");
    else if (this.molen === 1) this.set(this.moi, "1");
  }

  setDay(): void {
    if (this.daylen === 2) this.set(this.dayi, "02");
    else if (this.daylen === 1) this.set(this.dayi, "2");
  }

  setYear(): void {
    if (this.yearlen === 2) this.set(this.yeari, "06");
    else if (this.yearlen === 4) this.set(this.yeari, "2006");
  }

  coalesceDate(end: number): void {
    if (this.yeari > 0) {
      if (this.yearlen === 0) this.yearlen = end - this.yeari;
      this.setYear();
    }
    if (this.moi > 0 && this.molen === 0) {
      this.molen = end - this.moi;
      this.setMonth();
    }
    if (this.dayi > 0 && this.daylen === 0) {
      this.daylen = end - this.dayi;
      this.setDay();
    }
  }

  coalesceTime(end: number): void {
    if (this.houri > 0) {
      if (this.hourlen === 2) this.set(this.houri, "15");
      else if (this.hourlen === 1) this.set(this.houri, "3");
    }
    if (this.mini > 0) {
      if (this.minlen === 0) this.minlen = end - this.mini;
      this.set(this.mini, this.minlen === 2 ? "04" : "4");
    }
    if (this.seci > 0) {
      if (this.seclen === 0) this.seclen = end - this.seci;
      this.set(this.seci, this.seclen === 2 ? "05" : "5");
    }
    if (this.msi > 0) {
      for (let i = 0; i < this.mslen; i++) {
        // Go writes these bytes without a bounds check.
        if (this.msi + i >= this.format.length) throw new RangeError("index out of range");
        this.format[this.msi + i] = "0";
      }
    }
  }

  trimExtra(): void {
    if (this.extra > 0 && this.format.length > this.extra) {
      this.format = this.format.slice(0, this.extra);
      this.datestr = this.datestr.slice(0, this.extra);
    }
  }

  layout(s: string): void {
    this.format = toByteString(s).split("");
  }
}

function finish(p: Parser): GoTime | undefined {
  if (p.t) return p.t;
  if (p.fullMonth.length > 0 && p.moi === 0) {
    if (p.format.length < p.fullMonth.length) throw new RangeError("slice bounds out of range");
    p.format = [..."January", ...p.format.slice(p.fullMonth.length)];
  }
  let layout = p.format.join("");
  let value = p.datestr;
  if (p.skip > 0 && layout.length > p.skip) {
    layout = layout.slice(p.skip);
    value = value.slice(p.skip);
  }
  // time.Parse reads zones against Local (UTC here); ParseInLocation against the location.
  const loc = p.loc ?? UTC_LOCATION;
  return goParse(layout, value, loc, loc);
}

// unicode.IsDigit / IsLetter. In the time scan Go tests single bytes as runes, which makes
// bytes 0x80..0xFF Latin-1 characters; the same predicates give Go's answers for those.
const DIGIT_RE = /^\p{Nd}$/u;
const LETTER_RE = /^\p{L}$/u;

function isDigitRune(cp: number): boolean {
  if (cp < 0x80) return cp >= 48 && cp <= 57;
  return DIGIT_RE.test(String.fromCodePoint(cp));
}

function isLetterRune(cp: number): boolean {
  if (cp < 0x80) return (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
  return LETTER_RE.test(String.fromCodePoint(cp));
}

/** utf8.DecodeRuneInString over a byte string: [rune, size], U+FFFD/1 when invalid. */
function decodeRune(s: string, i: number): [number, number] {
  const b0 = s.charCodeAt(i);
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number) => {
    const b = s.charCodeAt(i + k);
    return b >= 0x80 && b <= 0xbf ? b & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    if (c1 >= 0) return [((b0 & 0x1f) << 6) | c1, 2];
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = cont(1);
    const c2 = cont(2);
    const lo = b0 === 0xe0 ? 0x20 : 0;
    const hi = b0 === 0xed ? 0x1f : 0x3f;
    if (c1 >= lo && c1 <= hi && c2 >= 0) return [((b0 & 0x0f) << 12) | (c1 << 6) | c2, 3];
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = cont(1);
    const c2 = cont(2);
    const c3 = cont(3);
    const lo = b0 === 0xf0 ? 0x10 : 0;
    const hi = b0 === 0xf4 ? 0x0f : 0x3f;
    if (c1 >= lo && c1 <= hi && c2 >= 0 && c3 >= 0) {
      return [((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4];
    }
  }
  return [0xfffd, 1];
}

const decoder = new TextDecoder();

/** strings.ToLower of a byte string, compared only against ASCII names. */
function lowerBytes(s: string): string {
  return decoder.decode(Uint8Array.from(s, (c) => c.charCodeAt(0))).toLowerCase();
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Go's strconv.ParseInt(s, 10, 64) as a bigint. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return undefined;
  return v;
}

/** Go's time.Unix(0, ns) in the parser's location (Local, i.e. UTC, when none). */
function fromUnixNanos(ns: bigint, loc: GoLocation | undefined): GoTime {
  const sec = ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n);
  const nsec = ns - sec * 1_000_000_000n;
  return unixIn(Number(sec), Number(nsec), loc ?? UTC_LOCATION);
}

/** The scan: fills a Parser with the layout for the text, or undefined for dateparse's errors. */
function scan(datestr: string, loc: GoLocation | undefined): Parser | undefined {
  const p = new Parser(datestr, loc);
  let i = 0;

  dateLoop: for (; i < datestr.length; i++) {
    const [r, size] = decodeRune(datestr, i);
    if (size > 1) i += size - 1;
    const ch = r < 0x80 ? String.fromCharCode(r) : "";

    switch (p.stateDate) {
      case "start":
        if (isDigitRune(r)) p.stateDate = "digit";
        else if (isLetterRune(r)) p.stateDate = "alpha";
        else return undefined;
        break;

      case "digit":
        if (ch === "-" || r === 0x2212) {
          // 2006-01-02, 2013-Feb-03, 13-Feb-03, 29-Jun-2016
          if (i === 4) {
            p.stateDate = "yearDash";
            p.yeari = 0;
            p.yearlen = i;
            p.moi = i + 1;
            p.set(0, "2006");
          } else {
            p.stateDate = "digitDash";
          }
        } else if (ch === "/") {
          // 03/31/2005, 2014/02/24, 08/May/2005
          p.stateDate = "digitSlash";
          if (i === 4) {
            p.yearlen = i;
            p.moi = i + 1;
            p.setYear();
            p.stateDate = "digitYearSlash";
          } else {
            if (i + 2 < p.datestr.length && isLetterRune(datestr.charCodeAt(i + 1))) {
              p.stateDate = "digitSlashAlpha";
              p.moi = i + 1;
              p.daylen = 2;
              p.dayi = 0;
              p.setDay();
              continue;
            }
            // dd/mm vs mm/dd: the US reading wins.
            p.ambiguousMD = true;
            if (p.molen === 0) {
              p.molen = i;
              p.setMonth();
              p.dayi = i + 1;
            }
          }
        } else if (ch === ".") {
          // 3.31.2014, 08.21.71, 2014.05
          p.stateDate = "digitDot";
          if (i === 4) {
            p.yearlen = i;
            p.moi = i + 1;
            p.setYear();
          } else {
            p.ambiguousMD = true;
            p.moi = 0;
            p.molen = i;
            p.setMonth();
            p.dayi = i + 1;
          }
        } else if (ch === " ") {
          // 18 January 2018, 02 Jan 2018 23:59, 171113 14:14:20
          if (i === 6) {
            p.stateDate = "digitSt";
          } else {
            p.stateDate = "digitWs";
            p.dayi = 0;
            p.daylen = i;
          }
        } else if (r === 0x5e74) {
          // 年: 2014年04月08日
          p.stateDate = "digitChineseYear";
        } else if (ch === ",") {
          return undefined;
        } else {
          continue;
        }
        p.part1Len = i;
        break;

      case "digitSt":
        p.set(0, "060102");
        i = i - 1;
        p.stateTime = "start";
        break dateLoop;

      case "yearDash":
        if (ch === "-") {
          p.molen = i - p.moi;
          p.dayi = i + 1;
          p.stateDate = "yearDashDash";
          p.setMonth();
        } else if (isLetterRune(r)) {
          p.stateDate = "yearDashAlphaDash";
        }
        break;

      case "yearDashDash":
        // 2006-01-02T15:04:05Z07:00, 2013-04-01 22:43:22, 2020-07-20+00:00
        if (ch === "+" || ch === "-") {
          p.offseti = i;
          p.daylen = i - p.dayi;
          p.stateDate = "yearDashDashOffset";
          p.setDay();
        } else if (ch === " ") {
          p.daylen = i - p.dayi;
          p.stateDate = "yearDashDashWs";
          p.stateTime = "start";
          p.setDay();
          break dateLoop;
        } else if (ch === "T") {
          p.daylen = i - p.dayi;
          p.stateDate = "yearDashDashT";
          p.stateTime = "start";
          p.setDay();
          break dateLoop;
        }
        break;

      case "yearDashDashT":
        break;

      case "yearDashDashOffset":
        if (ch === ":") p.set(p.offseti, "-07:00");
        break;

      case "yearDashAlphaDash":
        // 2013-Feb-03
        if (ch === "-") {
          p.molen = i - p.moi;
          p.set(p.moi, "Jan");
          p.dayi = i + 1;
        }
        break;

      case "digitDash":
        if (isLetterRune(r)) {
          p.stateDate = "digitDashAlpha";
          p.moi = i;
        } else {
          return undefined;
        }
        break;

      case "digitDashAlpha":
        // 13-Feb-03, 29-Jun-2016
        if (ch === "-") {
          p.molen = i - p.moi;
          p.set(p.moi, "Jan");
          p.yeari = i + 1;
          p.stateDate = "digitDashAlphaDash";
        }
        break;

      case "digitDashAlphaDash":
        if (ch === " ") {
          digitDashAlphaDashYear(p, i - (p.moi + p.molen + 1));
          p.stateTime = "start";
          break dateLoop;
        }
        break;

      case "digitYearSlash":
        // 2014/07/10 06:55:38.156283
        if (ch === " " || ch === ":") {
          p.stateTime = "start";
          if (p.daylen === 0) {
            p.daylen = i - p.dayi;
            p.setDay();
          }
          break dateLoop;
        }
        if (ch === "/" && p.molen === 0) {
          p.molen = i - p.moi;
          p.setMonth();
          p.dayi = i + 1;
        }
        break;

      case "digitSlashAlpha":
        // 06/May/2008
        if (ch === "/") {
          if (p.molen === 0) {
            p.set(p.moi, "Jan");
            p.yeari = i + 1;
          }
        } else if (ch === " " || ch === ":") {
          p.stateTime = "start";
          if (p.yearlen === 0) {
            p.yearlen = i - p.yeari;
            p.setYear();
          }
          break dateLoop;
        }
        break;

      case "digitSlash":
        // 03/19/2012 10:11:59, 3/1/2014, 1/2/06
        if (ch === "/") {
          if (p.daylen === 0) {
            p.daylen = i - p.dayi;
            p.setDay();
            p.yeari = i + 1;
          }
        } else if (ch === " ") {
          p.stateTime = "start";
          if (p.yearlen === 0) {
            p.yearlen = i - p.yeari;
            p.setYear();
          }
          break dateLoop;
        }
        break;

      case "digitWs":
        // 18 January 2018, 8 jan 2018, 02 Jan 2018 23:59, 12 Feb 2006, 19:17
        if (ch === " ") {
          p.yeari = i + 1;
          p.dayi = 0;
          p.daylen = p.part1Len;
          p.setDay();
          p.stateTime = "start";
          if (i > p.daylen + 4) {
            // Longer than " Sep": a full month name.
            p.stateDate = "digitWsMolong";
          } else {
            p.moi = p.daylen + 1;
            p.molen = i - p.moi;
            p.set(p.moi, "Jan");
            p.stateDate = "digitWsMoYear";
          }
        }
        break;

      case "digitWsMoYear":
        if (ch === ",") {
          p.yearlen = i - p.yeari;
          p.setYear();
          i++;
          break dateLoop;
        }
        if (ch === " ") {
          p.yearlen = i - p.yeari;
          p.setYear();
          break dateLoop;
        }
        break;

      case "digitWsMolong":
        break;

      case "digitChineseYear":
        if (ch === " ") p.stateDate = "digitChineseYearWs";
        break;

      case "digitDot":
        // 3.31.2014, 08.21.71, 2014.05, 2018.09.30
        if (ch === ".") {
          if (p.moi === 0) {
            p.daylen = i - p.dayi;
            p.yeari = i + 1;
            p.setDay();
          } else {
            p.molen = i - p.moi;
            p.dayi = i + 1;
            p.setMonth();
          }
          p.stateDate = "digitDotDot";
        }
        if (ch === "e") {
          // An epoch in scientific notation: 1.384216367111e+12
          if (FLOAT_RE.test(datestr)) {
            const f = Number(datestr);
            if (Number.isFinite(f)) {
              datestr = BigInt(Math.trunc(f)).toString();
              p.stateDate = "digit";
              break dateLoop;
            }
          }
        }
        break;

      case "digitDotDot":
        break;

      case "alpha":
        // Mon Jan _2 15:04:05 2006, May 8, 2009 5:57:51 PM, April 8, 2009,
        // Monday, 02 Jan 2006 15:04:05 MST, Mon, 02 Jan 2006 15:04:05 MST, oct. 1, 1970
        if (ch === " ") {
          if (i > 3) {
            const month = lowerBytes(datestr.slice(0, i));
            if (MONTHS.has(month)) {
              p.fullMonth = month;
              // len(" 31, 2018") is 9: anything longer carries a time.
              p.stateDate = datestr.length - i < 10 ? "alphaWsMonth" : "alphaWsMore";
              p.dayi = i + 1;
            }
          } else {
            // A leading day name is dropped and the rest parsed afresh.
            if (DAYS.has(lowerBytes(datestr.slice(0, i)))) return scan(datestr.slice(i + 1), loc);
            p.stateDate = "alphaWs";
          }
        } else if (ch === ",") {
          if (i === 3) {
            p.stateDate = "weekdayAbbrevComma";
            p.set(0, "Mon");
          } else {
            p.stateDate = "weekdayComma";
            p.skip = i + 2;
            i++;
          }
        } else if (ch === ".") {
          // sept. 28, 2017 / jan. 28, 2017
          p.stateDate = "alphaPeriodWsDigit";
          if (i === 3) {
            p.molen = i;
            p.set(0, "Jan");
          } else if (i === 4) {
            // "sept." loses its t.
            return scan(datestr.slice(0, i - 1) + datestr.slice(i), loc);
          } else {
            return undefined;
          }
        }
        break;

      case "alphaWs":
        if (isLetterRune(r)) {
          p.set(0, "Mon");
          p.stateDate = "alphaWsAlpha";
          p.set(i, "Jan");
        } else if (isDigitRune(r)) {
          p.set(0, "Jan");
          p.stateDate = "alphaWsDigit";
          p.dayi = i;
        }
        break;

      case "alphaWsDigit":
        // May 8, 2009 5:57:51 PM, May 8 2009 5:57:51 PM, May  8 17:57:51 2009, oct 7, '70
        if (ch === ",") {
          p.daylen = i - p.dayi;
          p.setDay();
          p.stateDate = "alphaWsDigitMore";
        } else if (ch === " ") {
          p.daylen = i - p.dayi;
          p.setDay();
          p.yeari = i + 1;
          p.stateDate = "alphaWsDigitYearmaybe";
          p.stateTime = "start";
        } else if (isLetterRune(r)) {
          p.stateDate = "alphaWsMonthSuffix";
          i--;
        }
        break;

      case "alphaWsDigitYearmaybe":
        if (ch === ":") {
          // Not a year but an hour: back up to it.
          i = i - 3;
          p.stateDate = "alphaWsDigit";
          p.yeari = 0;
          break dateLoop;
        }
        if (ch === " ") {
          p.yearlen = i - p.yeari;
          p.setYear();
          break dateLoop;
        }
        break;

      case "alphaWsDigitMore":
        if (ch === " ") {
          p.yeari = i + 1;
          p.stateDate = "alphaWsDigitMoreWs";
        }
        break;

      case "alphaWsDigitMoreWs":
        if (ch === "'") {
          p.yeari = i + 1;
        } else if (ch === " " || ch === ",") {
          p.stateDate = "alphaWsDigitMoreWsYear";
          p.yearlen = i - p.yeari;
          p.setYear();
          p.stateTime = "start";
          break dateLoop;
        }
        break;

      case "alphaWsMonth":
        // April 8, 2009 / April 8 2009
        if (ch === " " || ch === ",") {
          if (p.daylen === 0) {
            p.daylen = i - p.dayi;
            p.setDay();
          }
        } else if (ch !== "" && "sSrRtTnN".includes(ch)) {
          i--;
          p.stateDate = "alphaWsMonthSuffix";
        } else if (p.daylen > 0 && p.yeari === 0) {
          p.yeari = i;
        }
        break;

      case "alphaWsMonthMore":
        // January 02, 2006, 15:04:05 / January 02 2006 15:04:05
        if (ch === ",") {
          p.yearlen = i - p.yeari;
          p.setYear();
          p.stateTime = "start";
          i++;
          break dateLoop;
        }
        if (ch === " ") {
          p.yearlen = i - p.yeari;
          p.setYear();
          p.stateTime = "start";
          break dateLoop;
        }
        break;

      case "alphaWsMonthSuffix": {
        // April 8th, 2009: the ordinal suffix is cut out and the rest parsed afresh.
        const next: Record<string, string> = {
          t: "hH",
          T: "hH",
          n: "dD",
          N: "dD",
          s: "tT",
          S: "tT",
          r: "dD",
          R: "dD",
        };
        const follow = next[ch];
        if (
          follow &&
          (p.nextIs(i, follow[0]!) || p.nextIs(i, follow[1]!)) &&
          datestr.length > i + 2
        ) {
          return scan(p.datestr.slice(0, i) + p.datestr.slice(i + 2), loc);
        }
        break;
      }

      case "alphaWsMore":
        // January 02, 2006, 15:04:05 / January 2nd, 2006 / September 17, 2012 at 5:00pm UTC-05
        if (ch === ",") {
          if (p.nextIs(i, " ")) {
            p.daylen = i - p.dayi;
            p.setDay();
            p.yeari = i + 2;
            p.stateDate = "alphaWsMonthMore";
            i++;
          }
        } else if (ch === " ") {
          p.daylen = i - p.dayi;
          p.setDay();
          p.yeari = i + 1;
          p.stateDate = "alphaWsMonthMore";
        } else if (isDigitRune(r)) {
          continue;
        } else if (isLetterRune(r)) {
          p.daylen = i - p.dayi;
          p.setDay();
          p.stateDate = "alphaWsMonthSuffix";
          i--;
        }
        break;

      case "alphaPeriodWsDigit":
        // oct. 7, '70
        if (ch === " ") {
          // keep going
        } else if (isDigitRune(r)) {
          p.stateDate = "alphaWsDigit";
          p.dayi = i;
        } else {
          return undefined;
        }
        break;

      case "weekdayComma":
        // Monday, 02 Jan 2006 15:04:05 MST / Monday, 02-Jan-06 15:04:05 MST
        if (p.dayi === 0) p.dayi = i;
        if (ch === " " || ch === "-") {
          if (p.moi === 0) {
            p.moi = i + 1;
            p.daylen = i - p.dayi;
            p.setDay();
          } else if (p.yeari === 0) {
            p.yeari = i + 1;
            p.molen = i - p.moi;
            p.set(p.moi, "Jan");
          } else {
            p.stateTime = "start";
            break dateLoop;
          }
        }
        break;

      case "weekdayAbbrevComma":
        // Mon, 02 Jan 2006 15:04:05 MST / Mon, 02-Jan-06 15:04:05 MST
        if (ch === " " || ch === "-") {
          if (p.dayi === 0) {
            p.dayi = i + 1;
          } else if (p.moi === 0) {
            p.daylen = i - p.dayi;
            p.setDay();
            p.moi = i + 1;
          } else if (p.yeari === 0) {
            p.molen = i - p.moi;
            p.set(p.moi, "Jan");
            p.yeari = i + 1;
          } else {
            p.yearlen = i - p.yeari;
            p.setYear();
            p.stateTime = "start";
            break dateLoop;
          }
        }
        break;

      default:
        break dateLoop;
    }
  }

  p.coalesceDate(i);

  if (p.stateTime === "start") {
    const r = scanTime(p, datestr, i, loc);
    if (r === undefined || r instanceof Parser) return r;
    [datestr, i] = r;
  }

  return finishDate(p, datestr, i, loc);
}

function digitDashAlphaDashYear(p: Parser, length: number): void {
  // dd-Mon-yyyy, or the ambiguous dd-Mon-yy (read as day first).
  if (length === 4) {
    p.yearlen = 4;
    p.set(p.yeari, "2006");
    p.dayi = 0;
    p.daylen = p.part1Len;
    p.setDay();
  } else if (length === 2) {
    p.ambiguousMD = true;
    p.yearlen = 2;
    p.set(p.yeari, "06");
    p.dayi = 0;
    p.daylen = p.part1Len;
    p.setDay();
  }
}

/**
 * The time-of-day scan, which looks at single bytes. Returns the (possibly rewritten) text
 * and where the scan stopped, or the parser of a fresh scan of a rewritten text.
 */
function scanTime(
  p: Parser,
  datestr: string,
  i: number,
  loc: GoLocation | undefined,
): [string, number] | Parser | undefined {
  if (i < p.datestr.length) i++;
  while (i < datestr.length && datestr[i] === " ") i++;

  timeLoop: for (; i < datestr.length; i++) {
    const ch = datestr[i]!;
    const r = datestr.charCodeAt(i);

    switch (p.stateTime) {
      case "start":
        // 22:43:22, 08:20:13,787, 05:24:37 PM, 06:20:00 UTC-05, 03:21:51+00:00,
        // 17:24:37.3186369, 19:55:00.799+0100, 00:07:31.945167 +0000 UTC
        if (p.houri === 0) p.houri = i;
        switch (ch) {
          case ",": {
            // A comma before milliseconds becomes a period and the text is parsed afresh.
            if (i >= p.datestr.length) throw new RangeError("index out of range");
            return scan(`${p.datestr.slice(0, i)}.${p.datestr.slice(i + 1)}`, loc);
          }
          case "-":
          case "+":
            p.stateTime = "offset";
            if (p.seci === 0) {
              p.minlen = i - p.mini;
            } else {
              if (p.seclen === 0) p.seclen = i - p.seci;
              if (p.msi > 0 && p.mslen === 0) p.mslen = i - p.msi;
            }
            p.offseti = i;
            break;
          case ".":
            p.stateTime = "period";
            p.seclen = i - p.seci;
            p.msi = i + 1;
            break;
          case "Z":
            p.stateTime = "z";
            if (p.seci === 0) p.minlen = i - p.mini;
            else p.seclen = i - p.seci;
            p.loc = UTC_LOCATION;
            break;
          case "a":
          case "A":
            if (p.nextIs(i, "t") || p.nextIs(i, "T")) {
              // September 17, 2012 at 5:00pm: skip "at " and start the hour again.
              i++;
              if (p.nextIs(i, " ")) {
                i++;
                p.houri = 0;
              }
            } else if (ch === "a" && p.nextIs(i, "m")) {
              p.coalesceTime(i);
              p.set(i, "am");
            } else if (ch === "A" && p.nextIs(i, "M")) {
              p.coalesceTime(i);
              p.set(i, "PM");
            }
            break;
          case "p":
          case "P":
            if (ch === "p" && p.nextIs(i, "m")) {
              p.coalesceTime(i);
              p.set(i, "pm");
            } else if (ch === "P" && p.nextIs(i, "M")) {
              p.coalesceTime(i);
              p.set(i, "PM");
            }
            break;
          case " ":
            p.coalesceTime(i);
            p.stateTime = "ws";
            break;
          case ":":
            if (p.mini === 0) {
              p.mini = i + 1;
              p.hourlen = i - p.houri;
            } else if (p.seci === 0) {
              p.seci = i + 1;
              p.minlen = i - p.mini;
            } else if (p.seci > 0) {
              // 18:31:59:257: a colon before milliseconds is read as a period.
              p.seclen = i - p.seci;
              p.set(p.seci, "05");
              p.msi = i + 1;
              p.set(i, ".");
              datestr = `${datestr.slice(0, i)}.${datestr.slice(i + 1)}`;
              p.datestr = datestr;
            }
            break;
        }
        break;

      case "offset":
        if (ch === ":") p.stateTime = "offsetColon";
        break;

      case "ws":
        // 06:20:00 UTC, 15:44:11 UTC+0100 2015, 05:24:37 PM, 15:04:05 -0700, 00:12:00 2008
        if (ch === "A" || ch === "P") {
          // AM/PM, or a zone such as PST.
          p.tzi = i;
          p.stateTime = "wsAMPMMaybe";
        } else if (ch === "+" || ch === "-") {
          p.offseti = i;
          p.stateTime = "wsOffset";
        } else if (isLetterRune(r)) {
          p.tzi = i;
          p.stateTime = "wsAlpha";
        } else if (isDigitRune(r)) {
          p.stateTime = "wsYear";
          p.yeari = i;
        }
        break;

      case "wsAlpha":
        // 06:20:00 UTC-05, 17:57:51 MST 2009, 18:04:07 GMT+0100 (GMT Daylight Time)
        if (ch === "+" || ch === "-") {
          setZoneName(p, i);
          p.stateTime = "wsAlphaZoneOffset";
          p.offseti = i;
        } else if (ch === " ") {
          setZoneName(p, i);
          p.stateTime = "wsAlphaWs";
          p.yeari = i + 1;
        }
        break;

      case "wsAlphaWs":
        break;

      case "wsAlphaZoneOffset":
        if (ch === " ") {
          p.set(p.offseti, "-0700");
          if (p.yeari === 0) p.yeari = i + 1;
          p.stateTime = "wsAlphaZoneOffsetWs";
        }
        break;

      case "wsAlphaZoneOffsetWs":
        if (isDigitRune(r)) {
          p.stateTime = "wsAlphaZoneOffsetWsYear";
        } else {
          p.extra = i - 1;
          p.stateTime = "wsAlphaZoneOffsetWsExtra";
        }
        break;

      case "wsAlphaZoneOffsetWsYear":
        if (isDigitRune(r)) {
          p.yearlen = i - p.yeari + 1;
          if (p.yearlen === 4) p.setYear();
        }
        break;

      case "wsAMPMMaybe":
        if (ch === "M") {
          p.stateTime = "wsAMPM";
          p.set(i - 1, "PM");
          if (p.hourlen === 2) p.set(p.houri, "03");
          else if (p.hourlen === 1) p.set(p.houri, "3");
        } else {
          p.stateTime = "wsAlpha";
        }
        break;

      case "wsOffset":
        // 15:04:05 -0700, 17:57:51 -0700 2009, 00:12:00 +0000 UTC, 15:04:05 -07:00
        if (ch === ":") {
          p.stateTime = "wsOffsetColon";
        } else if (ch === " ") {
          p.set(p.offseti, "-0700");
          p.yeari = i + 1;
          p.stateTime = "wsOffsetWs";
        }
        break;

      case "wsOffsetWs":
        // 17:57:51 -0700 2009, 00:12:00 +0000 UTC, 22:18:00 +0000 UTC m=+0.000000001,
        // 00:00:00 +0300 +03
        if (ch === "=") {
          // Go's monotonic clock suffix " m=+0.0001" is cut off.
          if (datestr[i - 1] === "m") {
            p.extra = i - 2;
            p.trimExtra();
          }
        } else if (ch === "+" || ch === "-" || ch === "(") {
          p.extra = i - 1;
          p.stateTime = "wsOffset";
          p.trimExtra();
        } else if (isDigitRune(r)) {
          p.yearlen = i - p.yeari + 1;
          if (p.yearlen === 4) p.setYear();
        } else if (isLetterRune(r)) {
          if (p.tzi === 0) p.tzi = i;
        }
        break;

      case "wsOffsetColon":
        // 2015-02-18 00:12:00 +00:00 UTC
        if (isLetterRune(r)) {
          p.stateTime = "wsOffsetColonAlpha";
          break timeLoop;
        }
        break;

      case "period":
        // 15:04:05.999999999+07:00, 17:24:37.3186369, 00:07:31.945167 +0000 UTC, 06:20:00.000 UTC
        if (ch === " ") {
          p.mslen = i - p.msi;
          p.stateTime = "periodWs";
        } else if (ch === "+" || ch === "-") {
          p.mslen = i - p.msi;
          p.offseti = i;
          p.stateTime = "periodOffset";
        } else if (isLetterRune(r)) {
          p.mslen = i - p.msi;
          p.stateTime = "periodWsAlpha";
        }
        break;

      case "periodOffset":
        if (ch === ":") p.stateTime = "periodOffsetColon";
        break;

      case "periodOffsetColon":
        // 13:31:51.999-07:00 MST
        if (ch === " ") {
          p.set(p.offseti, "-07:00");
          p.stateTime = "periodOffsetColonWs";
          p.tzi = i + 1;
        }
        break;

      case "periodOffsetColonWs":
        break;

      case "periodWs":
        if (p.offseti === 0) p.offseti = i;
        if (ch === "+" || ch === "-") {
          p.mslen = i - p.msi - 1;
          p.stateTime = "periodWsOffset";
        } else if (isLetterRune(r)) {
          p.stateTime = "periodWsOffsetWsAlpha";
          break timeLoop;
        }
        break;

      case "periodWsOffset":
        // 00:07:31.945167 +0000, 00:00:00.000 +0300 +03, 03:02:00.001 +0300 MSK m=+0.000000001,
        // 13:31:51.999 -07:00 MST
        if (ch === ":") {
          p.stateTime = "periodWsOffsetColon";
        } else if (ch === " ") {
          p.set(p.offseti, "-0700");
        } else if (ch === "+" || ch === "-") {
          p.extra = i - 1;
          p.trimExtra();
        } else if (isLetterRune(r)) {
          p.stateTime = "periodWsOffsetWsAlpha";
        }
        break;

      case "periodWsOffsetWsAlpha":
        if (ch === "=" && datestr[i - 1] === "m") {
          p.extra = i - 2;
          p.trimExtra();
        }
        break;

      case "periodWsOffsetColon":
        if (ch === " ") {
          p.set(p.offseti, "-07:00");
        } else if (isLetterRune(r)) {
          p.tzi = i;
          p.stateTime = "periodWsOffsetColonAlpha";
        }
        break;

      case "z":
        // 2006-01-02T15:04:05Z07:00
        if (isDigitRune(r)) p.stateTime = "zDigit";
        break;

      default:
        break;
    }
  }

  switch (p.stateTime) {
    case "wsAlpha":
      switch (p.datestr.length - p.tzi) {
        case 3:
          p.set(p.tzi, "MST");
          break;
        case 4:
          p.set(p.tzi, "MST");
          p.extra = p.datestr.length - 1;
          p.trimExtra();
          break;
      }
      break;
    case "wsAlphaWs":
    case "wsYear":
      p.yearlen = i - p.yeari;
      p.setYear();
      break;
    case "wsAlphaZoneOffsetWsExtra":
      p.trimExtra();
      break;
    case "wsAlphaZoneOffset":
      // 06:20:00 UTC-05
      p.set(p.offseti, i - p.offseti < 4 ? "-07" : "-0700");
      break;
    case "period":
      p.mslen = i - p.msi;
      break;
    case "offset":
      switch (p.datestr.length - p.offseti) {
        case 0:
        case 1:
        case 2:
        case 4:
          // An offset must have 2 or 4 digits.
          return undefined;
        case 3:
          p.set(p.offseti, "-07");
          break;
        case 5:
          p.set(p.offseti, "-0700");
          break;
      }
      break;
    case "wsOffset":
    case "periodOffset":
    case "periodWsOffset":
      p.set(p.offseti, "-0700");
      break;
    case "wsOffsetWs":
      if (p.tzi > 0) {
        switch (p.datestr.length - p.tzi) {
          case 3:
            p.set(p.tzi, "MST");
            break;
          case 4:
            p.set(p.tzi, "MST ");
            break;
        }
      }
      break;
    case "wsOffsetColon":
    case "offsetColon":
    case "periodOffsetColon":
      p.set(p.offseti, "-07:00");
      break;
    case "periodWsOffsetColonAlpha":
      p.tzlen = i - p.tzi;
      if (p.tzlen === 3) p.set(p.tzi, "MST");
      else if (p.tzlen === 4) p.set(p.tzi, "MST ");
      break;
    default:
      break;
  }
  p.coalesceTime(i);
  return [datestr, i];
}

/** A zone abbreviation of 3 or 4 letters becomes MST in the layout (" MST" for 4). */
function setZoneName(p: Parser, i: number): void {
  p.tzlen = i - p.tzi;
  if (p.tzlen === 4) p.set(p.tzi, " MST");
  else if (p.tzlen === 3) p.set(p.tzi, "MST");
}

/** What the final date state means: an epoch number, a fixed layout, or the built layout. */
function finishDate(
  p: Parser,
  datestr: string,
  i: number,
  loc: GoLocation | undefined,
): Parser | undefined {
  switch (p.stateDate) {
    case "digit": {
      // All digits: the count decides the unit.
      //   19 nanoseconds, 16 microseconds, 14 yyyyMMddhhmmss, 13 milliseconds,
      //   10 seconds, 8 yyyymmdd, 4 yyyy
      const n = datestr.length;
      let ns: bigint | undefined;
      if (n === 19) {
        ns = parseInt64(datestr);
      } else if (n === 16) {
        const v = parseInt64(datestr);
        if (v !== undefined) ns = BigInt.asIntN(64, v * 1000n);
      } else if (n === 14) {
        p.layout("20060102150405");
        return p;
      } else if (n === 13) {
        const v = parseInt64(datestr);
        if (v !== undefined) ns = BigInt.asIntN(64, v * 1_000_000n);
      } else if (n === 10) {
        const v = parseInt64(datestr);
        if (v !== undefined) {
          p.t = unixSecondsIn(v, loc);
          return p;
        }
      } else if (n === 8) {
        p.layout("20060102");
        return p;
      } else if (n === 4) {
        p.layout("2006");
        return p;
      } else if (n < 4) {
        return undefined;
      }
      // A zero result means no parse: Go tests t.IsZero(), which no Unix(0, ns) can be.
      if (ns !== undefined) {
        p.t = fromUnixNanos(ns, loc);
        return p;
      }
      return undefined;
    }
    case "digitSt":
    case "yearDash":
    case "yearDashDash":
    case "yearDashDashWs":
    case "yearDashDashT":
    case "digitDotDot":
    case "digitWsMoYear":
    case "alphaWsMonthMore":
    case "alphaWsDigitMoreWsYear":
    case "alphaWsAlpha":
    case "alphaWsDigit":
    case "alphaWsDigitYearmaybe":
    case "digitSlash":
    case "digitSlashAlpha":
    case "digitYearSlash":
    case "weekdayComma":
    case "weekdayAbbrevComma":
      return p;
    case "yearDashDashOffset":
      // 2020-07-20+00:00
      switch (p.datestr.length - p.offseti) {
        case 5:
          p.set(p.offseti, "-0700");
          break;
        case 6:
          p.set(p.offseti, "-07:00");
          break;
      }
      return p;
    case "yearDashAlphaDash":
      // 2013-Feb-03
      p.daylen = i - p.dayi;
      p.setDay();
      return p;
    case "digitDashAlphaDash":
      digitDashAlphaDashYear(p, datestr.length - (p.moi + p.molen + 1));
      return p;
    case "digitDot":
      // 2014.05
      p.molen = i - p.moi;
      p.setMonth();
      return p;
    case "digitWsMolong":
      // 18 January 2018
      p.layout(p.daylen === 2 ? "02 January 2006" : "2 January 2006");
      return p;
    case "alphaWsMonth":
    case "alphaWsDigitMoreWs":
      p.yearlen = i - p.yeari;
      p.setYear();
      return p;
    case "digitChineseYear":
      p.layout("2006年01月02日");
      return p;
    case "digitChineseYearWs":
      p.layout("2006年01月02日 15:04:05");
      return p;
    default:
      return undefined;
  }
}

/** time.Unix(sec, 0), in the location when ParseIn gave one. */
function unixSecondsIn(sec: bigint, loc: GoLocation | undefined): GoTime {
  return unixIn(Number(sec), 0, loc ?? UTC_LOCATION);
}
