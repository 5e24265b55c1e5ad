// What the evaluator needs to know about a segment besides its result: the profile fields it reads
// (INCLUDEs expanded), whether its result can change with time alone, and — for one profile — the
// next instant at which it can (qlbridge's vm/datemath.go Boundary, computed exactly).

import type { BinaryOp, Expr } from "./ast.ts";
import { type ClosureEnv, compileClosure, type EvalContext, type Evaluator } from "./closures.ts";
import { addDateMath, type DateMathTerm, parseDateMath } from "./datemath.ts";
import { fieldAccessForName, type Profile } from "./fields.ts";
import { lookupFunction } from "./functions/index.ts";
import { staticKind } from "./kinds.ts";
import { type IncludeTable, includeKey, walk } from "./link.ts";
import type { Value } from "./values.ts";

/** The profile keys a segment reads. */
export interface FieldRefs {
  /** Top-level keys (for `a.b`, both "a.b" and "a"). */
  readonly names: ReadonlySet<string>;
  /** Key prefixes read by functions such as match("prefix_"). */
  readonly prefixes: ReadonlySet<string>;
}

export function referencedFields(filter: Expr | null, includes: IncludeTable): FieldRefs {
  const names = new Set<string>();
  const prefixes = new Set<string>();
  const seen = new Set<string>();
  const visit = (e: Expr | null): void =>
    walk(e, (n) => {
      switch (n.type) {
        case "Ident": {
          const a = fieldAccessForName(n.name, n.parts, undefined);
          if (a.key !== undefined) names.add(a.key);
          if (a.split) names.add(a.split[0]);
          return;
        }
        case "Star":
          // `*` is only a field reference below the top of a filter.
          if (n !== filter) names.add(n.text);
          return;
        case "Func":
          // match("prefix_") reads every field with the prefix (qlbridge scans ctx.Row()).
          if (n.name === "match")
            for (const a of n.args) prefixes.add(a.type === "String" ? a.value : "");
          return;
        case "Include": {
          const key = includeKey(n.name);
          if (seen.has(key)) return;
          seen.add(key);
          visit(includes.get(key)?.statement?.filter ?? null);
          return;
        }
        default:
          return;
      }
    });
  visit(filter);
  return { names, prefixes };
}

/** A part of a segment whose value can change while the profile does not. */
type TimeLeaf =
  | {
      /** A comparison or BETWEEN with date math ("now-7d", now(), todate("now-1d")) against a time. */
      readonly kind: "datemath";
      readonly terms: readonly DateMathTerm[];
      /** The time operand the date math is compared with. */
      readonly operand: Evaluator;
      readonly leaf: Evaluator;
    }
  | {
      /** A function of the current time whose result changes at calendar ticks (hourofday(), yy(), ...). */
      readonly kind: "tick";
      readonly unit: TickUnit;
      readonly leaf: Evaluator;
    };

type TickUnit = "second" | "hour" | "day" | "month" | "year";

/** Granularity at which a time function with no date argument changes. */
const FUNCTION_TICKS: Readonly<Record<string, TickUnit>> = {
  yy: "year",
  mm: "month",
  yymm: "month",
  dayofweek: "day",
  hourofday: "hour",
  hourofweek: "hour",
};

/** How many ticks ahead to look for a change before settling for a conservative boundary. */
const MAX_TICKS = 400;

export interface TimeAnalysis {
  /** True when the result can change without a profile change. */
  readonly timeDependent: boolean;
  /** The next instant after now at which the result can flip, or null when it never will. */
  nextBoundary(profile: Profile, now: number): number | null;
}

export function analyzeTime(filter: Expr | null, env: ClosureEnv): TimeAnalysis {
  const leaves = collectTimeLeaves(filter, env);
  return {
    timeDependent: leaves.length > 0,
    nextBoundary: (profile, now) => nextBoundary(leaves, profile, now),
  };
}

function collectTimeLeaves(filter: Expr | null, env: ClosureEnv): TimeLeaf[] {
  const leaves: TimeLeaf[] = [];
  const seen = new Set<string>();
  /** Nodes consumed as date-math terms of a comparison, so they are not counted twice as ticks. */
  const consumed = new Set<Expr>();
  let whole: Evaluator | undefined;
  const wholeFilter = (): Evaluator => {
    whole ??= filter === null ? () => undefined : compileClosure(filter, env);
    return whole;
  };
  const visit = (root: Expr | null): void =>
    walk(root, (n) => {
      if (n.type === "Binary" && isOrdering(n.op)) {
        const lt = dateMathTerm(n.left);
        const rt = dateMathTerm(n.right);
        const operand = lt && !rt ? n.right : rt && !lt ? n.left : undefined;
        if (operand && mayBeTime(operand, env)) {
          consumed.add(lt ? n.left : n.right);
          leaves.push({
            kind: "datemath",
            terms: [(lt ?? rt)!],
            operand: compileClosure(operand, env),
            leaf: compileClosure(n, env),
          });
        }
      } else if (n.type === "Between" && mayBeTime(n.expr, env)) {
        const terms = [dateMathTerm(n.low), dateMathTerm(n.high)].filter(
          (t): t is DateMathTerm => t !== undefined,
        );
        if (terms.length > 0) {
          consumed.add(n.low).add(n.high);
          leaves.push({
            kind: "datemath",
            terms,
            operand: compileClosure(n.expr, env),
            leaf: compileClosure(n, env),
          });
        }
      } else if (n.type === "Func" && !consumed.has(n)) {
        const def = lookupFunction(n.name);
        const usesNow = def?.usesNow?.(n.args.length) ?? false;
        const hasDateMathArg = n.args.some(
          (a) => a.type === "String" && parseDateMath(a.value) !== undefined,
        );
        if (usesNow || hasDateMathArg) {
          // The call's value changes at every tick; whether the segment's does shows on the whole filter.
          leaves.push({
            kind: "tick",
            unit: FUNCTION_TICKS[n.name] ?? "second",
            leaf: wholeFilter(),
          });
        }
      } else if (n.type === "Include") {
        const key = includeKey(n.name);
        if (!seen.has(key)) {
          seen.add(key);
          visit(env.includes.get(key)?.statement?.filter ?? null);
        }
      }
    });
  visit(filter);
  return leaves;
}

function isOrdering(op: BinaryOp): boolean {
  return op === "==" || op === "!=" || op === ">" || op === ">=" || op === "<" || op === "<=";
}

/** The date math an operand stands for: a "now±N<unit>" literal, now(), or todate("now±N<unit>"). */
function dateMathTerm(e: Expr): DateMathTerm | undefined {
  if (e.type === "String") return parseDateMath(e.value) ?? undefined;
  if (e.type === "Func") {
    if (e.name === "now" && e.args.length === 0) return ZERO_TERM;
    if (e.name === "todate" && e.args.length === 1 && e.args[0]!.type === "String") {
      return parseDateMath(e.args[0]!.value) ?? undefined;
    }
  }
  return undefined;
}

const ZERO_TERM: DateMathTerm = { sign: 1, amount: 0, unit: "s" };

/** Whether an operand can evaluate to a time: JSON never yields one, so only declared or computed times. */
function mayBeTime(e: Expr, env: ClosureEnv): boolean {
  switch (e.type) {
    case "Ident":
    case "Star": {
      const k = staticKind(e, env.types);
      return k === "time" || k === "[]time";
    }
    case "Func": {
      const k = lookupFunction(e.name)?.returns;
      return k === undefined || k === "time" || k === "[]time" || k === "[]value";
    }
    default:
      return false;
  }
}

function nextBoundary(leaves: readonly TimeLeaf[], profile: Profile, now: number): number | null {
  let best: number | null = null;
  for (const leaf of leaves) {
    const t =
      leaf.kind === "datemath"
        ? dateMathBoundary(leaf, profile, now)
        : tickBoundary(leaf, profile, now);
    if (t !== null && (best === null || t < best)) best = t;
  }
  return best;
}

function at(profile: Profile, now: number): EvalContext {
  return { profile, now };
}

function dateMathBoundary(
  leaf: Extract<TimeLeaf, { kind: "datemath" }>,
  profile: Profile,
  now: number,
): number | null {
  const operand = leaf.operand(at(profile, now));
  const times = timesOf(operand);
  if (times.length === 0) return null;
  const candidates: number[] = [];
  for (const term of leaf.terms) {
    for (const t of times) {
      // Comparisons use whole seconds: the result can only change where the date math reaches the
      // operand's second or the next one.
      const s = Math.floor(t / 1000) * 1000;
      for (const threshold of [s, s + 1000]) {
        const c = firstInstantReaching(term, threshold, now);
        if (c !== undefined) candidates.push(c);
      }
    }
  }
  candidates.sort((a, b) => a - b);
  const before = leaf.leaf(at(profile, now));
  for (const c of candidates) {
    if (!sameValue(leaf.leaf(at(profile, c)), before)) return c;
  }
  return null;
}

function timesOf(v: Value): number[] {
  if (v instanceof Date) return [v.getTime()];
  if (Array.isArray(v))
    return v.filter((e): e is Date => e instanceof Date).map((d) => d.getTime());
  return [];
}

const DAY_MS = 86_400_000;
const CALENDAR_UNITS: ReadonlySet<string> = new Set(["M", "y"]);

/** The first instant after `after` at which the date math reaches `threshold`, if it ever does. */
export function firstInstantReaching(
  term: DateMathTerm,
  threshold: number,
  after: number,
): number | undefined {
  const offset = addDateMath(term, after) - after;
  if (!CALENDAR_UNITS.has(term.unit)) {
    // Days and weeks are whole 24-hour days in UTC, so the offset is constant.
    const t = threshold - offset;
    return t > after ? t : undefined;
  }
  if (addDateMath(term, after) >= threshold) return undefined;
  // Month and year arithmetic moves the offset by a few days; search around the estimate.
  let lo = Math.max(after + 1, threshold - offset - 5 * DAY_MS);
  let hi = threshold - offset + 5 * DAY_MS;
  if (addDateMath(term, hi) < threshold) return undefined;
  if (addDateMath(term, lo) >= threshold) return lo;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (addDateMath(term, mid) >= threshold) hi = mid;
    else lo = mid;
  }
  return hi;
}

function tickBoundary(
  leaf: Extract<TimeLeaf, { kind: "tick" }>,
  profile: Profile,
  now: number,
): number {
  const before = leaf.leaf(at(profile, now));
  let t = nextTick(leaf.unit, now);
  for (let i = 1; i < MAX_TICKS; i++) {
    if (!sameValue(leaf.leaf(at(profile, t)), before)) return t;
    t = nextTick(leaf.unit, t);
  }
  // Nothing changed as far as we looked: ask to be evaluated again then.
  return t;
}

/** The start of the next unit after t, in UTC. */
function nextTick(unit: TickUnit, t: number): number {
  const d = new Date(t);
  switch (unit) {
    case "second":
      return Math.floor(t / 1000) * 1000 + 1000;
    case "hour":
      return Math.floor(t / 3_600_000) * 3_600_000 + 3_600_000;
    case "day":
      return Math.floor(t / DAY_MS) * DAY_MS + DAY_MS;
    case "month":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    case "year":
      return Date.UTC(d.getUTCFullYear() + 1, 0, 1);
  }
}

function sameValue(a: Value, b: Value): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a === "object" || typeof b === "object")
    return JSON.stringify(a) === JSON.stringify(b);
  return Object.is(a, b);
}
