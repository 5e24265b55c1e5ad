// Helpers shared by the builtin families: qlbridge's value.Value methods (Nil, Err, ToString,
// the Slice and Map interfaces) over segwatch's plain-JavaScript values, and Go's string
// functions where JavaScript's differ.

import { isDateMath } from "../datemath.ts";
import { parseDateZoned } from "../dateparse.ts";
import { type GoTime, goTimeString, UTC_ZONE } from "../gotime.ts";
import {
  isMapValue,
  isNil,
  isSliceMapKind,
  isStringArray,
  type Kind,
  kindOf,
  type OkValue,
  sliceElements,
  toGoString,
  toStr,
  toTime,
  type Value,
  type ValueMap,
} from "../values.ts";

/** The kind of argument i, trusting the compiler's static kind when it fits the value. */
export function kindAt(
  args: readonly OkValue[],
  kinds: readonly (Kind | undefined)[],
  i: number,
): Kind {
  return kindOf(args[i] as OkValue, kinds[i]);
}

/** Value.Nil() || Value.Err(): the guard most builtins open with. NaN numbers are both. */
export function nilOrErr(v: OkValue): boolean {
  return isNil(v);
}

/** value.Slice: lists, and the scalar-valued typed maps (whose slice is their keys). */
export function isSliceKind(k: Kind): boolean {
  return k === "[]string" || k === "[]value" || k === "[]time" || isSliceMapKind(k);
}

export function isMapKind(k: Kind): boolean {
  return k.startsWith("map[");
}

/** Slice.SliceValue(): list elements, or a scalar-valued typed map's keys. */
export function sliceOf(v: OkValue, k: Kind): readonly Value[] | undefined {
  if (!isSliceKind(k)) return undefined;
  return sliceElements(v, k);
}

/** Value.ToString() (not ValueToString): nil is "", a time its epoch milliseconds, a list joined by ",". */
export function goString(v: Value, k?: Kind): string {
  if (v === undefined || v === null) return "";
  return toGoString(v, k);
}

/** value.ValueToString, with a time printed in the zone Go would attach to it. */
export function valueToString(v: Value, k?: Kind): string | undefined {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return undefined;
    return goTimeString(goTimeOf(v));
  }
  return toStr(v, k);
}

/** The map entries of a map value (value.Map.MapValue()). */
export function mapEntries(v: OkValue): [string, Value][] {
  return isMapValue(v) ? Object.entries(v as ValueMap) : [];
}

// ------------------------------------------------------------------------------------------
// Times with Go's zone and nanoseconds. A Date carries only UTC milliseconds; a time a builtin
// derives from text keeps the rest (e.g. todate("... -0700").hourofday reads -07:00 hours, and
// unixtrunc(..., "secondsmicro") prints microseconds) for the builtins that read it back.

const GO_TIME = Symbol("segwatch.goTime");

/** A Date for a Go time; undefined when JavaScript cannot represent the instant. */
export function dateFromGoTime(t: GoTime): Date | undefined {
  const d = new Date(t.ms);
  if (Number.isNaN(d.getTime())) return undefined;
  if (t.nanos !== 0 || t.zone.offsetSeconds !== 0 || t.zone.name !== "UTC") {
    Object.defineProperty(d, GO_TIME, { value: t, enumerable: false });
  }
  return d;
}

/** The Go time behind a Date: its own zone and nanoseconds when a builtin made it, else UTC. */
export function goTimeOf(d: Date): GoTime {
  const t = (d as unknown as Record<symbol, GoTime | undefined>)[GO_TIME];
  const ms = d.getTime();
  if (t !== undefined && t.ms === ms) return t;
  return { ms, nanos: 0, zone: UTC_ZONE };
}

/**
 * value.ValueToTimeAnchor (values.ts toTime) keeping what dateparse reads from text: the zone
 * and the nanoseconds a millisecond Date would drop.
 */
export function toTimeZoned(v: Value, nowMs: number): Date | undefined {
  const s = typeof v === "string" ? v : Array.isArray(v) && isStringArray(v) ? v[0]! : undefined;
  if (s === undefined || isDateMath(s)) return toTime(v, nowMs);
  const t = parseDateZoned(s);
  return t === undefined ? undefined : dateFromGoTime(t);
}

/** Go's Time.UnixNano() / 1e6 (TimeValue.Int()): wraps outside years 1678..2262 like int64 does. */
export function timeValueInt(d: Date): number {
  const t = goTimeOf(d);
  const ns = BigInt.asIntN(64, BigInt(t.ms) * 1_000_000n + BigInt(t.nanos));
  return Number(ns / 1_000_000n);
}

// ------------------------------------------------------------------------------------------
// Go strings: byte lengths and indices, and Unicode case mapping rune by rune.

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function byteLength(s: string): number {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  return ascii ? s.length : utf8.encode(s).length;
}

/** strings.Index in bytes; -1 when absent. */
export function byteIndex(s: string, sub: string): number {
  const i = s.indexOf(sub);
  if (i < 0) return -1;
  return byteLength(s.slice(0, i));
}

/** s[from:to] on the UTF-8 bytes of s. */
export function byteSlice(s: string, from: number, to?: number): string {
  const b = utf8.encode(s);
  return utf8Decoder.decode(b.subarray(from, to ?? b.length));
}

// Go maps each rune through its simple case mapping; JavaScript's full mappings may expand a
// character ("ß" upper-cases to "SS"), which Go leaves alone.
function mapRunes(s: string, f: (c: string) => string): string {
  let out = "";
  for (const c of s) {
    const m = f(c);
    out += m.length === c.length || [...m].length === 1 ? m : c;
  }
  return out;
}

export function goToLower(s: string): string {
  // U+0130's simple lowercase is "i" in Go; JavaScript keeps the combining dot.
  return mapRunes(s, (c) => (c === "\u0130" ? "i" : c.toLowerCase()));
}

export function goToUpper(s: string): string {
  return mapRunes(s, (c) => c.toUpperCase());
}

// The digraphs whose title case differs from their upper case (unicode.ToTitle).
const TITLE_DIGRAPHS: Readonly<Record<string, string>> = {
  "\u01C4": "\u01C5",
  "\u01C5": "\u01C5",
  "\u01C6": "\u01C5",
  "\u01C7": "\u01C8",
  "\u01C8": "\u01C8",
  "\u01C9": "\u01C8",
  "\u01CA": "\u01CB",
  "\u01CB": "\u01CB",
  "\u01CC": "\u01CB",
  "\u01F1": "\u01F2",
  "\u01F2": "\u01F2",
  "\u01F3": "\u01F2",
};

function goToTitleRune(c: string): string {
  const d = TITLE_DIGRAPHS[c];
  if (d !== undefined) return d;
  const u = c.toUpperCase();
  return [...u].length === 1 ? u : c;
}

const LETTER_OR_DIGIT = /[\p{L}\p{Nd}]/u;
const SPACE = /\p{White_Space}/u;

// strings.Title's word boundary test.
function isSeparator(c: string): boolean {
  const r = c.codePointAt(0)!;
  if (r <= 0x7f) {
    return !(
      (r >= 0x30 && r <= 0x39) ||
      (r >= 0x61 && r <= 0x7a) ||
      (r >= 0x41 && r <= 0x5a) ||
      r === 0x5f
    );
  }
  if (LETTER_OR_DIGIT.test(c)) return false;
  return SPACE.test(c);
}

/** strings.Title: the first letter of each word in title case, the rest untouched. */
export function goTitle(s: string): string {
  let prev = " ";
  let out = "";
  for (const c of s) {
    out += isSeparator(prev) ? goToTitleRune(c) : c;
    prev = c;
  }
  return out;
}

/** strings.Trim(s, cutset) for an ASCII cutset. */
export function trimChars(s: string, cutset: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && cutset.includes(s[a]!)) a++;
  while (b > a && cutset.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}
