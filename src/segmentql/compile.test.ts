import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  comparisonProfile,
  condition,
  fieldComparisonConjunction,
  fieldComparisonTree,
  fieldTypes,
  filterStatement,
  INCLUDE_NAMES,
  profile,
} from "../../test/support/segmentql-arbitraries.ts";
import type { Expr, FilterStatement } from "./ast.ts";
import { compileClosure } from "./closures.ts";
import { compileGenerated } from "./codegen.ts";
import { compileSegment } from "./compile.ts";
import { compileConditionList } from "./condition-list.ts";
import { linkIncludes } from "./link.ts";
import { parseStatement } from "./parser.ts";
import { printExpr, printStatement } from "./printer.ts";
import type { FieldType } from "./values.ts";

const NOW = Date.parse("2026-03-10T12:00:00Z");
const P = { offset: 0, line: 1, column: 1 };

/** Two fixed included segments for generated INCLUDEs: one ok, one that can be not ok. */
const LIBRARY: Record<string, string> = {
  inc_a: 'FILTER a == "x"',
  inc_b: 'FILTER AND ( score > 10, name > "abc" )',
};
const includes = (name: string) => LIBRARY[name.toLowerCase()];

describe("compileSegment", () => {
  it("evaluates the brief's segment", () => {
    const seg = compileSegment(
      '-- Paying Users Segment\nFILTER AND ( paying_user = "t" ) FROM user ALIAS demo_segment',
    );
    expect(seg.alias).toBe("demo_segment");
    expect(seg.matches({ paying_user: "t", user_id: "user123" })).toBe(true);
    expect(seg.matches({ paying_user: "f", user_id: "user123" })).toBe(false);
    expect(seg.matches({ paying_user: true })).toBe(false);
    expect([...seg.fields.names]).toEqual(["paying_user"]);
    expect(seg.timeDependent).toBe(false);
  });

  it("applies declared types: a date compares as a date only in a time field", () => {
    const ql = 'FILTER d > "2026-01-01"';
    const profileWithDate = { d: "2026-02-01T00:00:00Z" };
    expect(compileSegment(ql).matches(profileWithDate, NOW)).toBe(false);
    expect(compileSegment(ql, { types: { d: "time" } }).matches(profileWithDate, NOW)).toBe(true);
    expect(
      compileSegment(ql, { types: { d: "time" } }).matches(
        { d: Date.parse("2026-02-01T00:00:00Z") },
        NOW,
      ),
    ).toBe(true);
  });

  it("expands INCLUDEs into fields and refuses cycles and unknown names", () => {
    const lib: Record<string, string> = {
      a: "FILTER x == 1 AND INCLUDE b ALIAS a",
      b: "FILTER y == 2 ALIAS b",
      c: "FILTER INCLUDE d ALIAS c",
      d: "FILTER INCLUDE c ALIAS d",
    };
    const seg = compileSegment("FILTER INCLUDE a AND z == 3", { includes: (n) => lib[n] });
    expect([...seg.fields.names].sort()).toEqual(["x", "y", "z"]);
    expect(seg.includes).toEqual(["b", "a"]);
    expect(seg.matches({ x: 1, y: 2, z: 3 })).toBe(true);
    expect(seg.matches({ x: 1, y: 3, z: 3 })).toBe(false);
    expect(() => compileSegment("FILTER INCLUDE c", { includes: (n) => lib[n] })).toThrow(
      /INCLUDE cycle: c -> d -> c/,
    );
    expect(() => compileSegment("FILTER INCLUDE nope", { includes: (n) => lib[n] })).toThrow(
      /^1:8: unknown segment "nope"/,
    );
    const lenient = compileSegment("FILTER NOT INCLUDE nope", { missingInclude: "not-ok" });
    expect(lenient.matches({})).toBe(false);
  });

  it("reports an error inside an included segment at the INCLUDE", () => {
    expect(() =>
      compileSegment("FILTER x == 1 AND INCLUDE bad", { includes: () => "FILTER y ==" }),
    ).toThrow(
      /^1:19: in included segment "bad" at 1:12: expected a value after "==", found end of input/,
    );
  });
});

/** Generated code and closures must agree on every tree, profile and schema. */
describe("backends agree (differential property)", () => {
  it("generated code matches the closure reference", () => {
    fc.assert(
      fc.property(
        filterStatement,
        fc.array(profile, { minLength: 1, maxLength: 5 }),
        fieldTypes,
        (stmt, profiles, types) => {
          const gen = compileSegment(stmt, { types, includes });
          const ref = compileSegment(stmt, { types, includes, backend: "closures" });
          for (const p of profiles) {
            expect(gen.matches(p, NOW), `${printStatement(stmt)}\n${JSON.stringify(p)}`).toBe(
              ref.matches(p, NOW),
            );
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("the condition list matches the closure reference, on plain and prototype-less profiles", () => {
    const statement = fc.oneof(
      { weight: 3, arbitrary: fieldComparisonConjunction.map((filter) => ({ filter })) },
      { weight: 3, arbitrary: fieldComparisonTree(3).map((filter) => ({ filter })) },
      { weight: 1, arbitrary: filterStatement },
    );
    fc.assert(
      fc.property(
        statement,
        fc.array(fc.oneof(comparisonProfile, profile), { minLength: 1, maxLength: 5 }),
        fc.oneof(fc.constant({}), fieldTypes),
        ({ filter }, profiles, types) => {
          const stmt: FilterStatement = { kind: "FILTER", filter };
          const list = compileSegment(stmt, { types, includes, backend: "conditions" });
          const ref = compileSegment(stmt, { types, includes, backend: "closures" });
          for (const p of profiles) {
            const dictionary = Object.assign(Object.create(null), p);
            const context = `${printStatement(stmt)}\n${JSON.stringify(p)}`;
            expect(list.matches(p, NOW), context).toBe(ref.matches(p, NOW));
            expect(list.matches(dictionary, NOW), context).toBe(ref.matches(p, NOW));
          }
        },
      ),
      { numRuns: 4000 },
    );
  });

  it("the condition list takes every AND, OR and NOT of field comparisons", () => {
    const env = { types: {}, includes: new Map() };
    fc.assert(
      fc.property(fieldComparisonTree(3), (filter) => {
        expect(compileConditionList(filter, env), printExpr(filter)).toBeTypeOf("function");
      }),
    );
  });
});

describe("condition list", () => {
  const env = { types: { typed: "int" as const }, includes: new Map() };
  const listFor = (ql: string) => compileConditionList(parseStatement(ql).filter, env);

  it("takes ANDs, ORs and NOTs of fields against literals", () => {
    for (const ql of [
      'FILTER OR ( plan = "pro", AND ( trial = true, NOT score < 10 ) )',
      "FILTER NOT AND ( a > 1, b > 1 )",
      'FILTER NOT OR ( a > 1, b IN ("x", "y") )',
      "FILTER a > 1 OR b > 1",
      'FILTER AND ( a > 1, b == 2 || c == 3, d != "x" && e != "y" )',
      'FILTER plan = "pro"',
      'FILTER AND ( plan = "pro", score > 50, country IN ("US", "CA"), email CONTAINS "@acme" )',
      'FILTER AND ( AND ( a LIKE "x*", b != 2.5 ), c INTERSECTS (1, 2), d == true, e != NULL )',
      "FILTER AND ( typed > 1, m.k > 1, `m`.`k` > 2, toString > 1 )",
    ])
      expect(listFor(ql), ql).toBeTypeOf("function");
  });

  it("leaves every other filter to generated code", () => {
    for (const ql of [
      "FILTER OR ( a > 1, EXISTS b )",
      "FILTER NOT AND ( a > 1, INCLUDE b )",
      "FILTER AND ( a > 1, b > c )",
      "FILTER NOT a BETWEEN 1 AND 5",
      "FILTER a > 1 + 1",
      "FILTER a % 2",
      "FILTER NOT (a - 1)",
      "FILTER b > 1 OR a * 2",
      "FILTER a BETWEEN 1 AND 5",
      "FILTER EXISTS a",
      "FILTER *",
    ])
      expect(listFor(ql), ql).toBeUndefined();
  });

  it("agrees with the closure reference on every operator, literal, value kind and field type", () => {
    const values: unknown[] = [
      undefined,
      null,
      0,
      1,
      2,
      2.5,
      -1,
      "",
      "a",
      "ab",
      "ba",
      "b",
      "1",
      "2",
      "2.5",
      true,
      false,
      ["a", "b"],
      [1, 2],
      { k: 1 },
      "2026-03-10T11:00:00Z",
      "now-1h",
    ];
    const literals = [
      "1",
      "2",
      "2.5",
      "-1",
      "0",
      '"a"',
      '"b"',
      '""',
      '"2"',
      '"a*"',
      '"*a"',
      "true",
      "NULL",
      '"now-2h"',
      '("a", "b")',
      "(1, 2)",
      '(1, "a")',
      "(2.5)",
    ];
    const ops = ["==", "!=", ">", ">=", "<", "<=", "LIKE", "CONTAINS", "IN", "INTERSECTS"];
    const declared: (FieldType | undefined)[] = [
      undefined,
      "int",
      "number",
      "string",
      "bool",
      "time",
    ];
    let compared = 0;
    for (const type of declared) {
      const types: Record<string, FieldType> = type === undefined ? {} : { x: type };
      for (const op of ops)
        for (const literal of literals) {
          const list = literal.startsWith("(");
          if (list !== (op === "IN" || op === "INTERSECTS")) continue;
          const comparison = parseStatement(`FILTER x ${op} ${literal}`).filter!;
          const other = parseStatement('FILTER y != "never"').filter!;
          // Plain, then in the forms where false and "not ok" differ: NOT, and a negated OR.
          const forms: Expr[] = [
            { type: "BoolList", op: "AND", negated: false, items: [comparison, other], pos: P },
            { type: "Not", expr: comparison, pos: P },
            { type: "BoolList", op: "OR", negated: true, items: [comparison], pos: P },
          ];
          for (const filter of forms) {
            const m = compileConditionList(filter, { types, includes: new Map() });
            const ql = printExpr(filter);
            expect(m, ql).toBeTypeOf("function");
            const ref = compileSegment({ kind: "FILTER", filter }, { types, backend: "closures" });
            for (const v of values) {
              const p = v === undefined ? {} : { x: v };
              const context = `${ql} with ${JSON.stringify(v)} as ${type}`;
              expect(m!(p, NOW), context).toBe(ref.matches(p, NOW));
              compared++;
            }
          }
        }
    }
    expect(compared).toBeGreaterThan(9000);
  });

  it("evaluates the brief's segment", () => {
    const m = listFor('FILTER AND ( paying_user = "t" ) FROM user ALIAS demo_segment')!;
    expect(m({ paying_user: "t" }, NOW)).toBe(true);
    expect(m({ paying_user: "f" }, NOW)).toBe(false);
    expect(m({ paying_user: true }, NOW)).toBe(false);
    expect(m({}, NOW)).toBe(false);
  });
});

function value(expr: Expr, p: Record<string, unknown>, types: Record<string, string> = {}) {
  const stmt: FilterStatement = { kind: "FILTER", filter: expr };
  const table = linkIncludes(stmt, { includes });
  return compileClosure(expr, { types: types as never, includes: table })({ profile: p, now: NOW });
}

describe("language properties", () => {
  it("NOT inverts a defined result", () => {
    fc.assert(
      fc.property(condition(2), profile, (e, p) => {
        const v = value(e, p);
        const notV = value({ type: "Not", expr: e, pos: P }, p);
        if (typeof v === "boolean") expect(notV, printExpr(e)).toBe(!v);
        else expect(notV, printExpr(e)).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });

  it("INCLUDE equals inlining the included filter", () => {
    fc.assert(
      fc.property(condition(2, false), condition(2, false), profile, (outer, inner, p) => {
        const lib = (name: string) =>
          name.toLowerCase() === "inc_x" ? { kind: "FILTER" as const, filter: inner } : undefined;
        const via = compileSegment(`FILTER AND ( ${printExpr(outer)}, INCLUDE inc_x )`, {
          includes: lib,
        });
        const inlined = compileSegment(`FILTER AND ( ${printExpr(outer)}, (${printExpr(inner)}) )`);
        expect(via.matches(p, NOW), printExpr(inner)).toBe(inlined.matches(p, NOW));
        // NOT INCLUDE differs from NOT (...) only where the included filter is not ok (vm.walkInclude).
        const v = value(inner, p);
        const notVia = compileSegment("FILTER NOT INCLUDE inc_x", { includes: lib }).matches(
          p,
          NOW,
        );
        expect(notVia).toBe(typeof v === "boolean" ? !v : true);
      }),
      { numRuns: 2000 },
    );
  });

  it("generated INCLUDE names resolve against the library", () => {
    for (const name of INCLUDE_NAMES) expect(includes(name)).toBeDefined();
    const e = parseStatement("FILTER INCLUDE inc_b").filter!;
    // Strings have no order in qlbridge: `name > "abc"` is not ok, and so is the INCLUDE.
    expect(value(e, { score: 11, name: "ABC" })).toBeUndefined();
    expect(value(e, { score: 5, name: "ABC" })).toBe(false);
    expect(
      value({ type: "Include", negated: true, name: "inc_b", pos: P }, { score: 11, name: "ABC" }),
    ).toBe(true);
  });

  it("generated code treats names and strings as data", () => {
    const name = 'a"];globalThis.pwned=1;//';
    const text = `b');globalThis.pwned=2;//\u2028"`.replace('"', "");
    const stmt = parseStatement(`FILTER \`${name}\` == "${text}"`);
    const { match } = compileGenerated(stmt.filter, { types: undefined, includes: new Map() });
    expect(match({ [name]: text }, NOW)).toBe(true);
    expect(match({ [name]: "other" }, NOW)).toBe(false);
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });
});
