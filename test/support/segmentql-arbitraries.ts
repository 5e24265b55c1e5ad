// fast-check generators for SegmentQL trees, profiles and schemas, shared by the property tests.
// Trees are generated in the normal form the parser produces (NOT folded into INCLUDE, lists and
// BETWEEN; no one-item lists), so that "print then parse" can be compared for equality.

import fc from "fast-check";
import type {
  Expr,
  FilterStatement,
  NumberLit,
  Position,
  StringLit,
} from "../../src/segmentql/ast.ts";
import type { FieldType } from "../../src/segmentql/values.ts";

const P: Position = { offset: 0, line: 1, column: 1 };

export const FIELD_NAMES = [
  "a",
  "b",
  "c",
  "score",
  "name",
  "tags",
  "d",
  "t",
  "m",
  "first-name",
  "x.y",
] as const;
export const MAP_FIELD = "m";
const MAP_KEYS = ["k", "n", "z"];
export const INCLUDE_NAMES = ["inc_a", "inc_b"] as const;

const STRINGS = [
  "",
  "x",
  "t",
  "f",
  "5",
  "5.5",
  "abc",
  "Abc",
  "a*c",
  "now-1d",
  "2020-01-02T03:04:05Z",
  "true",
  "a b",
  'q"uote',
  "back\\slash",
];

export const stringLit: fc.Arbitrary<StringLit> = fc
  .constantFrom(...STRINGS)
  .map((value) => ({ type: "String", value, pos: P }));

export const intLit: fc.Arbitrary<NumberLit> = fc
  .integer({ min: -20, max: 100 })
  .map((value) => ({ type: "Number", value, isInt: true, text: String(value), pos: P }));

const smallIntLit: fc.Arbitrary<NumberLit> = fc
  .integer({ min: -1, max: 6 })
  .map((value) => ({ type: "Number", value, isInt: true, text: String(value), pos: P }));

const floatLit: fc.Arbitrary<NumberLit> = fc
  .constantFrom(1.5, -2.25, 0.5, 99.9, 5.5)
  .map((value) => ({ type: "Number", value, isInt: false, text: String(value), pos: P }));

const literal: fc.Arbitrary<Expr> = fc.oneof(
  { weight: 4, arbitrary: stringLit },
  { weight: 3, arbitrary: intLit },
  { weight: 1, arbitrary: floatLit },
  { weight: 1, arbitrary: fc.boolean().map((value): Expr => ({ type: "Bool", value, pos: P })) },
  { weight: 1, arbitrary: fc.constant<Expr>({ type: "Null", pos: P }) },
);

export const ident: fc.Arbitrary<Expr> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .constantFrom(...FIELD_NAMES)
      .map((name): Expr => ({ type: "Ident", name, quoted: false, pos: P })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...MAP_KEYS)
      .map((k): Expr => ({ type: "Ident", name: `${MAP_FIELD}.${k}`, quoted: false, pos: P })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom("a", "with space")
      .map((name): Expr => ({ type: "Ident", name, quoted: true, pos: P })),
  },
);

const arrayLit: fc.Arbitrary<Expr> = fc
  .array(
    fc.oneof(
      stringLit,
      intLit.map((n): NumberLit => ({ ...n, isInt: false })),
    ),
    { maxLength: 3 },
  )
  .map((items): Expr => ({ type: "Array", items, pos: P }));

const listOf = (item: fc.Arbitrary<Expr>): fc.Arbitrary<Expr> =>
  fc.array(item, { maxLength: 4 }).map((items): Expr => ({ type: "List", items, pos: P }));

/** Functions with their arities; all are qlbridge builtins. */
const FUNCTIONS: readonly [string, number][] = [
  ["tolower", 1],
  ["len", 1],
  ["eq", 2],
  ["contains", 2],
  ["hasprefix", 2],
  ["toint", 1],
  ["exists", 1],
  ["oneof", 2],
];

const valueOperand = (depth: number): fc.Arbitrary<Expr> =>
  depth <= 0
    ? fc.oneof({ weight: 3, arbitrary: ident }, { weight: 3, arbitrary: literal })
    : fc.oneof(
        { weight: 4, arbitrary: ident },
        { weight: 4, arbitrary: literal },
        { weight: 1, arbitrary: funcCall(depth - 1) },
        {
          weight: 1,
          arbitrary: fc
            .record({
              op: fc.constantFrom("+", "-", "*", "/", "%" as const),
              left: valueOperand(depth - 1),
              right: valueOperand(depth - 1),
            })
            .map(({ op, left, right }): Expr => ({ type: "Binary", op, left, right, pos: P })),
        },
        { weight: 1, arbitrary: ident.map((expr): Expr => ({ type: "Negate", expr, pos: P })) },
      );

const funcCall = (depth: number): fc.Arbitrary<Expr> =>
  fc
    .constantFrom(...FUNCTIONS)
    .chain(([name, arity]) =>
      fc
        .array(valueOperand(depth), { minLength: arity, maxLength: arity })
        .map((args): Expr => ({ type: "Func", name, args, pos: P })),
    );

const comparison = (depth: number): fc.Arbitrary<Expr> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .record({
          op: fc.constantFrom("==", "!=", ">", ">=", "<", "<=", "LIKE", "CONTAINS" as const),
          left: valueOperand(depth),
          right: valueOperand(depth),
        })
        .map(({ op, left, right }): Expr => ({ type: "Binary", op, left, right, pos: P })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({
          op: fc.constantFrom("IN", "INTERSECTS" as const),
          left: valueOperand(depth),
          right: fc.oneof(listOf(literal), arrayLit, ident),
        })
        .map(({ op, left, right }): Expr => ({ type: "Binary", op, left, right, pos: P })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ negated: fc.boolean(), expr: ident, low: literal, high: literal })
        .map((r): Expr => ({ type: "Between", ...r, pos: P })),
    },
    { weight: 1, arbitrary: ident.map((expr): Expr => ({ type: "Exists", expr, pos: P })) },
    {
      weight: 1,
      arbitrary: fc
        .record({ negated: fc.boolean(), name: fc.constantFrom(...INCLUDE_NAMES) })
        .map((r): Expr => ({ type: "Include", ...r, pos: P })),
    },
    { weight: 1, arbitrary: funcCall(Math.max(0, depth - 1)) },
  );

/** `AND ( … )` / `OR ( … )`, negated or not, over the given item lists. */
const boolList = (items: fc.Arbitrary<readonly Expr[]>): fc.Arbitrary<Expr> =>
  fc
    .record({ op: fc.constantFrom("AND", "OR" as const), negated: fc.boolean(), items })
    .map((r): Expr => ({ type: "BoolList", ...r, pos: P }));

/** Infix `a AND b` / `a OR b`. */
const logical = (sub: fc.Arbitrary<Expr>): fc.Arbitrary<Expr> =>
  fc
    .record({ op: fc.constantFrom("AND", "OR" as const), left: sub, right: sub })
    .map((r): Expr => ({ type: "Logical", ...r, pos: P }));

/** A boolean-valued expression: comparisons combined with lists, NOT and infix AND/OR. */
export const condition = (depth: number, includes = true): fc.Arbitrary<Expr> => {
  const leaf = includes ? comparison(depth) : comparison(depth).filter((e) => e.type !== "Include");
  if (depth <= 0) return leaf;
  const sub = condition(depth - 1, includes);
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    {
      weight: 2,
      arbitrary: boolList(fc.oneof(fc.constant([]), fc.array(sub, { minLength: 2, maxLength: 4 }))),
    },
    {
      weight: 1,
      arbitrary: sub
        .filter((e) => e.type !== "Include" && e.type !== "BoolList" && e.type !== "Between")
        .map((expr): Expr => ({ type: "Not", expr, pos: P })),
    },
    {
      weight: 1,
      arbitrary: logical(sub),
    },
  );
};

/** A field compared with a literal or a list of literals: a condition list's comparison. */
const fieldComparison: fc.Arbitrary<Expr> = (() => {
  // Literals from the values comparisonProfile holds, so that ties and matches are common.
  const near = fc.oneof(
    { weight: 2, arbitrary: stringLit },
    { weight: 2, arbitrary: smallIntLit },
    { weight: 1, arbitrary: floatLit },
    { weight: 1, arbitrary: literal },
  );
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .record({
          op: fc.constantFrom("==", "!=", ">", ">=", "<", "<=", "LIKE", "CONTAINS" as const),
          left: ident,
          right: near,
        })
        .map(({ op, left, right }): Expr => ({ type: "Binary", op, left, right, pos: P })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({
          op: fc.constantFrom("IN", "INTERSECTS" as const),
          left: ident,
          right: listOf(fc.oneof(stringLit, smallIntLit, floatLit)),
        })
        .map(({ op, left, right }): Expr => ({ type: "Binary", op, left, right, pos: P })),
    },
  );
})();

const andOf = (item: fc.Arbitrary<Expr>) =>
  fc
    .array(item, { minLength: 2, maxLength: 4 })
    .map((items): Expr => ({ type: "BoolList", op: "AND", negated: false, items, pos: P }));

/**
 * The evaluator's most common shape: field comparisons, alone or in (nested) plain AND lists.
 * Dotted, quoted and declared fields are among them.
 */
export const fieldComparisonConjunction: fc.Arbitrary<Expr> = fc.oneof(
  { weight: 1, arbitrary: fieldComparison },
  { weight: 4, arbitrary: andOf(fieldComparison) },
  { weight: 1, arbitrary: andOf(fc.oneof(fieldComparison, andOf(fieldComparison))) },
);

/**
 * Everything the "conditions" backend takes: field comparisons combined with AND and OR lists
 * (negated or not, empty or not), NOT and infix AND/OR, nested `depth` deep.
 */
export function fieldComparisonTree(depth: number): fc.Arbitrary<Expr> {
  if (depth <= 0) return fieldComparison;
  const sub = fieldComparisonTree(depth - 1);
  return fc.oneof(
    { weight: 2, arbitrary: fieldComparison },
    {
      weight: 3,
      arbitrary: boolList(
        fc.oneof(
          { weight: 1, arbitrary: fc.constant([]) },
          { weight: 6, arbitrary: fc.array(sub, { minLength: 1, maxLength: 4 }) },
        ),
      ),
    },
    { weight: 1, arbitrary: sub.map((expr): Expr => ({ type: "Not", expr, pos: P })) },
    {
      weight: 1,
      arbitrary: logical(sub),
    },
  );
}

export const filterStatement: fc.Arbitrary<FilterStatement> = fc
  .record({
    filter: fc.oneof(
      { weight: 20, arbitrary: condition(3) },
      { weight: 1, arbitrary: fc.constant<Expr>({ type: "Star", text: "*", pos: P }) },
    ),
    from: fc.option(fc.constantFrom("user", "content"), { nil: undefined }),
    limit: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    alias: fc.option(fc.constantFrom("seg_one", "paying_users"), { nil: undefined }),
    description: fc.option(fc.constantFrom("Paying users", "first line\nsecond line"), {
      nil: undefined,
    }),
  })
  .map((r) => {
    const stmt: { -readonly [K in keyof FilterStatement]: FilterStatement[K] } = {
      kind: "FILTER",
      filter: r.filter,
    };
    if (r.from !== undefined) stmt.from = r.from;
    if (r.limit !== undefined) stmt.limit = r.limit;
    if (r.alias !== undefined) stmt.alias = r.alias;
    if (r.description !== undefined) stmt.description = r.description;
    return stmt;
  });

const jsonScalar = fc.oneof(
  fc.constantFrom(...STRINGS),
  fc.integer({ min: -20, max: 100 }),
  fc.constantFrom(1.5, -2.25, 5.5, 0.5),
  fc.boolean(),
  fc.constant(null),
);

const jsonValue = fc.oneof(
  { weight: 6, arbitrary: jsonScalar },
  { weight: 1, arbitrary: fc.array(fc.constantFrom("x", "abc", "t", "5"), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(jsonScalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...MAP_KEYS), jsonScalar, { maxKeys: 3 }) },
);

/** A JSON profile over the generated field names (any may be absent). */
export const profile: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.constantFrom(...FIELD_NAMES, "with space"),
  jsonValue,
  { maxKeys: 8 },
);

/** A profile whose values are mostly those fieldComparisonConjunction compares with. */
export const comparisonProfile: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.constantFrom(...FIELD_NAMES, "with space"),
  fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: -1, max: 6 }) },
    { weight: 3, arbitrary: fc.constantFrom(...STRINGS) },
    { weight: 1, arbitrary: fc.constantFrom(1.5, -2.25, 5.5, 0.5, 99.9) },
    { weight: 2, arbitrary: jsonValue },
  ),
  { minKeys: 3, maxKeys: 10 },
);

/** A schema declaring some of the generated fields. */
export const fieldTypes: fc.Arbitrary<Record<string, FieldType>> = fc.dictionary(
  fc.constantFrom("a", "b", "score", "d", "t", "tags", "m"),
  fc.constantFrom<FieldType>(
    "string",
    "int",
    "number",
    "bool",
    "time",
    "[]string",
    "[]value",
    "map[string]int",
    "map[string]string",
  ),
  { maxKeys: 3 },
);

/** Removes positions (and other layout-only facts) so trees can be compared for equality. */
export function stripPositions<T>(node: T): T {
  if (Array.isArray(node)) return node.map(stripPositions) as T;
  if (node && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) if (k !== "pos") out[k] = stripPositions(v);
    return out as T;
  }
  return node;
}
