// expr/builtins/math.go (sqrt, pow) and aggregations.go (count, sum, avg). The aggregations
// keep no state across calls: each call folds its own arguments, as in qlbridge.

import { isNil, type Kind, type OkValue, stringToFloat, toFloat } from "../values.ts";
import { kindAt, timeValueInt } from "./common.ts";
import { type FunctionDef, VARIADIC } from "./registry.ts";

// NumericValue.Float(): ints and numbers as they are, a time as its epoch milliseconds.
function numericFloat(v: OkValue, k: Kind): number | undefined {
  if (k === "int" || k === "number") return v as number;
  if (k === "time") return timeValueInt(v as Date);
  return undefined;
}

// math.Pow where it differs from JavaScript's **: Go answers 1 for 1^y and (-1)^±Inf.
function goPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && !Number.isFinite(y)) return 1;
  return x ** y;
}

// value.StringToFloat64 as an (ok, value) pair: NaN stands for its failure.
function stringFloat(s: string): number | undefined {
  const f = stringToFloat(s);
  return Number.isNaN(f) ? undefined : f;
}

export const MATH_FUNCTIONS: readonly FunctionDef[] = [
  {
    name: "sqrt",
    minArgs: 1,
    maxArgs: 1,
    returns: "number",
    eval(args, kinds) {
      const v = args[0]!;
      if (isNil(v)) return undefined;
      // Only NumericValue: a numeric string is not accepted.
      const f = numericFloat(v, kindAt(args, kinds, 0));
      return f === undefined ? undefined : Math.sqrt(f);
    },
  },
  {
    name: "pow",
    minArgs: 2,
    maxArgs: 2,
    returns: "number",
    eval(args) {
      if (isNil(args[0]!) || isNil(args[1]!)) return undefined;
      const x = toFloat(args[0]);
      const y = toFloat(args[1]);
      if (Number.isNaN(x) || Number.isNaN(y)) return undefined;
      return goPow(x, y);
    },
  },
  {
    name: "count",
    minArgs: 1,
    maxArgs: 1,
    returns: "int",
    eval(args) {
      return isNil(args[0]!) ? undefined : 1;
    },
  },
  {
    name: "sum",
    minArgs: 1,
    maxArgs: VARIADIC,
    returns: "number",
    eval(args, kinds) {
      let sum = 0;
      for (let i = 0; i < args.length; i++) {
        const v = args[i]!;
        if (isNil(v)) continue;
        const k = kindAt(args, kinds, i);
        switch (k) {
          case "string": {
            // An unparseable string is skipped.
            const f = stringFloat(v as string);
            if (f !== undefined) sum += f;
            break;
          }
          case "[]string":
            for (const s of v as string[]) {
              const f = stringFloat(s);
              if (f !== undefined) sum += f;
            }
            break;
          case "[]value":
          case "[]time":
            for (const e of v as OkValue[]) {
              const f = toFloat(e);
              if (Number.isNaN(f)) return undefined;
              sum += f;
            }
            break;
          default: {
            const f = numericFloat(v, k);
            // Bools and maps fail the sum.
            if (f === undefined) return undefined;
            sum += f;
          }
        }
      }
      // qlbridge treats a zero sum as no sum.
      return sum === 0 ? undefined : sum;
    },
  },
  {
    name: "avg",
    minArgs: 1,
    maxArgs: VARIADIC,
    returns: "number",
    eval(args, kinds) {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < args.length; i++) {
        const v = args[i]!;
        const k = kindAt(args, kinds, i);
        switch (k) {
          case "string": {
            const f = stringFloat(v as string);
            if (f !== undefined) {
              sum += f;
              n++;
            }
            break;
          }
          case "[]string":
            for (const s of v as string[]) {
              const f = stringFloat(s);
              if (f === undefined) return undefined;
              sum += f;
              n++;
            }
            break;
          case "[]value":
          case "[]time":
            for (const e of v as OkValue[]) {
              const f = toFloat(e);
              if (Number.isNaN(f)) return undefined;
              sum += f;
              n++;
            }
            break;
          default: {
            // Numbers (NaN included) count; nil, bools and maps are skipped.
            const f = numericFloat(v, k);
            if (f !== undefined) {
              sum += f;
              n++;
            }
          }
        }
      }
      return n > 0 ? sum / n : undefined;
    },
  },
];
