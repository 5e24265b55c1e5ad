// expr/builtins/json.go: json.jmespath(json, "expression"). The expression must be a string
// literal that compiles (checked at parse time); a map or list argument is searched as the JSON
// it marshals to, anything else as the JSON text of its string form.

import type { Expr } from "../ast.ts";
import { formatGoLayout } from "../gotime.ts";
import { isNil, type Kind, type OkValue, type Value } from "../values.ts";
import { goString, goTimeOf, isMapKind, kindAt } from "./common.ts";
import { compileJmes, type Json } from "./jmespath.ts";
import type { FunctionDef } from "./registry.ts";

const compiled = new Map<string, ((data: Json) => Json) | null>();

function compile(expression: string): ((data: Json) => Json) | null {
  let f = compiled.get(expression);
  if (f !== undefined) return f;
  try {
    f = compileJmes(expression);
  } catch {
    f = null;
  }
  if (compiled.size > 1000) compiled.clear();
  compiled.set(expression, f);
  return f;
}

// json.Marshal of a value.Value: times as RFC 3339 with nanoseconds, non-finite numbers as strings.
function marshal(v: Value): Json {
  if (v === undefined || v === null) return null;
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
    return v;
  }
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (v instanceof Date) return formatGoLayout(goTimeOf(v), "2006-01-02T15:04:05.999999999Z07:00");
  if (Array.isArray(v)) return v.map(marshal);
  const out: { [k: string]: Json } = {};
  for (const [k, e] of Object.entries(v)) out[k] = marshal(e);
  return out;
}

function searchInput(v: OkValue, k: Kind): Json | undefined {
  if (isMapKind(k) || Array.isArray(v)) return marshal(v);
  try {
    return JSON.parse(goString(v, k)) as Json;
  } catch {
    return undefined;
  }
}

function validate(args: readonly Expr[]): string | undefined {
  const e = args[1]!;
  if (e.type !== "String") return "the JMESPath expression must be a string literal";
  if (compile(e.value) === null) return `invalid JMESPath expression ${JSON.stringify(e.value)}`;
  return undefined;
}

export const JSON_FUNCTIONS: readonly FunctionDef[] = [
  {
    name: "json.jmespath",
    minArgs: 2,
    maxArgs: 2,
    validate,
    eval(args, kinds) {
      const v = args[0]!;
      if (isNil(v)) return undefined;
      const search = compile(goString(args[1], kindAt(args, kinds, 1)));
      if (!search) return undefined;
      const data = searchInput(v, kindAt(args, kinds, 0));
      if (data === undefined) return undefined;
      try {
        // value.NewValue of the result; JSON null is a nil value.
        return search(data) as Value;
      } catch {
        return undefined;
      }
    },
  },
];
