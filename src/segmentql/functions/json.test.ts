import { describe, expect, it } from "vitest";
import {
  evalCall,
  NIL,
  NOT_OK,
  outcome,
  validationError,
  type Want,
} from "../../../test/support/segmentql-builtins.ts";
import { compileJmes, type Json } from "./jmespath.ts";

// Rows of expr/builtins/builtins_test.go (builtinTests): json.jmespath.
const ROWS: [string, Want][] = [
  ["json.jmespath(json_field, \"[?name == 'n1'].name | [0]\")", "n1"],
  ['json.jmespath(json_field, "[?b].ct | [0]")', 8],
  ['json.jmespath(json_field, "[?b].b | [0]")', true],
  ['json.jmespath(json_field, "[?b].tags | [0]")', ["a", "b"]],
  ['json.jmespath(not_field, "[?b].tags | [0]")', NOT_OK],
  ['json.jmespath(json_object, "name")', "bob"],
];

describe("json.jmespath (builtins_test.go)", () => {
  it.each(ROWS)("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  // In Go these rows fail to parse (Validate compiles the expression), so they never evaluate.
  it.each([
    'json.jmespath(json_field, "[?b].tags | [0 ")',
    'json.jmespath(json_bad, "[?b].tags | [0 ")',
    "json.jmespath(json_field)",
    "json.jmespath(json_field, 1)",
    'json.jmespath(json_bad, "")',
  ])("rejects %s at parse time", (src) => {
    expect(validationError(src)).toBeDefined();
  });

  it("is not ok for text that is not JSON", () => {
    expect(evalCall('json.jmespath(json_bad, "name")')).toBeUndefined();
  });
});

describe("json.jmespath beyond the Go table", () => {
  it.each<[string, Want]>([
    ['json.jmespath(json_object, "missing")', NIL],
    ['json.jmespath(Address, "City")', "Detroit"],
    ['json.jmespath(tags, "[1]")', "b"],
    ['json.jmespath(Labels, "[-1]")', 7],
    ['json.jmespath(Created, "@")', Date.UTC(2015, 11, 18)],
    ['json.jmespath(FirstEvent, "signedup")', "2015-12-18T00:00:00Z"],
    ['json.jmespath(json_field, "length(@)")', 2],
    ['json.jmespath(json_field, "nosuchfn(@)")', NOT_OK],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });
});

// The JMESPath compliance examples of the specification, the parts go-jmespath implements.
describe("jmespath", () => {
  const data: Json = {
    people: [
      { first: "James", last: "d", age: 30 },
      { first: "Jacob", last: "e", age: 40 },
      { first: "Jayden", last: "f", age: 50 },
      { missing: "different" },
    ],
    foo: { bar: { baz: [0, 1, 2, 3, 4] } },
    ops: { a: { x: 1 }, b: { x: 2 }, c: { y: 3 } },
    nested: [[1, 2], [3, [4]], 5],
    s: "abc",
  };
  it.each<[string, Json]>([
    ["people[*].first", ["James", "Jacob", "Jayden"]],
    ["people[?age > `35`].first", ["Jacob", "Jayden"]],
    ["people[?age >= `30` && age < `50`].last", ["d", "e"]],
    ["people[?!age].missing", ["different"]],
    ["people[0:2].first", ["James", "Jacob"]],
    ["people[::-1].age", [50, 40, 30]],
    ["people[-1]", { missing: "different" }],
    ["foo.bar.baz[2]", 2],
    ["foo.bar.baz[1:3]", [1, 2]],
    ["foo.bar.baz[::2]", [0, 2, 4]],
    ["foo.bar.baz[5]", null],
    ["ops.*.x", [1, 2]],
    ["nested[]", [1, 2, 3, [4], 5]],
    ["nested[][]", [1, 2, 3, 4, 5]],
    ["people[*].[first, age] | [0]", ["James", 30]],
    ["people[0].{n: first, a: age}", { n: "James", a: 30 }],
    ["s || 'x'", "abc"],
    ["missing || 'x'", "x"],
    ["s && 'x'", "x"],
    ["`[1,2]` == `[1,2]`", true],
    ["'a' < 'b'", null],
    ["length(people)", 4],
    ["sort_by(people[0:3], &age)[-1].first", "Jayden"],
    ["max_by(people[0:3], &age).first", "Jayden"],
    ["sum(foo.bar.baz)", 10],
    ["avg(foo.bar.baz)", 2],
    ["join(', ', people[0:2].first)", "James, Jacob"],
    ["contains(s, 'b')", true],
    ["keys(ops)", ["a", "b", "c"]],
    ["map(&x, values(ops))", [1, 2, null]],
    ["to_string(`1.5`)", "1.5"],
    ["to_number('42')", 42],
    ["type(people)", "array"],
    ["not_null(missing, s)", "abc"],
    ["reverse(s)", "cba"],
    ['"s"', "abc"],
    ["@.s", "abc"],
  ])("%s", (expr, want) => {
    expect(compileJmes(expr)(data)).toEqual(want);
  });

  it.each(["", "foo.", "[?a", "a[0", "a ||", "`{bad`", "=", "foo[-]"])("rejects %s", (expr) => {
    expect(() => compileJmes(expr)).toThrow();
  });
});
