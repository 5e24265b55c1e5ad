// expr/builtins/cast.go: tostring, tobool, toint, tonumber, unsign, cast.

import {
  isNil,
  type Kind,
  type OkValue,
  parseGoFloat,
  toBool,
  toFloat,
  toInt,
  type Value,
} from "../values.ts";
import { goString, kindAt, timeValueInt, toTimeZoned } from "./common.ts";
import type { FunctionContext, FunctionDef } from "./registry.ts";

const MIN_INT64 = -(2 ** 63);

// Go's int64(float64) on amd64 gives MinInt64 for NaN, infinities and out-of-range values.
function float64ToInt64(f: number): number {
  if (!Number.isFinite(f) || f >= 2 ** 63 || f < MIN_INT64) return MIN_INT64;
  return Math.trunc(f);
}

// ToInt's own switch, ahead of value.ValueToInt64: a time is its epoch milliseconds, a number
// truncates (even NaN, which Go turns into MinInt64).
function toIntEval(v: OkValue, k: Kind): number | undefined {
  if (v instanceof Date) return timeValueInt(v);
  if (typeof v === "number") return k === "int" ? Math.trunc(v) : float64ToInt64(v);
  return toInt(v);
}

const MONEY_RE = /[$,£€ ]/g;
const GO_INT_RE = /^[+-]?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function parseInt64(s: string): bigint | undefined {
  if (!GO_INT_RE.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

// value.convertStringToInt64 with full int64 precision, which a JavaScript number lacks.
function stringToInt64(s: string, depth: number): bigint | undefined {
  let n: bigint | undefined;
  if (s.startsWith("0x")) {
    // strconv.ParseInt(s, 16, 64) rejects the 0x prefix itself.
    n = undefined;
  } else if (s.includes(".")) {
    const f = parseGoFloat(s);
    if (f !== undefined) return BigInt(float64ToInt64(f));
  } else {
    n = parseInt64(s);
  }
  if (n !== undefined) return n;
  return depth === 0 ? stringToInt64(s.replace(MONEY_RE, ""), 1) : undefined;
}

function int64Of(v: OkValue, k: Kind): bigint | undefined {
  if (typeof v === "string") return v === "" ? undefined : stringToInt64(v, 0);
  if (Array.isArray(v) && typeof v[0] === "string") return int64Of(v[0], "string");
  const i = toIntEval(v, k);
  return i === undefined ? undefined : BigInt(i);
}

// value.ValueFromString for the names value.Cast converts to; "char" is cast's MySQL alias of []byte.
// Other type names exist (number, bool, ...) but value.Cast does not support them.
type CastType = "int" | "string" | "time" | "bytes";

function castType(name: string): CastType | "unsupported" | undefined {
  switch (name) {
    case "int":
      return "int";
    case "string":
      return "string";
    case "time":
      return "time";
    case "[]byte":
      return "bytes";
    case "nil":
    case "null":
    case "error":
    case "unknown":
    case "value":
    case "number":
    case "bool":
    case "[]string":
    case "map[string]value":
    case "map[string]int":
    case "map[string]string":
    case "map[string]number":
    case "map[string]bool":
    case "map[string]time":
    case "[]value":
    case "struct":
    case "json":
      return "unsupported";
    default:
      // The type names are case-sensitive, except that any case of "char" works.
      return name.toLowerCase() === "char" ? "bytes" : undefined;
  }
}

function castEval(
  args: readonly OkValue[],
  kinds: readonly (Kind | undefined)[],
  ctx: FunctionContext,
): Value {
  const v = args[0]!;
  if (isNil(v)) return undefined;
  const last = args.length - 1;
  const t = castType(goString(args[last], kindAt(args, kinds, last)));
  switch (t) {
    // segwatch has no []byte kind: a "char" cast's bytes travel as their string.
    case "bytes":
    case "string":
      return goString(v, kindAt(args, kinds, 0));
    case "int":
      return toInt(v);
    case "time":
      // value.Cast as intended: a time when ValueToTime succeeds (its date math anchored at now).
      // One qlbridge revision inverted this test; its own tests expect the intended behaviour.
      return toTimeZoned(v, ctx.now);
    default:
      return undefined;
  }
}

export const CAST_FUNCTIONS: readonly FunctionDef[] = [
  {
    name: "tostring",
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const v = args[0]!;
      if (isNil(v)) return "";
      return goString(v, kindAt(args, kinds, 0));
    },
  },
  {
    name: "tobool",
    minArgs: 1,
    maxArgs: 1,
    returns: "bool",
    eval(args) {
      return toBool(args[0]);
    },
  },
  {
    name: "toint",
    minArgs: 1,
    maxArgs: 1,
    returns: "int",
    eval(args, kinds) {
      return toIntEval(args[0]!, kindAt(args, kinds, 0));
    },
  },
  {
    name: "tonumber",
    minArgs: 1,
    maxArgs: 1,
    returns: "number",
    eval(args) {
      const f = toFloat(args[0]);
      // ValueToFloat64 fails with NaN; a string spelling NaN (ok in Go) is treated the same.
      return Number.isNaN(f) ? undefined : f;
    },
  },
  {
    name: "unsign",
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const v = args[0]!;
      // Strings convert with full precision; numbers beyond 2^53 were already rounded by JavaScript.
      const i = int64Of(v, kindAt(args, kinds, 0));
      return i === undefined ? undefined : BigInt.asUintN(64, i).toString();
    },
  },
  {
    name: "cast",
    minArgs: 2,
    maxArgs: 3,
    eval: castEval,
  },
];
