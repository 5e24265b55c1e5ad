// The contract between the builtin function library and the compiler/evaluators.
//
// A call follows qlbridge's vm.walkFunc: every argument is evaluated first, an argument that is
// not ok arrives as null (qlbridge passes a NilValue), and the function answers a value, null for
// a nil result, or undefined for "not ok" (qlbridge's ok=false or an ErrorValue).

import type { Expr } from "../ast.ts";
import type { Kind, OkValue, Value } from "../values.ts";

export interface FunctionContext {
  /** Epoch ms: the evaluation's "now" (qlbridge's ctx.Ts(), also used where qlbridge reads the wall clock). */
  readonly now: number;
  /**
   * The profile being evaluated: qlbridge's ctx.Row(), which match() scans for key prefixes.
   * Optional: without it match() is not ok.
   */
  readonly profile?: Readonly<Record<string, unknown>>;
}

export interface FunctionDef {
  /** Lower-case canonical name, e.g. "string.uppercase". */
  readonly name: string;
  readonly minArgs: number;
  /** Number.POSITIVE_INFINITY when variadic. */
  readonly maxArgs: number;
  /** The static result kind when it is always the same (e.g. "int" for len, "number" for tonumber). */
  readonly returns?: Kind;
  /**
   * True when the result depends on ctx.now without any argument saying so (now(), yy() with no
   * argument, maptime(x)). Date-math string literals among the arguments are the caller's to see.
   */
  readonly usesNow?: (argCount: number) => boolean;
  /**
   * True when the result reads profile fields that are not among its arguments: match("prefix_")
   * scans every field with that prefix, so a segment using it depends on all of them.
   */
  readonly readsProfile?: boolean;
  /** qlbridge's parse-time validation beyond arity; a message on failure. */
  readonly validate?: (args: readonly Expr[]) => string | undefined;
  eval(args: readonly OkValue[], kinds: readonly (Kind | undefined)[], ctx: FunctionContext): Value;
}

export const VARIADIC = Number.POSITIVE_INFINITY;
