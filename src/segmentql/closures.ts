// The closure backend: each node becomes a JavaScript closure over its children. It is the reference
// the generated-code backend is tested against, and it evaluates sub-expressions for the boundary
// analysis. Semantics live in semantics.ts; this file only wires them to the tree.

import type { Expr } from "./ast.ts";
import { fieldAccessForName, type Profile, readField } from "./fields.ts";
import { lookupFunction } from "./functions/index.ts";
import { staticKind } from "./kinds.ts";
import { type IncludeTable, includeKey } from "./link.ts";
import type { FieldTypes } from "./schema.ts";
import {
  evalBetween,
  evalBinary,
  evalExists,
  evalLogical,
  evalNegate,
  evalNot,
} from "./semantics.ts";
import type { Value } from "./values.ts";

/** What every evaluation carries: the instant for date math and time functions, and the profile. */
export interface EvalContext {
  readonly now: number;
  readonly profile: Profile;
}

export type Evaluator = (ctx: EvalContext) => Value;

export interface ClosureEnv {
  readonly types: FieldTypes | undefined;
  readonly includes: IncludeTable;
}

/** Compiles an expression to a closure returning its qlbridge value (undefined when not ok). */
export function compileClosure(expr: Expr, env: ClosureEnv): Evaluator {
  return new ClosureCompiler(env).expr(expr);
}

/** The top-level match: `*` / `match_all` match everything; otherwise the filter must yield true. */
export function compileClosureMatcher(
  filter: Expr | null,
  env: ClosureEnv,
): (ctx: EvalContext) => boolean {
  if (filter === null) return () => false;
  if (filter.type === "Star") return () => true;
  const f = compileClosure(filter, env);
  return (ctx) => f(ctx) === true;
}

class ClosureCompiler {
  private readonly env: ClosureEnv;
  private readonly includeFns = new Map<string, Evaluator>();

  constructor(env: ClosureEnv) {
    this.env = env;
  }

  expr(e: Expr): Evaluator {
    const types = this.env.types;
    switch (e.type) {
      case "String":
      case "Bool": {
        const v = e.value;
        return () => v;
      }
      case "Number": {
        const v = e.value;
        return () => v;
      }
      case "Null":
        return () => null;
      case "Array": {
        const v = e.items.map((it) => (it.type === "Null" ? null : it.value));
        return () => v;
      }
      case "List": {
        const items = e.items.map((it) => this.expr(it));
        return (ctx) => items.map((f) => f(ctx));
      }
      case "Ident":
      case "Star": {
        const access =
          e.type === "Ident"
            ? fieldAccessForName(e.name, e.parts, types)
            : fieldAccessForName(e.text, undefined, types);
        return (ctx) => readField(ctx.profile, access);
      }
      case "Binary": {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        const lk = staticKind(e.left, types);
        const rk = staticKind(e.right, types);
        const op = e.op;
        return (ctx) => evalBinary(op, l(ctx), lk, r(ctx), rk, ctx.now);
      }
      case "Logical": {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        const op = e.op;
        return (ctx) => evalLogical(op, l(ctx), r(ctx));
      }
      case "Not": {
        const inner = this.expr(e.expr);
        return (ctx) => evalNot(inner(ctx));
      }
      case "Negate": {
        const inner = this.expr(e.expr);
        return (ctx) => evalNegate(inner(ctx));
      }
      case "Exists": {
        const inner = this.expr(e.expr);
        return (ctx) => evalExists(inner(ctx));
      }
      case "Between": {
        const x = this.expr(e.expr);
        const lo = this.expr(e.low);
        const hi = this.expr(e.high);
        const xk = staticKind(e.expr, types);
        const negated = e.negated;
        return (ctx) => {
          const r = evalBetween(x(ctx), xk, lo(ctx), hi(ctx), ctx.now);
          return r === undefined ? undefined : r !== negated;
        };
      }
      case "BoolList":
        return this.boolList(
          e.op,
          e.negated,
          e.items.map((it) => this.expr(it)),
        );
      case "Func": {
        const def = lookupFunction(e.name);
        if (!def) return () => undefined;
        const args = e.args.map((a) => this.expr(a));
        const kinds = e.args.map((a) => staticKind(a, types));
        return (ctx) => {
          const vals = args.map((f) => {
            const v = f(ctx);
            // qlbridge hands a function a nil value for an argument that is not ok.
            return v === undefined ? null : v;
          });
          return def.eval(vals, kinds, ctx);
        };
      }
      case "Include":
        return this.include(e.name, e.negated);
    }
  }

  private boolList(op: "AND" | "OR", negated: boolean, items: Evaluator[]): Evaluator {
    if (op === "AND") {
      return (ctx) => {
        for (const f of items) {
          const v = f(ctx);
          if (v === false) return negated;
          if (v !== true) return undefined;
        }
        return !negated;
      };
    }
    return (ctx) => {
      for (const f of items) if (f(ctx) === true) return !negated;
      return negated;
    };
  }

  private include(name: string, negated: boolean): Evaluator {
    const target = this.includeTarget(name);
    return (ctx) => {
      const v = target(ctx);
      if (typeof v !== "boolean") {
        // An included segment that is not ok still makes NOT INCLUDE true (vm.walkInclude);
        // an unknown one never does.
        return negated && (v as unknown) !== MISSING ? true : undefined;
      }
      return negated ? !v : v;
    };
  }

  private includeTarget(name: string): Evaluator {
    const key = includeKey(name);
    const cached = this.includeFns.get(key);
    if (cached) return cached;
    const linked = this.env.includes.get(key);
    let fn: Evaluator;
    if (!linked || linked.statement === null) {
      fn = () => MISSING as unknown as Value;
    } else {
      const filter = linked.statement.filter;
      if (filter === null) fn = () => undefined;
      else if (filter.type === "Star") fn = () => true;
      else {
        // Compiled lazily through a forwarding slot, so that mutual references resolve.
        let compiled: Evaluator | undefined;
        fn = (ctx) => {
          compiled ??= this.expr(filter);
          return compiled(ctx);
        };
      }
    }
    this.includeFns.set(key, fn);
    return fn;
  }
}

/** Marks an INCLUDE of an unknown segment: not ok even under NOT. */
const MISSING: unique symbol = Symbol("missing include");
