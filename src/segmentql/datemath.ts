// Date math ("now-3d") as qlbridge evaluates it: github.com/lytics/datemath EvalAnchor at the
// version qlbridge pins (v0.0.0-20180727225141-3ada1c10b5de), the "is this date math" test of
// value/coerce.go StringToTimeAnchor, and the pattern vm/datemath.go uses for boundaries.
//
// EvalAnchor's grammar, exactly: the text is at least 3 bytes; one leading lower-case "now"
// is dropped; the last byte is the unit (y M w d h m s); everything before it must satisfy
// strconv.Atoi (an optional sign, decimal digits, within int64). So "now-3d", "now+3d",
// "now3d" (no sign), "now-03d" and even "+3d" (no "now") are valid; "now" alone, "NOW-3d",
// "now-1.5d", "now-1d/d", "now-3days" and "now - 3d" are not.

import { civilFromDays, floorDiv, wallSeconds } from "./gotime.ts";

export type DateMathUnit = "y" | "M" | "w" | "d" | "h" | "m" | "s";

export interface DateMathTerm {
  readonly sign: 1 | -1;
  readonly amount: number;
  readonly unit: DateMathUnit;
}

const UNITS: ReadonlySet<string> = new Set(["y", "M", "w", "d", "h", "m", "s"]);

const NANOS_PER_UNIT: Readonly<Record<string, bigint>> = {
  h: 3_600_000_000_000n,
  m: 60_000_000_000n,
  s: 1_000_000_000n,
};

const INT64_MAX = 9223372036854775807n;

/**
 * Whether a string compared with a time is date math rather than a date (StringToTimeAnchor):
 * longer than 3 and starting with "now" in any case. "NOW-1d" is date math, and invalid.
 */
export function isDateMath(s: string): boolean {
  return s.length > 3 && s.slice(0, 3).toLowerCase() === "now";
}

/**
 * The date math in s as EvalAnchor reads it; undefined when EvalAnchor fails. A bare "now"
 * is undefined too: EvalAnchor slices past the end of the emptied text there (a Go panic).
 * null is reserved for a bare "now" and never returned by this version of datemath.
 */
export function parseDateMath(s: string): DateMathTerm | null | undefined {
  // Go measures bytes, not characters, but any non-ASCII character ends up in the number
  // or as the unit and fails there, so the lengths only differ for invalid text.
  if (s.length < 3) return undefined;
  const expr = s.startsWith("now") ? s.slice(3) : s;
  if (expr.length === 0) return undefined;
  const unit = expr[expr.length - 1]!;
  const num = expr.slice(0, -1);
  if (!UNITS.has(unit) || !/^[+-]?[0-9]+$/.test(num)) return undefined;
  const value = BigInt(num);
  if (value > INT64_MAX || value < -INT64_MAX - 1n) return undefined;
  return {
    sign: num[0] === "-" ? -1 : 1,
    amount: Number(value < 0n ? -value : value),
    unit: unit as DateMathUnit,
  };
}

/**
 * datemath.EvalAnchor(anchor, s) in epoch milliseconds, undefined when invalid. qlbridge's
 * todate("now-3d") evaluates the text after "now" (datemath.Eval(s[3:])), which is this
 * function applied to s.slice(3).
 */
export function evalDateMath(s: string, anchorMs: number): number | undefined {
  const term = parseDateMath(s);
  return term ? addDateMath(term, anchorMs) : undefined;
}

/**
 * Apply a term to an instant (UTC). y, M, w and d move the calendar date like Go's AddDate,
 * which normalises overflow (Jan 31 + 1M is Mar 3, Feb 29 + 1y is Mar 1); h, m and s add a
 * time.Duration, which wraps at int64 nanoseconds like Go's multiplication does.
 */
export function addDateMath(term: DateMathTerm, anchorMs: number): number {
  const n = term.sign * term.amount;
  const perUnit = NANOS_PER_UNIT[term.unit];
  if (perUnit !== undefined) {
    const nanos = BigInt.asIntN(64, BigInt(n) * perUnit);
    const ms = nanos / 1_000_000n - (nanos % 1_000_000n < 0n ? 1n : 0n);
    return anchorMs + Number(ms);
  }
  switch (term.unit) {
    case "y":
      return addDate(anchorMs, n, 0, 0);
    case "M":
      return addDate(anchorMs, 0, n, 0);
    case "w":
      return addDate(anchorMs, 0, 0, n * 7);
    default:
      return addDate(anchorMs, 0, 0, n);
  }
}

/** Go's Time.AddDate for a UTC time. */
function addDate(ms: number, years: number, months: number, days: number): number {
  const sec = floorDiv(ms, 1000);
  const msOfSecond = ms - sec * 1000;
  const day = floorDiv(sec, 86400);
  const clock = sec - day * 86400;
  const [y, m, d] = civilFromDays(day);
  return wallSeconds(y + years, m + months, d + days, 0, 0, clock) * 1000 + msOfSecond;
}

/**
 * Whether vm/datemath.go's boundary analysis treats a string operand as date math: the
 * lower-cased text matches ^now([+-]+.*)*$ ("now", or "now" then a sign, no newline).
 * The analysis then evaluates the lower-cased text, so "now-1M" counts minutes there.
 */
export function looksLikeDateMath(s: string): boolean {
  if (s.length < 3 || s.slice(0, 3).toLowerCase() !== "now") return false;
  if (s.length === 3) return true;
  return (s[3] === "+" || s[3] === "-") && !s.includes("\n");
}
