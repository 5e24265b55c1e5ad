// Test support for the builtin tables: evaluates qlbridge builtin-call expressions with segwatch's
// own parser and closure compiler, so that the rows of expr/builtins/builtins_test.go can be written
// as they are there ("eq(5,5)", `cast(reg_date AS time)`), plus the fixture those rows read.

import type { Expr } from "../../src/segmentql/ast.ts";
import { compileClosure } from "../../src/segmentql/closures.ts";
import { SegmentQLError } from "../../src/segmentql/errors.ts";
import { parseExpression } from "../../src/segmentql/parser.ts";
import type { FieldType, Kind, OkValue, Value } from "../../src/segmentql/values.ts";

/** The message time of builtins_test.go: "Apr 7, 2014 4:58:55 PM" UTC. */
export const TS = Date.UTC(2014, 3, 7, 16, 58, 55);

export interface Field {
  readonly v: OkValue;
  readonly k?: Kind;
}

/**
 * builtins_test.go's context: its map of strings (one value a string, several a []string) and
 * the User struct. A struct has no counterpart here; Address is a map[string]value instead.
 */
export const FIXTURE: Readonly<Record<string, Field>> = {
  event: { v: "hello" },
  reg_date: { v: "10/13/2014" },
  msdate: { v: "1438445529707" },
  msdate2: { v: "1950-05-08 19:00:00.998" },
  nanodate: { v: "1438445529707123456" },
  microdate: { v: "1950-05-08 19:00:00.999998" },
  microdate2: { v: "2020-05-08 19:00:00.999998" },
  price: { v: "$55" },
  email: { v: "email@email.com" },
  emails: { v: ["email1@email.com", "email2@email.com"] },
  url: { v: "http://www.site.com/membership/all.html" },
  score_amount: { v: "22" },
  tag_name: { v: "bob" },
  tags: { v: ["a", "b", "c", "d"] },
  sval: { v: "event43,event4=63.00,event228" },
  ua: {
    v: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.11 (KHTML, like Gecko) Chrome/23.0.1271.97 Safari/537.11",
  },
  json_field: {
    v: `[{"name":"n1","ct":8,"b":true, "tags":["a","b"]},{"name":"n2","ct":10,"b": false, "tags":["a","b"]}]`,
  },
  json_bad: { v: `[{"name":"bob",},]}` },
  json_object: { v: `{"name":"bob", "city":"portland"}` },
  Name: { v: "Yoda" },
  EmptyName: { v: "" },
  Created: { v: new Date(Date.UTC(2015, 11, 18)), k: "time" },
  Updated: { v: new Date(TS - 3_600_000), k: "time" },
  ZeroTime: { v: new Date(-62135596800000), k: "time" },
  Authenticated: { v: true },
  Roles: { v: ["admin", "api"] },
  EmptyStrings: { v: [], k: "[]string" },
  Labels: { v: ["a", "b", "c", "d", 5, 6, 7], k: "[]value" },
  EmptyLabels: { v: [], k: "[]value" },
  BankAmount: { v: 55.5, k: "number" },
  Address: { v: { City: "Detroit", Zip: 55 }, k: "map[string]value" },
  Floats: { v: { foo: 55.5, foo2: 56.7 }, k: "map[string]number" },
  Hits: { v: { foo: 5, foo2: 5 }, k: "map[string]int" },
  FirstEvent: { v: { signedup: new Date(Date.UTC(2015, 11, 18)) }, k: "map[string]time" },
  Campaigns: { v: { foo: "foo", foo2: "foo2" }, k: "map[string]string" },
};

/** The fixture's declared types, for the fields whose Go type JSON cannot express. */
function fixtureTypes(fields: Readonly<Record<string, Field>>): Record<string, FieldType> {
  const types: Record<string, FieldType> = {};
  for (const [k, f] of Object.entries(fields))
    if (f.k !== undefined && f.k !== "nil") types[k] = f.k;
  return types;
}

/** Parses a builtin-call expression with segwatch's parser; throws SegmentQLError when qlbridge would refuse it. */
export function parseCall(src: string): Expr {
  return parseExpression(src, { strictFunctions: false });
}

/** The parse-time checks (unknown function, arity, validate) of a call; a message when one fails. */
export function validationError(src: string): string | undefined {
  try {
    parseExpression(src, { strictFunctions: true });
    return undefined;
  } catch (err) {
    if (err instanceof SegmentQLError) return err.message;
    throw err;
  }
}

export interface EvalOptions {
  readonly now?: number;
  readonly fields?: Readonly<Record<string, Field>>;
}

/** Evaluates a builtin-call expression against the fixture through the closure compiler; undefined is "not ok". */
export function evalCall(src: string, opts: EvalOptions = {}): Value {
  const fields = opts.fields ?? FIXTURE;
  const profile: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fields)) profile[k] = f.v;
  const evaluate = compileClosure(parseCall(src), {
    types: fixtureTypes(fields),
    includes: new Map(),
  });
  return evaluate({ now: opts.now ?? TS, profile });
}

/** Sentinels for table rows: not ok, and a nil result. */
export const NOT_OK = Symbol("not ok");
export const NIL = Symbol("nil");

export type Want = Value | typeof NOT_OK | typeof NIL;

/** A result in the form the tables compare: [] lists of strings sorted, as the Go test sorts them. */
export function normalize(v: Value, want: Want): unknown {
  if (v === undefined) return NOT_OK;
  if (v === null) return NIL;
  if (Array.isArray(v) && Array.isArray(want) && v.every((x) => typeof x === "string"))
    return [...v].sort();
  return v;
}

export function normalizeWant(want: Want): unknown {
  if (Array.isArray(want) && want.every((x) => typeof x === "string")) return [...want].sort();
  return want;
}

/** One table row: the evaluated expression and the expected value, both normalized. */
export function outcome(
  src: string,
  want: Want,
  opts?: EvalOptions,
): { got: unknown; want: unknown } {
  const v = evalCall(src, opts);
  const got = normalize(v, want);
  if (got instanceof Date)
    return { got: got.getTime(), want: want instanceof Date ? want.getTime() : want };
  return { got, want: normalizeWant(want) };
}
