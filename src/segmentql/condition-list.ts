// The shared-code backend for the most common shapes of segment: comparisons between a field and a
// literal, combined with AND, OR and NOT (`AND ( plan = "pro", score > 50, country IN ("US", "CA") )`,
// `OR ( plan = "pro", NOT trial = true )`). Such a segment becomes a list of conditions — a
// comparison, or a group of conditions — that one shared loop evaluates, instead of a function of its
// own. A generated function per segment is the fastest way to run one hot segment (bench:
// segment-eval), but an evaluator holding 1,000 segments calls a different one for each of the ~40
// segments an event affects, and every call then misses the CPU's code caches: 220–490 ns per
// segment, against ~50 ns for this loop (bench/README.md, evaluator). The fast paths are the
// generated backend's, test for test (codegen.ts `fastPath`); every other case goes to semantics.ts.

import type { BinaryOp, Expr } from "./ast.ts";
import type { ClosureEnv } from "./closures.ts";
import type { GeneratedMatcher } from "./codegen.ts";
import {
  type FieldAccess,
  fieldAccessForName,
  INHERITED_KEYS,
  type Profile,
  propertyKey,
  readField,
} from "./fields.ts";
import { compileGlob } from "./glob.ts";
import { staticKind } from "./kinds.ts";
import { evalBinary, evalLogical, evalNot } from "./semantics.ts";
import type { Kind, Value } from "./values.ts";

// What a condition does when the field's value has the literal's JavaScript type.
const SLOW_ONLY = 0;
const STRING_EQ = 1;
const STRING_NE = 2;
const STRING_CONTAINS = 3;
const STRING_LIKE = 4;
const STRING_IN = 5;
const NUMBER_IN = 6;
const NUMBER_EQ = 7;
const NUMBER_NE = 8;
const NUMBER_GT = 9;
const NUMBER_GE = 10;
const NUMBER_LT = 11;
const NUMBER_LE = 12;

const NUMBER_TESTS: Partial<Record<BinaryOp, number>> = {
  "==": NUMBER_EQ,
  "!=": NUMBER_NE,
  ">": NUMBER_GT,
  ">=": NUMBER_GE,
  "<": NUMBER_LT,
  "<=": NUMBER_LE,
};

// What a condition is: a comparison, or a group combining its `items` as closures.ts does.
const COMPARISON = 0;
/** `AND ( ... )`, `NOT AND ( ... )`. */
const ALL = 1;
/** `OR ( ... )`, `NOT OR ( ... )`. */
const ANY = 2;
/** `NOT <condition>`. */
const NOT = 3;
/** Infix `a AND b`, `a OR b` (`&&`, `||`): both sides evaluated, evalLogical's rules. */
const BOTH = 4;
const EITHER = 5;

/** Every condition has every property, in this order, so the loop's reads stay monomorphic. */
interface Condition {
  /** COMPARISON, or the kind of group. */
  readonly node: number;
  /** The profile key, internalized (see `propertyKey`), when the field is read as `p[key]`. */
  readonly key: string;
  /** How to read any other field (declared, dotted, inherited names). */
  readonly access: FieldAccess | undefined;
  readonly test: number;
  readonly text: string;
  readonly number: number;
  readonly set: ReadonlySet<unknown> | undefined;
  readonly pattern: RegExp | undefined;
  // The slow path's arguments: the full semantics for every value the fast test does not cover.
  readonly op: BinaryOp;
  readonly fieldKind: Kind | undefined;
  readonly literal: Value;
  readonly literalKind: Kind | undefined;
  /** A group's conditions, and whether the list is negated (`NOT AND ( ... )`). */
  readonly items: readonly Condition[] | undefined;
  readonly negated: boolean;
}

/**
 * A matcher for a filter of those shapes; undefined for any other filter (functions, INCLUDE,
 * BETWEEN, EXISTS, a field against a field or an expression), which the generated backend then
 * compiles.
 */
export function compileConditionList(
  filter: Expr | null,
  env: ClosureEnv,
): GeneratedMatcher | undefined {
  if (filter === null) return undefined;
  const conditions: Condition[] = [];
  // An empty plain AND (`AND ()`) leaves no condition: it matches every profile, as in closures.ts.
  if (!collect(filter, env, conditions)) return undefined;
  // One instant for the whole match, as the generated code fixes it on entry.
  return (profile, now) => matchesAll(conditions, profile, now ?? Date.now());
}

/**
 * Flattens nested plain ANDs at the top, as the generated backend's top-level predicate does: there
 * only a true condition counts, so an AND inside one is the same as its items beside the others.
 */
function collect(e: Expr, env: ClosureEnv, out: Condition[]): boolean {
  if (e.type === "BoolList" && e.op === "AND" && !e.negated) {
    for (const item of e.items) if (!collect(item, env, out)) return false;
    return true;
  }
  const c = condition(e, env);
  if (c === undefined) return false;
  out.push(c);
  return true;
}

function condition(e: Expr, env: ClosureEnv): Condition | undefined {
  switch (e.type) {
    case "Binary":
      return comparison(e, env);
    case "BoolList":
      return group(e.op === "AND" ? ALL : ANY, e.negated, e.items, env);
    case "Not":
      return group(NOT, false, [e.expr], env);
    case "Logical":
      return group(e.op === "AND" ? BOTH : EITHER, false, [e.left, e.right], env);
    default:
      return undefined;
  }
}

/** A group's comparison fields, all empty: every condition has every property, in one order. */
const NOT_A_COMPARISON: Condition = {
  node: COMPARISON,
  key: "",
  access: undefined,
  test: SLOW_ONLY,
  text: "",
  number: 0,
  set: undefined,
  pattern: undefined,
  op: "==",
  fieldKind: undefined,
  literal: undefined,
  literalKind: undefined,
  items: undefined,
  negated: false,
};

function group(
  node: number,
  negated: boolean,
  exprs: readonly Expr[],
  env: ClosureEnv,
): Condition | undefined {
  const items: Condition[] = [];
  for (const e of exprs) {
    const c = condition(e, env);
    if (c === undefined) return undefined;
    items.push(c);
  }
  return { ...NOT_A_COMPARISON, node, items, negated };
}

/** Arithmetic (`x % 2`) yields a number, not a comparison: generated code takes it. */
const ARITHMETIC: ReadonlySet<BinaryOp> = new Set(["+", "-", "*", "/", "%"]);

function comparison(e: Expr & { type: "Binary" }, env: ClosureEnv): Condition | undefined {
  if (e.left.type !== "Ident" || ARITHMETIC.has(e.op)) return undefined;
  const access = fieldAccessForName(e.left.name, e.left.parts, env.types);
  const key = access.key;
  // The generated backend reads a plain field as `p[key]`; a declared, dotted or inherited name
  // (and a quoted map path) through fields.ts, as here.
  const plain =
    key !== undefined &&
    access.keyType === undefined &&
    access.split === undefined &&
    !INHERITED_KEYS.has(key);
  const literal = literalOf(e.right);
  if (literal === undefined) return undefined;
  const fast = fastTest(e.op, e.right);
  return {
    node: COMPARISON,
    key: plain ? propertyKey(key) : "",
    access: plain ? undefined : access,
    test: fast.test,
    text: e.right.type === "String" ? e.right.value : "",
    number: e.right.type === "Number" ? e.right.value : 0,
    set: fast.set,
    pattern: fast.pattern,
    op: e.op,
    fieldKind: staticKind(e.left, env.types),
    literal,
    literalKind: staticKind(e.right, env.types),
    items: undefined,
    negated: false,
  };
}

/** The literal's value as the generated code passes it; undefined when the right side is not one. */
function literalOf(e: Expr): Value | undefined {
  switch (e.type) {
    case "String":
    case "Number":
    case "Bool":
      return e.value;
    case "Null":
      return null;
    case "List":
      if (!e.items.every((it) => it.type === "String" || it.type === "Number")) return undefined;
      return e.items.map((it) => (it as { value: string | number }).value);
    default:
      return undefined;
  }
}

function fastTest(
  op: BinaryOp,
  right: Expr,
): { test: number; set?: ReadonlySet<unknown>; pattern?: RegExp } {
  if (right.type === "String") {
    switch (op) {
      case "==":
        return { test: STRING_EQ };
      case "!=":
        return { test: STRING_NE };
      case "CONTAINS":
        return { test: STRING_CONTAINS };
      case "LIKE": {
        const pattern = compileGlob(right.value.replaceAll("%", "*"));
        return pattern ? { test: STRING_LIKE, pattern } : { test: SLOW_ONLY };
      }
      default:
        return { test: SLOW_ONLY };
    }
  }
  if (right.type === "Number" && Number.isFinite(right.value))
    return { test: NUMBER_TESTS[op] ?? SLOW_ONLY };
  if ((op === "IN" || op === "INTERSECTS") && right.type === "List" && right.items.length > 0) {
    if (right.items.every((it) => it.type === "String"))
      return { test: STRING_IN, set: new Set(right.items.map((it) => it.value)) };
    if (right.items.every((it) => it.type === "Number" && it.isInt))
      return {
        test: NUMBER_IN,
        set: new Set(right.items.map((it) => (it as { value: number }).value)),
      };
  }
  return { test: SLOW_ONLY };
}

function matchesAll(conditions: readonly Condition[], p: Profile, now: number): boolean {
  for (let i = 0; i < conditions.length; i++) {
    const c = conditions[i]!;
    if (conditionValue(c, p, now) !== true) return false;
  }
  return true;
}

/**
 * A group's value, as closures.ts combines its items: three-valued, a value that is not a bool
 * being "not ok", which NOT keeps and an OR list counts as false.
 */
function combine(c: Condition, p: Profile, now: number): Value {
  const items = c.items!;
  switch (c.node) {
    case ALL:
      for (let i = 0; i < items.length; i++) {
        const v = conditionValue(items[i]!, p, now);
        if (v === false) return c.negated;
        if (v !== true) return undefined;
      }
      return !c.negated;
    case ANY:
      for (let i = 0; i < items.length; i++)
        if (conditionValue(items[i]!, p, now) === true) return !c.negated;
      return c.negated;
    case NOT:
      return evalNot(conditionValue(items[0]!, p, now));
    case BOTH:
      return evalLogical(
        "AND",
        conditionValue(items[0]!, p, now),
        conditionValue(items[1]!, p, now),
      );
    default:
      return evalLogical(
        "OR",
        conditionValue(items[0]!, p, now),
        conditionValue(items[1]!, p, now),
      );
  }
}

function conditionValue(c: Condition, p: Profile, now: number): Value {
  return c.node === COMPARISON ? compare(c, p, now) : combine(c, p, now);
}

/** A comparison's value: the fast test when the value has the literal's type, else semantics.ts. */
function compare(c: Condition, p: Profile, now: number): Value {
  const v = c.access === undefined ? p[c.key] : readField(p, c.access);
  if (typeof v === "number") {
    switch (c.test) {
      case NUMBER_EQ:
        return v === c.number;
      case NUMBER_NE:
        return v !== c.number;
      case NUMBER_GT:
        return v > c.number;
      case NUMBER_GE:
        return v >= c.number;
      case NUMBER_LT:
        return v < c.number;
      case NUMBER_LE:
        return v <= c.number;
      case NUMBER_IN:
        return c.set!.has(v);
      default:
        return slow(c, v, now);
    }
  } else if (typeof v === "string") {
    switch (c.test) {
      case STRING_EQ:
        return v === c.text;
      case STRING_NE:
        return v !== c.text;
      case STRING_CONTAINS:
        return v.includes(c.text);
      case STRING_LIKE:
        return c.pattern!.test(v);
      case STRING_IN:
        return c.set!.has(v);
      default:
        return slow(c, v, now);
    }
  }
  return slow(c, v as Value, now);
}

function slow(c: Condition, v: Value, now: number): Value {
  return evalBinary(c.op, v, c.fieldKind, c.literal, c.literalKind, now);
}
