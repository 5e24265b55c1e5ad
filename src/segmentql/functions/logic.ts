// expr/builtins/logic.go: not, eq, ne, gt, ge, lt, le, exists, any, all.

import {
  isNil,
  type Kind,
  kindOf,
  type OkValue,
  toBool,
  toFloat,
  toTime,
  valueEqual,
} from "../values.ts";
import { kindAt, timeValueInt } from "./common.ts";
import { type FunctionContext, type FunctionDef, VARIADIC } from "./registry.ts";

// value.Equal. Its time branch converts the right side with time.Now() as the date-math anchor;
// the evaluation's now stands in for it so that a result is reproducible.
function equal(
  args: readonly OkValue[],
  kinds: readonly (Kind | undefined)[],
  ctx: FunctionContext,
): boolean | undefined {
  const l = args[0]!;
  const r = args[1]!;
  if (r !== null && l instanceof Date) {
    const t = toTime(r, ctx.now);
    // A failed conversion compares against Go's zero time.
    return t === undefined ? isNil(l) : l.getTime() === t.getTime();
  }
  return valueEqual(l, r, kindAt(args, kinds, 0));
}

function compare(name: string, op: (a: number, b: number) => boolean): FunctionDef {
  return {
    name,
    minArgs: 2,
    maxArgs: 2,
    returns: "bool",
    eval(args) {
      const a = toFloat(args[0]);
      const b = toFloat(args[1]);
      if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
      return op(a, b);
    },
  };
}

// The kinds Exists answers true for; the map kinds other than map[string]int are not in its switch.
const EXISTING_KINDS: ReadonlySet<Kind> = new Set<Kind>([
  "string",
  "bool",
  "number",
  "int",
  "time",
  "[]string",
  "[]value",
  "[]time",
  "map[string]int",
]);

export const LOGIC_FUNCTIONS: readonly FunctionDef[] = [
  {
    name: "not",
    minArgs: 1,
    maxArgs: 1,
    returns: "bool",
    eval(args) {
      const b = toBool(args[0]);
      return b === undefined ? undefined : !b;
    },
  },
  {
    name: "eq",
    minArgs: 2,
    maxArgs: 2,
    returns: "bool",
    eval(args, kinds, ctx) {
      return equal(args, kinds, ctx);
    },
  },
  {
    name: "ne",
    minArgs: 2,
    maxArgs: 2,
    returns: "bool",
    eval(args, kinds, ctx) {
      const eq = equal(args, kinds, ctx);
      return eq === undefined ? undefined : !eq;
    },
  },
  compare("gt", (a, b) => a > b),
  compare("ge", (a, b) => a >= b),
  compare("lt", (a, b) => a < b),
  compare("le", (a, b) => a <= b),
  {
    name: "exists",
    minArgs: 1,
    maxArgs: 1,
    returns: "bool",
    eval(args, kinds) {
      const v = args[0]!;
      if (v === null) return false;
      return EXISTING_KINDS.has(kindOf(v, kinds[0]));
    },
  },
  {
    name: "any",
    minArgs: 1,
    maxArgs: VARIADIC,
    returns: "bool",
    eval(args) {
      for (const v of args) if (!isNil(v)) return true;
      return false;
    },
  },
  {
    name: "all",
    minArgs: 1,
    maxArgs: VARIADIC,
    returns: "bool",
    eval(args) {
      for (const v of args) {
        if (isNil(v)) return false;
        if (v === false) return false;
        // qlbridge's bug, kept: any numeric value (ints, numbers, times) other than 0 fails all().
        if (typeof v === "number" && Math.trunc(v) !== 0) return false;
        if (v instanceof Date && timeValueInt(v) !== 0) return false;
      }
      return true;
    },
  },
];
