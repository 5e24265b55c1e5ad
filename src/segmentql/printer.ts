// Prints a syntax tree back to SegmentQL. The output parses back to the same tree (a property test
// holds this), so it is also the canonical form the REST API shows.

import type { Expr, FilterStatement, WithValue } from "./ast.ts";
import { quoteIdentifier, quoteString } from "./lexer.ts";

// Binding strength, loosest first. An operand printed where a tighter level is required gets parens.
const OR = 1;
const AND = 2;
const CMP = 3;
const ADD = 4;
const MUL = 5;
const UNARY = 6;
const BASE = 7;

export function printStatement(stmt: FilterStatement): string {
  const out: string[] = [];
  if (stmt.description !== undefined) {
    for (const line of stmt.description.split("\n")) out.push(`-- ${line}\n`);
  }
  if (stmt.kind === "SELECT") {
    out.push(`SELECT ${(stmt.columns ?? ["*"]).join(", ")}`);
    if (stmt.from !== undefined) out.push(` FROM ${quoteIdentifier(stmt.from)}`);
    out.push(stmt.where ? " WHERE " : " FILTER ");
    out.push(stmt.filter ? printExpr(stmt.filter) : "");
  } else {
    out.push(`FILTER ${stmt.filter ? printExpr(stmt.filter) : ""}`);
    if (stmt.from !== undefined) out.push(` FROM ${quoteIdentifier(stmt.from)}`);
  }
  if (stmt.limit !== undefined) out.push(` LIMIT ${stmt.limit}`);
  if (stmt.with !== undefined) out.push(` WITH ${printWith(stmt.with)}`);
  if (stmt.alias !== undefined) out.push(` ALIAS ${quoteIdentifier(stmt.alias)}`);
  return out.join("");
}

function printWith(props: Readonly<Record<string, WithValue>>): string {
  const entries = Object.entries(props);
  const simple = entries.every(
    ([k, v]) =>
      /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) &&
      (v === null || typeof v !== "object") &&
      quoteIdentifier(k) === k,
  );
  if (!simple || entries.length === 0) return JSON.stringify(props);
  return entries
    .map(
      ([k, v]) =>
        `${k} = ${typeof v === "string" ? quoteString(v) : v === null ? "NULL" : String(v)}`,
    )
    .join(", ");
}

export function printExpr(e: Expr): string {
  return print(e, OR, false);
}

function level(e: Expr): number {
  switch (e.type) {
    case "Logical":
      return e.op === "OR" ? OR : AND;
    case "Not":
    case "Between":
      return CMP;
    case "Binary":
      switch (e.op) {
        case "+":
        case "-":
          return ADD;
        case "*":
        case "/":
        case "%":
          return MUL;
        default:
          return CMP;
      }
    case "Include":
    case "BoolList":
      return e.negated ? CMP : BASE;
    case "Negate":
    case "Exists":
      return UNARY;
    default:
      return BASE;
  }
}

/**
 * @param min the loosest level allowed here without parentheses
 * @param inList inside `AND ( ... )`, where `AND (` would start the next item
 */
function print(e: Expr, min: number, inList: boolean): string {
  const text = printBare(e);
  const needsParens = level(e) < min || (inList && e.type === "Logical");
  return needsParens ? `(${text})` : text;
}

function printBare(e: Expr): string {
  switch (e.type) {
    case "BoolList": {
      const items = e.items.map((it) => print(it, OR, true));
      const body = items.length === 0 ? `${e.op} ( )` : `${e.op} ( ${items.join(", ")} )`;
      return e.negated ? `NOT ${body}` : body;
    }
    case "Logical":
      return `${print(e.left, e.op === "OR" ? OR : AND, false)} ${e.op} ${print(e.right, e.op === "OR" ? AND : CMP, false)}`;
    case "Not": {
      // NOT followed by a call negates only the call, so a comparison that starts with one needs parens.
      const inner = e.expr;
      const wrap = level(inner) < CMP || (level(inner) === CMP && startsWithCall(inner));
      return `NOT ${wrap ? `(${printBare(inner)})` : print(inner, CMP, false)}`;
    }
    case "Binary": {
      const lv = level(e);
      switch (e.op) {
        case "IN":
        case "INTERSECTS":
          return `${print(e.left, ADD, false)} ${e.op} ${printSetOperand(e.right)}`;
        case "+":
        case "-":
        case "*":
        case "/":
        case "%":
          return `${print(e.left, lv, false)} ${e.op} ${print(e.right, lv + 1, false)}`;
        default:
          return `${print(e.left, ADD, false)} ${e.op} ${print(e.right, ADD, false)}`;
      }
    }
    case "Between":
      return `${print(e.expr, ADD, false)} ${e.negated ? "NOT BETWEEN" : "BETWEEN"} ${print(e.low, ADD, false)} AND ${print(e.high, ADD, false)}`;
    case "Exists":
      return `EXISTS ${print(e.expr, BASE, false)}`;
    case "Include":
      return `${e.negated ? "NOT " : ""}INCLUDE ${/^\d/.test(e.name) && /^[A-Za-z0-9_]+$/.test(e.name) ? e.name : quoteIdentifier(e.name)}`;
    case "Func":
      return `${e.name}(${e.args.map((a) => print(a, OR, false)).join(", ")})`;
    case "Ident":
      if (e.parts) return `${backtick(e.parts[0])}.${backtick(e.parts[1])}`;
      return e.quoted ? backtick(e.name) : quoteIdentifier(e.name);
    case "String":
      return quoteString(e.value);
    case "Number":
      return e.text;
    case "Bool":
      return e.value ? "true" : "false";
    case "Null":
      return "NULL";
    case "Star":
      return e.text === "*" ? "*" : "match_all";
    case "Array":
      return `[${e.items.map((it) => printBare(it)).join(", ")}]`;
    case "List":
      return `(${e.items.map((it) => print(it, OR, false)).join(", ")})`;
    case "Negate":
      // Only names and calls follow the minus bare: `-5` would read back as a literal, `--x` as a comment.
      return e.expr.type === "Ident" || e.expr.type === "Func"
        ? `-${printBare(e.expr)}`
        : `-(${printBare(e.expr)})`;
  }
}

function printSetOperand(e: Expr): string {
  switch (e.type) {
    case "List":
    case "Array":
    case "Ident":
    case "Func":
    case "String":
      return printBare(e);
    default:
      // Any other operand is read back as a one-element list; say so explicitly.
      return `(${printBare(e)})`;
  }
}

function startsWithCall(e: Expr): boolean {
  switch (e.type) {
    case "Func":
      return true;
    case "Binary":
      return startsWithCall(e.left);
    case "Between":
      return startsWithCall(e.expr);
    default:
      return false;
  }
}

function backtick(name: string): string {
  if (!name.includes("`")) return `\`${name}\``;
  if (!name.includes("'")) return `'${name}'`;
  return `[${name}]`;
}
