// The generated-code backend: a segment becomes one JavaScript function whose conditions are inlined
// with type-guarded fast paths (`typeof v === "string" ? v === "t" : <full semantics>`), so the common
// case runs as fast as a hand-written predicate. Every fast path must agree with semantics.ts; the
// slow path calls it. User text never reaches the generated source except through JSON.stringify.

import type { BinaryOp, Expr } from "./ast.ts";
import type { ClosureEnv } from "./closures.ts";
import {
  type FieldAccess,
  fieldAccessForName,
  INHERITED_KEYS,
  type Profile,
  readField,
} from "./fields.ts";
import { type FunctionDef, lookupFunction } from "./functions/index.ts";
import { compileGlob } from "./glob.ts";
import { staticKind } from "./kinds.ts";
import { includeKey } from "./link.ts";
import { evalBetween, evalBinary, evalExists, evalLogical, evalNegate } from "./semantics.ts";
import type { Kind, Value } from "./values.ts";

/** A matcher; `now` (epoch ms) defaults to the current time. */
export type GeneratedMatcher = (profile: Profile, now?: number) => boolean;

/** Helpers the generated code calls; passed in rather than imported so the code is self-contained. */
const runtime = {
  bin: evalBinary,
  logical: evalLogical,
  negate: evalNegate,
  between: evalBetween,
  exists: evalExists,
  read: readField,
};

export interface GeneratedSegment {
  readonly match: GeneratedMatcher;
  /** The generated source, for debugging and tests. */
  readonly source: string;
}

export function compileGenerated(filter: Expr | null, env: ClosureEnv): GeneratedSegment {
  const gen = new Generator(env);
  const source = gen.program(filter);
  const factory = new Function("rt", "C", "F", source) as (
    rt: typeof runtime,
    consts: unknown[],
    fns: FunctionDef[],
  ) => GeneratedMatcher;
  return { match: factory(runtime, gen.consts, gen.fns), source };
}

interface Scope {
  readonly lines: string[];
  indent: string;
}

class Generator {
  readonly consts: unknown[] = [];
  readonly fns: FunctionDef[] = [];
  private readonly env: ClosureEnv;
  private tmp = 0;
  private usesCtx = false;
  /** Include functions by key: their name (null for an unknown segment) and body, emitted once each. */
  private readonly includeFns = new Map<string, { name: string | null; body: string }>();

  constructor(env: ClosureEnv) {
    this.env = env;
  }

  program(filter: Expr | null): string {
    let body: string;
    if (filter === null) body = "  return false;";
    else if (filter.type === "Star") body = "  return true;";
    else {
      const scope: Scope = { lines: [], indent: "  " };
      this.predicate(filter, scope);
      scope.lines.push("  return true;");
      body = scope.lines.join("\n");
    }
    const includes = [...this.includeFns.values()]
      .filter((f) => f.name !== null)
      .map((f) => `function ${f.name}(p, now, ctx) {\n${f.body}\n}`)
      .join("\n");
    // Function calls read ctx; include functions take it along even when they call none.
    const ctxLine = this.usesCtx
      ? "  const ctx = { now, profile: p };\n"
      : this.includeFns.size > 0
        ? "  const ctx = undefined;\n"
        : "";
    const nowLine = "  if (now === undefined) now = Date.now();\n";
    const constants = this.consts.map((_, i) => `const K${i} = C[${i}];\n`).join("");
    return `"use strict";\n${constants}${includes}\nreturn function segment(p, now) {\n${nowLine}${ctxLine}${body}\n};`;
  }

  /**
   * Emits code that returns false from the matcher unless e is exactly true. A match needs every
   * item of a top-level AND list to be true, so such items short-circuit straight out.
   */
  private predicate(e: Expr, s: Scope): void {
    if (e.type === "BoolList" && e.op === "AND" && !e.negated) {
      for (const item of e.items) this.predicate(item, s);
      return;
    }
    const r = this.expr(e, s);
    s.lines.push(`${s.indent}if (${r} !== true) return false;`);
  }

  private name(prefix: string): string {
    return `${prefix}${this.tmp++}`;
  }

  /** A value the code needs, bound once to a name in the factory's scope (not re-read from C per call). */
  private constant(v: unknown): string {
    this.consts.push(v);
    return `K${this.consts.length - 1}`;
  }

  private literal(v: Value): string {
    if (v === null) return "null";
    if (typeof v === "string") return JSON.stringify(v);
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number" && Number.isFinite(v) && !Object.is(v, -0))
      return v < 0 ? `(${v})` : String(v);
    return this.constant(v);
  }

  private kindLiteral(k: Kind | undefined): string {
    return k === undefined ? "undefined" : JSON.stringify(k);
  }

  /** Emits statements computing e into scope; returns a JS expression (a temp or literal) for its value. */
  private expr(e: Expr, s: Scope): string {
    switch (e.type) {
      case "String":
      case "Bool":
      case "Number":
        return this.literal(e.value);
      case "Null":
        return "null";
      case "Array":
        return this.constant(e.items.map((it) => (it.type === "Null" ? null : it.value)));
      case "List": {
        if (e.items.every(isLiteral)) return this.constant(e.items.map(literalValue));
        const items = e.items.map((it) => this.expr(it, s));
        const v = this.name("l");
        s.lines.push(`${s.indent}const ${v} = [${items.join(", ")}];`);
        return v;
      }
      case "Ident":
        return this.field(fieldAccessForName(e.name, e.parts, this.env.types), s);
      case "Star":
        return this.field(fieldAccessForName(e.text, undefined, this.env.types), s);
      case "Binary":
        return this.binary(e.op, e.left, e.right, s);
      case "Logical": {
        const l = this.expr(e.left, s);
        const r = this.expr(e.right, s);
        const v = this.name("g");
        const op = e.op === "AND" ? "&&" : "||";
        s.lines.push(
          `${s.indent}const ${v} = typeof ${l} === "boolean" && typeof ${r} === "boolean" ? ${l} ${op} ${r} : rt.logical(${JSON.stringify(e.op)}, ${l}, ${r});`,
        );
        return v;
      }
      case "Not": {
        const x = this.expr(e.expr, s);
        const v = this.name("n");
        s.lines.push(`${s.indent}const ${v} = typeof ${x} === "boolean" ? !${x} : undefined;`);
        return v;
      }
      case "Negate": {
        const x = this.expr(e.expr, s);
        const v = this.name("m");
        s.lines.push(`${s.indent}const ${v} = rt.negate(${x});`);
        return v;
      }
      case "Exists": {
        const x = this.expr(e.expr, s);
        const v = this.name("e");
        s.lines.push(`${s.indent}const ${v} = rt.exists(${x});`);
        return v;
      }
      case "Between": {
        const x = this.expr(e.expr, s);
        const lo = this.expr(e.low, s);
        const hi = this.expr(e.high, s);
        const xk = this.kindLiteral(staticKind(e.expr, this.env.types));
        const b = this.name("b");
        const v = this.name("w");
        s.lines.push(`${s.indent}const ${b} = rt.between(${x}, ${xk}, ${lo}, ${hi}, now);`);
        s.lines.push(
          `${s.indent}const ${v} = ${b} === undefined ? undefined : ${e.negated ? `!${b}` : b};`,
        );
        return v;
      }
      case "BoolList":
        return this.boolList(e.op, e.negated, e.items, s);
      case "Func":
        return this.func(e.name, e.args, s);
      case "Include":
        return this.include(e.name, e.negated, s);
    }
  }

  private field(a: FieldAccess, s: Scope): string {
    const v = this.name("v");
    const plain = a.key !== undefined && a.keyType === undefined && !INHERITED_KEYS.has(a.key);
    if (plain && a.split === undefined) {
      s.lines.push(`${s.indent}const ${v} = p[${JSON.stringify(a.key)}];`);
    } else if (plain) {
      s.lines.push(`${s.indent}let ${v} = p[${JSON.stringify(a.key)}];`);
      s.lines.push(
        `${s.indent}if (${v} === undefined) ${v} = rt.read(p, ${this.constant(splitOnly(a))});`,
      );
    } else {
      s.lines.push(`${s.indent}const ${v} = rt.read(p, ${this.constant(a)});`);
    }
    return v;
  }

  private binary(op: BinaryOp, left: Expr, right: Expr, s: Scope): string {
    const types = this.env.types;
    const l = this.expr(left, s);
    const r = this.expr(right, s);
    const lk = staticKind(left, types);
    const rk = staticKind(right, types);
    const slow = `rt.bin(${JSON.stringify(op)}, ${l}, ${this.kindLiteral(lk)}, ${r}, ${this.kindLiteral(rk)}, now)`;
    const v = this.name("c");
    // Fast paths test the left operand's type at run time, so they apply to computed values only.
    const fast = isTemp(l) ? this.fastPath(op, l, right) : null;
    s.lines.push(`${s.indent}const ${v} = ${fast ? `${fast} : ${slow}` : slow};`);
    return v;
  }

  /** A guarded inline form `guard ? result` that matches semantics.ts for the guarded case, or null. */
  private fastPath(op: BinaryOp, l: string, right: Expr): string | null {
    if (right.type === "String") {
      const c = JSON.stringify(right.value);
      switch (op) {
        case "==":
          return `typeof ${l} === "string" ? ${l} === ${c}`;
        case "!=":
          return `typeof ${l} === "string" ? ${l} !== ${c}`;
        case "CONTAINS":
          return `typeof ${l} === "string" ? ${l}.includes(${c})`;
        case "LIKE": {
          const re = compileGlob(right.value.replaceAll("%", "*"));
          return re ? `typeof ${l} === "string" ? ${this.constant(re)}.test(${l})` : null;
        }
        default:
          return null;
      }
    }
    if (right.type === "Number" && Number.isFinite(right.value)) {
      const c = this.literal(right.value);
      const jsOp = JS_COMPARISON[op];
      return jsOp ? `typeof ${l} === "number" ? ${l} ${jsOp} ${c}` : null;
    }
    if ((op === "IN" || op === "INTERSECTS") && right.type === "List" && right.items.length > 0) {
      if (right.items.every((it) => it.type === "String")) {
        const set = this.constant(
          new Set(right.items.map((it) => (it as { value: string }).value)),
        );
        return `typeof ${l} === "string" ? ${set}.has(${l})`;
      }
      if (right.items.every((it) => it.type === "Number" && it.isInt)) {
        const set = this.constant(
          new Set(right.items.map((it) => (it as { value: number }).value)),
        );
        return `typeof ${l} === "number" ? ${set}.has(${l})`;
      }
    }
    return null;
  }

  private boolList(op: "AND" | "OR", negated: boolean, items: readonly Expr[], s: Scope): string {
    const r = this.name("r");
    if (items.length === 0) return op === "AND" ? String(!negated) : String(negated);
    const label = this.name("L");
    s.lines.push(`${s.indent}let ${r};`);
    s.lines.push(`${s.indent}${label}: {`);
    const inner: Scope = { lines: s.lines, indent: `${s.indent}  ` };
    for (const it of items) {
      const t = this.expr(it, inner);
      if (op === "AND") {
        inner.lines.push(
          `${inner.indent}if (${t} !== true) { ${r} = ${t} === false ? ${negated} : undefined; break ${label}; }`,
        );
      } else {
        inner.lines.push(
          `${inner.indent}if (${t} === true) { ${r} = ${!negated}; break ${label}; }`,
        );
      }
    }
    inner.lines.push(`${inner.indent}${r} = ${op === "AND" ? !negated : negated};`);
    s.lines.push(`${s.indent}}`);
    return r;
  }

  private func(name: string, args: readonly Expr[], s: Scope): string {
    const def = lookupFunction(name);
    if (!def) return "undefined";
    this.usesCtx = true;
    const vals = args.map((a) => this.expr(a, s));
    const kinds = this.constant(args.map((a) => staticKind(a, this.env.types)));
    this.fns.push(def);
    const v = this.name("f");
    const argList = vals
      .map((x) => (isSimpleLiteral(x) ? x : `${x} === undefined ? null : ${x}`))
      .join(", ");
    s.lines.push(
      `${s.indent}const ${v} = F[${this.fns.length - 1}].eval([${argList}], ${kinds}, ctx);`,
    );
    return v;
  }

  private include(name: string, negated: boolean, s: Scope): string {
    const fn = this.includeFunction(name);
    if (fn === null) return "undefined";
    const x = this.name("i");
    const v = this.name("j");
    s.lines.push(`${s.indent}const ${x} = ${fn}(p, now, ctx);`);
    const whenNotBool = negated ? "true" : "undefined";
    s.lines.push(
      `${s.indent}const ${v} = typeof ${x} === "boolean" ? ${negated ? `!${x}` : x} : ${whenNotBool};`,
    );
    return v;
  }

  /** The name of the function evaluating an included segment, or null when the segment is unknown. */
  private includeFunction(name: string): string | null {
    const key = includeKey(name);
    const known = this.includeFns.get(key);
    if (known) return known.name;
    const linked = this.env.includes.get(key);
    if (!linked || linked.statement === null) {
      this.includeFns.set(key, { name: null, body: "" });
      return null;
    }
    const entry = { name: `inc${this.includeFns.size}`, body: "" };
    // Registered before its body is generated: the table is acyclic, but the same segment may be
    // included from several places.
    this.includeFns.set(key, entry);
    const filter = linked.statement.filter;
    if (filter === null) entry.body = "  return undefined;";
    else if (filter.type === "Star") entry.body = "  return true;";
    else {
      const scope: Scope = { lines: [], indent: "  " };
      const r = this.expr(filter, scope);
      scope.lines.push(`  return ${r};`);
      entry.body = scope.lines.join("\n");
    }
    return entry.name;
  }
}

const JS_COMPARISON: Partial<Record<BinaryOp, string>> = {
  "==": "===",
  "!=": "!==",
  ">": ">",
  ">=": ">=",
  "<": "<",
  "<=": "<=",
};

function isLiteral(e: Expr): boolean {
  return e.type === "String" || e.type === "Number" || e.type === "Bool" || e.type === "Null";
}

function literalValue(e: Expr): Value {
  switch (e.type) {
    case "String":
    case "Number":
    case "Bool":
      return e.value;
    default:
      return null;
  }
}

/** Whether generated code names a temporary (not a literal or constant). */
function isTemp(code: string): boolean {
  return /^[a-z]\d+$/.test(code);
}

function isSimpleLiteral(code: string): boolean {
  return code === "null" || code === "true" || code === "false" || /^"|^\(?-?\d/.test(code);
}

/** The access without its exact-key step, for the fallback after an inline exact-key read. */
function splitOnly(a: FieldAccess): FieldAccess {
  return { ...a, key: undefined };
}
