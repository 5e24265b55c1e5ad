// Resolves the INCLUDE references of a segment, transitively, into a table the compiler and the
// analysis share. A cycle is an error; an unknown name is an error unless the caller asks for
// qlbridge's runtime behaviour (the INCLUDE then evaluates as not ok).

import type { Expr, FilterStatement, IncludeExpr } from "./ast.ts";
import { SegmentQLError } from "./errors.ts";
import { parseStatement } from "./parser.ts";

/** Finds a segment by the name an INCLUDE uses (its alias, or an id); a string is parsed. */
export type IncludeResolver = (name: string) => FilterStatement | string | undefined;

export type MissingIncludePolicy = "error" | "not-ok";

export interface LinkOptions {
  readonly includes?: IncludeResolver;
  readonly missingInclude?: MissingIncludePolicy;
  readonly strictFunctions?: boolean;
}

/** An included segment: its filter, or null when the name is unknown and the policy is "not-ok". */
export interface LinkedInclude {
  readonly name: string;
  readonly statement: FilterStatement | null;
}

/** Included segments by lower-cased name. */
export type IncludeTable = ReadonlyMap<string, LinkedInclude>;

export function includeKey(name: string): string {
  return name.toLowerCase();
}

export function linkIncludes(root: FilterStatement, options: LinkOptions): IncludeTable {
  const table = new Map<string, LinkedInclude>();
  const policy = options.missingInclude ?? "error";
  const stack: string[] = root.alias ? [includeKey(root.alias)] : [];

  const visit = (expr: Expr | null): void => {
    forEachInclude(expr, (inc) => {
      const key = includeKey(inc.name);
      if (stack.includes(key)) {
        const path = [...stack.slice(stack.indexOf(key)), key].join(" -> ");
        throw new SegmentQLError("INCLUDE_CYCLE", `INCLUDE cycle: ${path}`, inc.pos);
      }
      if (table.has(key)) return;
      const found = options.includes?.(inc.name) ?? options.includes?.(key);
      if (found === undefined) {
        if (policy === "error") {
          throw new SegmentQLError(
            "UNKNOWN_INCLUDE",
            `unknown segment "${inc.name}" in INCLUDE`,
            inc.pos,
          );
        }
        table.set(key, { name: inc.name, statement: null });
        return;
      }
      let statement: FilterStatement;
      try {
        statement =
          typeof found === "string"
            ? parseStatement(
                found,
                options.strictFunctions === undefined
                  ? undefined
                  : { strictFunctions: options.strictFunctions },
              )
            : found;
      } catch (err) {
        if (err instanceof SegmentQLError) {
          throw new SegmentQLError(
            err.code,
            `in included segment "${inc.name}" at ${err.line}:${err.column}: ${err.detail}`,
            inc.pos,
            { cause: err },
          );
        }
        throw err;
      }
      stack.push(key);
      visit(statement.filter);
      stack.pop();
      table.set(key, { name: inc.name, statement });
    });
  };
  visit(root.filter);
  return table;
}

/** Calls fn for every INCLUDE node in expr (not descending into included segments). */
export function forEachInclude(expr: Expr | null, fn: (inc: IncludeExpr) => void): void {
  walk(expr, (e) => {
    if (e.type === "Include") fn(e);
  });
}

/** Pre-order walk over an expression tree. */
export function walk(expr: Expr | null, fn: (e: Expr) => void): void {
  if (expr === null) return;
  fn(expr);
  switch (expr.type) {
    case "BoolList":
      for (const it of expr.items) walk(it, fn);
      return;
    case "Logical":
    case "Binary":
      walk(expr.left, fn);
      walk(expr.right, fn);
      return;
    case "Not":
    case "Negate":
    case "Exists":
      walk(expr.expr, fn);
      return;
    case "Between":
      walk(expr.expr, fn);
      walk(expr.low, fn);
      walk(expr.high, fn);
      return;
    case "Func":
      for (const a of expr.args) walk(a, fn);
      return;
    case "List":
      for (const it of expr.items) walk(it, fn);
      return;
    case "Array":
      for (const it of expr.items) walk(it, fn);
      return;
    default:
      return;
  }
}
