// The runtime value model of SegmentQL: qlbridge's value package, in JavaScript terms.
//
//   undefined  not ok — an absent field, a failed function, an unsupported operation
//   null       nil — a present JSON null, the NULL literal
//   string     string
//   number     int or number (which one is a static fact of the expression, see Kind)
//   boolean    bool
//   Date       time
//   Array      []string (non-empty, every element a string), otherwise []value; []time is a []value of Dates
//   object     a map; map[string]value unless a schema declares another map type
//
// Values are plain JavaScript so that profiles evaluate without conversion; the few places where
// qlbridge's type changes a result and JavaScript cannot tell (int vs number, the value type of a map)
// take a Kind supplied by the compiler from the schema or the expression.

import { evalDateMath, isDateMath } from "./datemath.ts";
import { parseDate } from "./dateparse.ts";

export type MapKind =
  | "map[string]value"
  | "map[string]string"
  | "map[string]int"
  | "map[string]number"
  | "map[string]bool"
  | "map[string]time";

/** The field types a schema may declare (qlbridge's value types). */
export type FieldType =
  | "string"
  | "int"
  | "number"
  | "bool"
  | "time"
  | "[]string"
  | "[]time"
  | "[]value"
  | MapKind;

/** A runtime kind: a field type, or nil. */
export type Kind = FieldType | "nil";

export type ValueMap = { [key: string]: Value };
export type Value = undefined | null | string | number | boolean | Date | Value[] | ValueMap;
/** A value that evaluated ok. */
export type OkValue = Exclude<Value, undefined>;

export const FIELD_TYPES: readonly FieldType[] = [
  "string",
  "int",
  "number",
  "bool",
  "time",
  "[]string",
  "[]time",
  "[]value",
  "map[string]value",
  "map[string]string",
  "map[string]int",
  "map[string]number",
  "map[string]bool",
  "map[string]time",
];

const FIELD_TYPE_SET: ReadonlySet<string> = new Set(FIELD_TYPES);

/** Aliases users write in schemas for the canonical type names. */
export const FIELD_TYPE_ALIASES: Readonly<Record<string, FieldType>> = {
  date: "time",
  float: "number",
  float64: "number",
  int64: "int",
  integer: "int",
  boolean: "bool",
  "[]date": "[]time",
  "map[string]float": "map[string]number",
  "map[string]date": "map[string]time",
};

export function parseFieldType(text: string): FieldType | undefined {
  const t = text.trim().toLowerCase();
  if (FIELD_TYPE_SET.has(t)) return t as FieldType;
  return FIELD_TYPE_ALIASES[t];
}

/** Go's zero time (0001-01-01T00:00:00Z), which qlbridge treats as a nil time. */
export const ZERO_TIME_MS = -62135596800000;

export function isMapValue(v: unknown): v is ValueMap {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The kind of an ok value as JSON would type it: qlbridge's NewValue for decoded JSON. */
export function inferKind(v: OkValue): Kind {
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
      return Number.isInteger(v) ? "int" : "number";
    case "boolean":
      return "bool";
    default:
      if (v === null) return "nil";
      if (v instanceof Date) return "time";
      if (Array.isArray(v)) return isStringArray(v) ? "[]string" : "[]value";
      return "map[string]value";
  }
}

/** The kind of v given an optional static hint; the hint wins only when it fits the value. */
export function kindOf(v: OkValue, hint: Kind | undefined): Kind {
  if (hint !== undefined) {
    switch (hint) {
      case "int":
      case "number":
        if (typeof v === "number") return hint;
        break;
      case "[]time":
      case "[]value":
        if (Array.isArray(v)) return "[]value";
        break;
      case "[]string":
        if (Array.isArray(v)) return isStringArray(v) ? "[]string" : "[]value";
        break;
      default:
        if (hint.startsWith("map[") && isMapValue(v)) return hint;
    }
  }
  return inferKind(v);
}

export function isStringArray(v: readonly Value[]): v is string[] {
  if (v.length === 0) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== "string") return false;
  return true;
}

/** A map kind's element kind, for `m.key` lookups. */
export function mapElementKind(k: Kind | undefined): Kind | undefined {
  switch (k) {
    case "map[string]string":
      return "string";
    case "map[string]int":
      return "int";
    case "map[string]number":
      return "number";
    case "map[string]bool":
      return "bool";
    case "map[string]time":
      return "time";
    default:
      return undefined;
  }
}

/** Maps whose keys qlbridge also exposes as a slice (value.Slice): the scalar-valued typed maps. */
export function isSliceMapKind(k: Kind): boolean {
  return (
    k === "map[string]string" ||
    k === "map[string]int" ||
    k === "map[string]number" ||
    k === "map[string]bool"
  );
}

/** qlbridge's Value.Nil(): "" , an empty list or map, NaN, the zero time, and nil itself. */
export function isNil(v: OkValue): boolean {
  switch (typeof v) {
    case "string":
      return v.length === 0;
    case "number":
      return Number.isNaN(v);
    case "boolean":
      return false;
    default:
      if (v === null) return true;
      if (v instanceof Date) return v.getTime() === ZERO_TIME_MS;
      if (Array.isArray(v)) return v.length === 0;
      for (const _ in v) return false;
      return true;
  }
}

/** Go's `%v` for a float64 (strconv 'g' with the shortest repr, exponent below 1e-4 and from 1e21). */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Number.POSITIVE_INFINITY) return "+Inf";
  if (f === Number.NEGATIVE_INFINITY) return "-Inf";
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const abs = Math.abs(f);
  if (abs < 1e-4 || abs >= 1e21) {
    // JavaScript: "1e-7", "1.5e+21"; Go: "1e-07", "1.5e+21" (at least two exponent digits).
    const s = f.toExponential();
    return s.replace(/e([+-])(\d)$/, "e$10$2");
  }
  return String(f);
}

/** qlbridge's Value.ToString() for each kind. */
export function toGoString(v: OkValue, kind?: Kind): string {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
      if ((kind ?? inferKind(v)) === "int") return String(Math.trunc(v));
      return formatFloat(v);
    case "boolean":
      return v ? "true" : "false";
    default:
      if (v === null) return "";
      if (v instanceof Date) return String(v.getTime());
      if (Array.isArray(v)) return v.map((e) => (e === undefined ? "" : toGoString(e))).join(",");
      return goMapString(v);
  }
}

// fmt's %v of a Go map: keys sorted, "map[k:v k2:v2]".
function goMapString(m: ValueMap): string {
  const keys = Object.keys(m).sort();
  return `map[${keys.map((k) => `${k}:${m[k] === undefined ? "" : toGoString(m[k] as OkValue)}`).join(" ")}]`;
}

/** value.ValueToString: scalars, and a list's first element; not ok for maps, nil and empty lists. */
export function toStr(v: Value, kind?: Kind): string | undefined {
  if (v === undefined || v === null) return undefined;
  switch (typeof v) {
    case "string":
      return v;
    case "number":
      return Number.isNaN(v) ? undefined : toGoString(v, kind);
    case "boolean":
      return v ? "true" : "false";
    default:
      if (v instanceof Date) return goTimeString(v);
      if (Array.isArray(v)) {
        const first = v[0];
        if (first === undefined) return undefined;
        // A nil element is a NilValue, whose ToString is "".
        if (first === null) return "";
        return toGoString(first);
      }
      return undefined;
  }
}

/** value.ValueToStrings: a scalar as a one-element list; a list element-wise. */
export function toStrings(v: Value, kind?: Kind): string[] | undefined {
  if (Array.isArray(v)) {
    if (v.length === 0) return undefined;
    return v.map((e) => (e === undefined || e === null ? "" : toGoString(e)));
  }
  const s = toStr(v, kind);
  return s === undefined ? undefined : [s];
}

/** fmt's %v of a time.Time in UTC: "2015-04-01 00:00:00 +0000 UTC" (fractional seconds trimmed). */
export function goTimeString(d: Date): string {
  const iso = d.toISOString(); // 2015-04-01T00:00:00.123Z
  let frac = iso.slice(20, 23).replace(/0+$/, "");
  if (frac) frac = `.${frac}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac} +0000 UTC`;
}

/** strconv.ParseBool's accepted spellings. */
const GO_BOOLS: Readonly<Record<string, boolean>> = {
  "1": true,
  t: true,
  T: true,
  TRUE: true,
  true: true,
  True: true,
  "0": false,
  f: false,
  F: false,
  FALSE: false,
  false: false,
  False: false,
};

export function parseGoBool(s: string): boolean | undefined {
  return GO_BOOLS[s];
}

/** value.ValueToBool: bools, 0/1 numbers, bool strings. */
export function toBool(v: Value): boolean | undefined {
  switch (typeof v) {
    case "boolean":
      return v;
    case "number": {
      if (Number.isNaN(v)) return undefined;
      const i = Math.trunc(v);
      return i === 0 ? false : i === 1 ? true : undefined;
    }
    case "string":
      return v.length === 0 ? undefined : parseGoBool(v);
    default:
      if (v instanceof Date) {
        const i = v.getTime();
        return i === 0 ? false : i === 1 ? true : undefined;
      }
      return undefined;
  }
}

const GO_INT_RE = /^[+-]?\d+$/;
// strconv.ParseFloat: decimal (with optional exponent), hex floats, inf/infinity/nan, underscores not allowed without base prefix.
const GO_FLOAT_RE = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$/;
const GO_FLOAT_SPECIAL_RE = /^[+-]?(inf|infinity|nan)$/i;

/** strconv.ParseInt(s, 10, 64): undefined when s is not a base-10 integer. */
export function parseGoInt(s: string): number | undefined {
  if (!GO_INT_RE.test(s)) return undefined;
  return Number(s);
}

/** strconv.ParseFloat(s, 64): undefined when s is not a float. */
export function parseGoFloat(s: string): number | undefined {
  if (GO_FLOAT_RE.test(s)) return Number(s);
  if (GO_FLOAT_SPECIAL_RE.test(s)) {
    const neg = s.startsWith("-");
    if (/nan/i.test(s)) return Number.NaN;
    return neg ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[+-]?0[xX]/.test(s)) {
    const n = parseHexFloat(s);
    if (n !== undefined) return n;
  }
  return undefined;
}

function parseHexFloat(s: string): number | undefined {
  const m = /^([+-]?)0[xX]([0-9a-fA-F]+)$/.exec(s);
  if (!m) return undefined;
  const n = Number.parseInt(m[2]!, 16);
  return m[1] === "-" ? -n : n;
}

// Messy numeric strings ("$3.12", "1,000") are retried with these characters removed.
const MONEY_RE = /[$,£€ ]/g;

/** value.StringToFloat64: NaN when the string is not numeric, even after removing $ , £ € and spaces. */
export function stringToFloat(s: string): number {
  if (s === "") return Number.NaN;
  const f = parseGoFloat(s);
  if (f !== undefined) return f;
  const g = parseGoFloat(s.replace(MONEY_RE, ""));
  return g ?? Number.NaN;
}

/** value.ValueToFloat64: NaN when not convertible. */
export function toFloat(v: Value): number {
  switch (typeof v) {
    case "number":
      return v;
    case "string":
      return stringToFloat(v);
    case "boolean":
      return v ? 1 : 0;
    default:
      if (v instanceof Date) return v.getTime() === ZERO_TIME_MS ? Number.NaN : v.getTime();
      return Number.NaN;
  }
}

function stringToInt(s: string, depth: number): number | undefined {
  let n: number | undefined;
  if (s.startsWith("0x")) {
    // strconv.ParseInt(s, 16, 64) rejects the "0x" prefix itself, so this branch never parses.
    n = undefined;
  } else if (s.includes(".")) {
    const f = parseGoFloat(s);
    // Truncates toward zero, as Go's int64(float64) does.
    if (f !== undefined && Number.isFinite(f)) return Math.trunc(f);
  } else {
    n = parseGoInt(s);
  }
  if (n !== undefined) return n;
  if (depth === 0) return stringToInt(s.replace(MONEY_RE, ""), 1);
  return undefined;
}

/** value.ValueToInt64: truncating; a list's first element; a time is epoch milliseconds. */
export function toInt(v: Value): number | undefined {
  switch (typeof v) {
    case "number":
      return Number.isFinite(v) ? Math.trunc(v) : undefined;
    case "string":
      return v === "" ? undefined : stringToInt(v, 0);
    case "boolean":
      return undefined;
    default:
      if (v === null || v === undefined) return undefined;
      if (v instanceof Date) return v.getTime() === ZERO_TIME_MS ? undefined : v.getTime();
      if (Array.isArray(v)) return v.length > 0 ? toInt(v[0]) : undefined;
      return undefined;
  }
}

/** Epochs that dateparse reads from numbers are accepted only for these years (value.ValueToTimeAnchor). */
const MIN_EPOCH_YEAR = 1800;
const MAX_EPOCH_YEAR = 2120;

/**
 * value.ValueToTimeAnchor: a time; a string as date math ("now-3d", relative to nowMs) or a date;
 * a number as an epoch read by dateparse (seconds, milliseconds, ...) within years 1800..2120;
 * a []string by its first element. Undefined when not convertible.
 */
export function toTime(v: Value, nowMs: number): Date | undefined {
  switch (typeof v) {
    case "string":
      return stringToTime(v, nowMs);
    case "number": {
      if (!Number.isFinite(v)) return undefined;
      const ms = parseDate(toGoString(v));
      if (ms === undefined) return undefined;
      const year = new Date(ms).getUTCFullYear();
      if (year < MIN_EPOCH_YEAR || year > MAX_EPOCH_YEAR) return undefined;
      return new Date(ms);
    }
    default:
      if (v instanceof Date) return v;
      if (Array.isArray(v) && isStringArray(v)) return stringToTime(v[0]!, nowMs);
      return undefined;
  }
}

/** value.StringToTimeAnchor. */
export function stringToTime(s: string, nowMs: number): Date | undefined {
  if (isDateMath(s)) {
    const ms = evalDateMath(s, nowMs);
    return ms === undefined ? undefined : new Date(ms);
  }
  const ms = parseDate(s);
  return ms === undefined ? undefined : new Date(ms);
}

/** Whole seconds since the epoch, as Go's time.Unix() (floor, also before 1970). */
export function unixSeconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

/** value.Equal: the right side coerced to the left side's type; undefined where Go returns an error. */
export function valueEqual(l: Value, r: Value, lk?: Kind): boolean | undefined {
  if (l === undefined && r === undefined) return true;
  if (r === undefined) return l === null;
  if (r === null) return l === undefined || l === null;
  if (l === undefined || l === null) return false;
  const kind = kindOf(l, lk);
  switch (kind) {
    case "string":
      return l === toGoString(r);
    case "int":
      return Math.trunc(l as number) === (toInt(r) ?? 0);
    case "number":
      return l === toFloat(r);
    case "bool":
      return l === (toBool(r) ?? false);
    case "time": {
      // Equal compares time.Time values exactly (to the nanosecond), not at second precision.
      const t = toTime(r, Date.now());
      return t !== undefined
        ? (l as Date).getTime() === t.getTime()
        : (l as Date).getTime() === ZERO_TIME_MS;
    }
    case "[]string":
    case "[]value": {
      // A list equals only a list; against anything else Equal returns an error.
      if (!Array.isArray(r)) return undefined;
      const la = l as Value[];
      if (la.length !== r.length) return false;
      for (let i = 0; i < la.length; i++) if (valueEqual(la[i], r[i]) !== true) return false;
      return true;
    }
    default:
      if (isSliceMapKind(kind) && Array.isArray(r)) {
        const keys = Object.keys(l as ValueMap);
        if (keys.length !== r.length) return false;
        for (let i = 0; i < keys.length; i++) if (valueEqual(keys[i], r[i]) !== true) return false;
        return true;
      }
      return undefined;
  }
}

/** The elements qlbridge iterates for a value.Slice: list elements, or a scalar-valued map's keys. */
export function sliceElements(v: OkValue, kind: Kind): Value[] | undefined {
  if (Array.isArray(v)) return v;
  if (isSliceMapKind(kind)) return Object.keys(v as ValueMap);
  return undefined;
}
