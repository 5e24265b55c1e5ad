// The meaning of SegmentQL's operators, transcribed from qlbridge's vm/vm.go (evalBinary,
// walkTernary, walkUnary) over the value model of values.ts. Both compiler backends call these
// functions; the generated code inlines only fast paths that agree with them (a differential test
// holds them together).
//
// Every function returns undefined for "not ok": the operation cannot be evaluated. A comparison is
// a match only when it yields `true`.

import type { BinaryOp } from "./ast.ts";
import { likeMatch } from "./glob.ts";
import {
  isNil,
  isSliceMapKind,
  type Kind,
  kindOf,
  type OkValue,
  parseGoBool,
  parseGoFloat,
  parseGoInt,
  stringToFloat,
  toFloat,
  toGoString,
  toInt,
  toTime,
  unixSeconds,
  type Value,
  type ValueMap,
  valueEqual,
} from "./values.ts";

/** qlbridge's evalBinary prologue: the result when one or both operands are not ok. */
export function missingOperands(
  op: BinaryOp,
  aok: boolean,
  bok: boolean,
): boolean | undefined | null {
  if (!aok && !bok) {
    switch (op) {
      case "==":
      case "!=":
      case ">":
      case ">=":
      case "<":
      case "<=":
      case "LIKE":
        return false;
      default:
        return undefined;
    }
  }
  if (!aok) {
    switch (op) {
      case "IN":
      case "INTERSECTS":
      case "CONTAINS":
      case "LIKE":
        return false;
    }
  }
  switch (op) {
    case "==":
    case "IN":
    case "INTERSECTS":
    case ">":
    case ">=":
    case "<":
    case "<=":
    case "LIKE":
      return false;
    case "!=":
      return true;
  }
  // Falls through to the type switch with a Go nil operand: `null` says "decide by type".
  return null;
}

/**
 * Evaluates `a op b`. `ak` / `bk` are static kinds from the compiler (a declared field type, a
 * literal's form, a function's result type); undefined means "infer from the value".
 */
export function evalBinary(
  op: BinaryOp,
  a: Value,
  ak: Kind | undefined,
  b: Value,
  bk: Kind | undefined,
  now: number,
): Value {
  const aok = a !== undefined;
  const bok = b !== undefined;
  if (!aok || !bok) {
    const r = missingOperands(op, aok, bok);
    if (r !== null) return r;
    // A missing left operand behaves as Go's nil value; a missing right one fails every remaining op.
    if (!aok) return nilLeft(op, b);
    return undefined;
  }
  const ka = kindOf(a as OkValue, ak);
  switch (ka) {
    case "int":
      return intLeft(op, a as number, b as OkValue, kindOf(b as OkValue, bk));
    case "number":
      return numberLeft(op, a as number, b as OkValue, kindOf(b as OkValue, bk));
    case "bool":
      return boolLeft(op, a as boolean, b as OkValue);
    case "string":
      return stringLeft(op, a as string, b as OkValue, kindOf(b as OkValue, bk), now);
    case "[]value":
    case "[]time":
      return sliceLeft(op, a as Value[], b as OkValue, kindOf(b as OkValue, bk), now);
    case "[]string":
      return stringsLeft(op, a as string[], b as OkValue, kindOf(b as OkValue, bk));
    case "time":
      return timeLeft(op, a as Date, b as OkValue, now);
    case "nil":
      return nilLeft(op, b);
    default:
      return mapLeft(op, a as ValueMap, b as OkValue, kindOf(b as OkValue, bk));
  }
}

function nilLeft(op: BinaryOp, b: Value): Value {
  switch (op) {
    case "==":
      return b === undefined || b === null;
    case "!=":
      return true;
    default:
      return undefined;
  }
}

const ARITHMETIC: ReadonlySet<string> = new Set(["+", "-", "*", "/", "%"]);

export function isComparison(op: BinaryOp): boolean {
  return op === "==" || op === "!=" || op === ">" || op === ">=" || op === "<" || op === "<=";
}

/** operateIntVals: integer arithmetic and comparisons; other operators are not ok. */
export function operateInts(op: BinaryOp, a: number, b: number): Value {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return b === 0 ? undefined : Math.trunc(a / b);
    case "%":
      return b === 0 ? undefined : a % b;
    default:
      return compareNumbers(op, a, b);
  }
}

/** operateNumbers: float arithmetic (NaN-propagating) and comparisons; other operators are not ok. */
export function operateNumbers(op: BinaryOp, a: number, b: number): Value {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
    case "%": {
      if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
      const bi = Math.trunc(b);
      return bi === 0 ? undefined : Math.trunc(a) % bi;
    }
    default:
      return compareNumbers(op, a, b);
  }
}

function compareNumbers(op: BinaryOp, a: number, b: number): boolean | undefined {
  switch (op) {
    case "==":
      return a === b;
    case "!=":
      return a !== b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    default:
      return undefined;
  }
}

function intLeft(op: BinaryOp, a: number, b: OkValue, kb: Kind): Value {
  switch (kb) {
    case "int":
      return operateInts(op, a, b as number);
    case "number":
      return operateNumbers(op, a, b as number);
    case "string": {
      const bi = parseGoInt(b as string);
      if (bi !== undefined) return operateInts(op, a, bi);
      const bf = parseGoFloat(b as string);
      if (bf !== undefined) return operateNumbers(op, a, bf);
      return undefined;
    }
    case "[]value":
      if (op === "IN" || op === "INTERSECTS") {
        for (const el of b as Value[]) if (toInt(el) === a) return true;
        return false;
      }
      return undefined;
    default:
      return undefined;
  }
}

function numberLeft(op: BinaryOp, a: number, b: OkValue, kb: Kind): Value {
  switch (kb) {
    case "int":
    case "number":
      return operateNumbers(op, a, b as number);
    case "[]value":
      // qlbridge ignores the operator here: any element numerically equal makes it true.
      for (const el of b as Value[]) {
        if (typeof el === "string" ? a === stringToFloat(el) : typeof el === "number" && a === el)
          return true;
      }
      return false;
    case "string": {
      const bi = parseGoInt(b as string);
      if (bi !== undefined) return operateNumbers(op, a, bi);
      const bf = parseGoFloat(b as string);
      if (bf !== undefined) return operateNumbers(op, a, bf);
      return undefined;
    }
    default:
      return undefined;
  }
}

function boolLeft(op: BinaryOp, a: boolean, b: OkValue): Value {
  if (typeof b === "boolean") {
    switch (op) {
      case "==":
        return a === b;
      case "!=":
        return a !== b;
      default:
        return undefined;
    }
  }
  if (b === null) {
    switch (op) {
      case "==":
        return false;
      case "!=":
        return true;
      default:
        return undefined;
    }
  }
  return undefined;
}

function stringLeft(op: BinaryOp, a: string, b: OkValue, kb: Kind, now: number): Value {
  switch (kb) {
    case "string":
      switch (op) {
        case "==":
        case "IN":
        case "INTERSECTS":
          return a === b;
        case "!=":
          return a !== b;
        case "CONTAINS":
          return a.includes(b as string);
        case "LIKE":
          return likeMatch(a, b as string);
        default:
          return undefined;
      }
    case "nil":
      switch (op) {
        case "==":
          return a.length === 0;
        case "!=":
          return a.length !== 0;
        default:
          return undefined;
      }
    case "[]value":
    case "[]string":
    case "map[string]string":
    case "map[string]int":
    case "map[string]number":
    case "map[string]bool": {
      const els: readonly Value[] = Array.isArray(b) ? b : Object.keys(b as ValueMap);
      switch (op) {
        case "IN":
        case "INTERSECTS":
          for (const el of els) if (el !== undefined && toGoString(el) === a) return true;
          return false;
        case "CONTAINS":
          for (const el of els) if (el !== undefined && a.includes(toGoString(el))) return true;
          return false;
        case "LIKE":
          for (const el of els)
            if (el !== undefined && likeMatch(a, toGoString(el)) === true) return true;
          return false;
        default:
          return undefined;
      }
    }
    case "bool": {
      const parsed = parseGoBool(a);
      if (parsed !== undefined) {
        if (op === "==") return parsed === b;
        if (op === "!=") return parsed !== b;
      }
      switch (op) {
        case "==":
        case "IN":
        case "INTERSECTS":
        case "CONTAINS":
        case "LIKE":
          return false;
        default:
          return undefined;
      }
    }
    case "map[string]value":
    case "map[string]time":
      if (op === "IN" || op === "INTERSECTS") return Object.hasOwn(b as ValueMap, a);
      return undefined;
    case "int":
    case "number":
      if (!isComparison(op) && !ARITHMETIC.has(op)) return undefined;
      return operateNumbers(op, stringToFloat(a), b as number);
    case "time": {
      const lt = toTime(a, now);
      if (lt === undefined) return undefined;
      return operateTime(op, lt, b as Date);
    }
    default:
      return undefined;
  }
}

/** operateTime: comparisons at whole-second precision (Go's time.Unix()). */
export function operateTime(op: BinaryOp, a: Date, b: Date): Value {
  return compareNumbers(op, unixSeconds(a), unixSeconds(b));
}

function timeLeft(op: BinaryOp, a: Date, b: OkValue, now: number): Value {
  const rt = toTime(b, now);
  if (rt === undefined) return undefined;
  return operateTime(op, a, rt);
}

function sliceLeft(op: BinaryOp, a: Value[], b: OkValue, kb: Kind, now: number): Value {
  switch (op) {
    case ">":
    case ">=":
    case "<":
    case "<=":
    case "==":
    case "!=": {
      if (a.length === 0) return false;
      if (!(a[0] instanceof Date)) return undefined;
      const rt = toTime(b, now);
      if (rt === undefined) return undefined;
      for (const el of a) {
        if (!(el instanceof Date)) return undefined;
        if (operateTime(op, el, rt) === true) return true;
      }
      return false;
    }
    case "CONTAINS":
      if (typeof b === "string") {
        for (const el of a) if (el !== undefined && toGoString(el).includes(b)) return true;
        return false;
      }
      if (kb === "int") {
        for (const el of a) if (toInt(el) === b) return true;
        return false;
      }
      return undefined;
    case "LIKE":
      if (typeof b === "string") {
        for (const el of a)
          if (el !== undefined && likeMatch(toGoString(el), b) === true) return true;
        return false;
      }
      return undefined;
    case "IN":
    case "INTERSECTS":
      if (kb === "[]value") {
        for (const x of a) for (const y of b as Value[]) if (valueEqual(x, y) === true) return true;
        return false;
      }
      if (kb === "[]string") {
        for (const x of a) {
          if (x === undefined) continue;
          const xs = toGoString(x);
          for (const y of b as string[]) if (xs === y) return true;
        }
        return false;
      }
      return undefined;
    default:
      return undefined;
  }
}

function stringsLeft(op: BinaryOp, a: string[], b: OkValue, kb: Kind): Value {
  switch (op) {
    case "CONTAINS":
      if (typeof b !== "string") return undefined;
      for (const s of a) if (s.includes(b)) return true;
      return false;
    case "LIKE":
      if (typeof b !== "string") return undefined;
      for (const s of a) if (likeMatch(s, b) === true) return true;
      return false;
    case "IN":
    case "INTERSECTS":
      if (kb === "[]value" || kb === "[]string") {
        for (const s of a) {
          for (const y of b as Value[]) if (y !== undefined && s === toGoString(y)) return true;
        }
        return false;
      }
      return undefined;
    case "==":
      return false;
    default:
      return undefined;
  }
}

function mapLeft(op: BinaryOp, a: ValueMap, b: OkValue, kb: Kind): Value {
  let keys: readonly Value[];
  if (Array.isArray(b)) keys = b;
  else if (isSliceMapKind(kb)) keys = Object.keys(b as ValueMap);
  else return undefined;
  if (op !== "IN" && op !== "INTERSECTS") return undefined;
  for (const k of keys) if (k !== undefined && Object.hasOwn(a, toGoString(k))) return true;
  return false;
}

/** `x BETWEEN lo AND hi` (walkTernary): exclusive at both ends, for int, number and time only. */
export function evalBetween(
  x: Value,
  xk: Kind | undefined,
  lo: Value,
  hi: Value,
  now: number,
): boolean | undefined {
  if (x === undefined || lo === undefined || hi === undefined) return undefined;
  if (x === null || lo === null || hi === null) return undefined;
  switch (kindOf(x, xk)) {
    case "int": {
      const l = toInt(lo);
      const h = toInt(hi);
      if (l === undefined || h === undefined) return undefined;
      return (x as number) > l && (x as number) < h;
    }
    case "number": {
      const l = toFloat(lo);
      const h = toFloat(hi);
      if (Number.isNaN(l) || Number.isNaN(h)) return undefined;
      return (x as number) > l && (x as number) < h;
    }
    case "time": {
      const l = toTime(lo, now);
      const h = toTime(hi, now);
      if (l === undefined || h === undefined) return undefined;
      const s = unixSeconds(x as Date);
      return s > unixSeconds(l) && s < unixSeconds(h);
    }
    default:
      return undefined;
  }
}

/**
 * The EXISTS keyword (vm.walkUnary): an ok value that is not nil in qlbridge's sense, so false and 0
 * exist while "", [], {} and the zero time do not. (Unlike the exists() function since qlbridge #53.)
 */
export function evalExists(v: Value): boolean {
  return v !== undefined && !isNil(v);
}

/** Unary NOT (walkUnary): only a bool can be negated. */
export function evalNot(v: Value): boolean | undefined {
  return typeof v === "boolean" ? !v : undefined;
}

/** Unary minus: numbers only; the result is a number (float64) in qlbridge. */
export function evalNegate(v: Value): Value {
  if (typeof v === "number") return -v;
  if (v instanceof Date) return -v.getTime();
  return undefined;
}

/**
 * Infix `a AND b` / `a OR b` (evalBinary with a logical operator): both sides are evaluated; AND
 * with a side not ok is false, OR with one side not ok yields the other side if it is a bool.
 */
export function evalLogical(op: "AND" | "OR", a: Value, b: Value): Value {
  if (a === undefined && b === undefined) return op === "OR" ? false : undefined;
  if (op === "AND") {
    if (a === undefined || b === undefined) return false;
    if (typeof a === "boolean" && typeof b === "boolean") return a && b;
  } else {
    if (a === undefined) return typeof b === "boolean" ? b : false;
    if (typeof a === "boolean" && typeof b === "boolean") return a || b;
  }
  return logicalByType(op, a, b);
}

// evalBinary's type switch for the logical operators when the operands are not both bools.
function logicalByType(op: "AND" | "OR", a: OkValue, b: Value): Value {
  if (a === null) return op === "AND" ? false : typeof b === "boolean" ? b : false;
  if (typeof a === "boolean") {
    if (b === undefined || b === null) return op === "AND" ? false : a;
    return undefined;
  }
  if (Array.isArray(a)) return false;
  if (typeof a === "number" && typeof b === "number") {
    return op === "AND" ? a !== 0 && b !== 0 : a !== 0 || b !== 0;
  }
  if (typeof a === "string" && typeof b === "boolean") return false;
  return undefined;
}

/** walkBoolean's view of a child: true / false, or undefined when not ok or not a bool. */
export function asBool(v: Value): boolean | undefined {
  return typeof v === "boolean" ? v : undefined;
}
