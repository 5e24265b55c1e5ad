import { describe, expect, it } from "vitest";
import { stripPositions } from "../../test/support/segmentql-arbitraries.ts";
import { SegmentQLError, SegmentQLSyntaxError } from "./errors.ts";
import { parseExpression, parseStatement, parseStatements } from "./parser.ts";

const expr = (text: string) => stripPositions(parseExpression(text));
const ident = (name: string) => ({ type: "Ident", name, quoted: false });
const str = (value: string) => ({ type: "String", value });
const int = (value: number) => ({ type: "Number", value, isInt: true, text: String(value) });

function syntaxError(text: string): SegmentQLError {
  try {
    parseStatement(text);
  } catch (err) {
    if (err instanceof SegmentQLError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

describe("statements", () => {
  it("parses the brief's segment with its clauses and description", () => {
    const stmt = parseStatement(
      '-- Paying Users Segment\nFILTER AND (\npaying_user = "t"\n)\nFROM user\nALIAS demo_segment\n',
    );
    expect(stmt.kind).toBe("FILTER");
    expect(stmt.description).toBe("Paying Users Segment");
    expect(stmt.from).toBe("user");
    expect(stmt.alias).toBe("demo_segment");
    expect(stripPositions(stmt.filter)).toEqual({
      type: "Binary",
      op: "==",
      left: ident("paying_user"),
      right: str("t"),
    });
  });

  it("lower-cases the alias and accepts quoted aliases", () => {
    expect(parseStatement("FILTER x == 1 ALIAS My_Seg").alias).toBe("my_seg");
    expect(parseStatement("FILTER x == 1 ALIAS `Has Spaces Alias`").alias).toBe("has spaces alias");
  });

  it("takes LIMIT and WITH in order, with key = value or JSON properties", () => {
    const stmt = parseStatement(
      'FILTER x == 1 FROM user LIMIT 10 WITH name = "My Little Pony", public = false ALIAS p',
    );
    expect(stmt.limit).toBe(10);
    expect(stmt.with).toEqual({ name: "My Little Pony", public: false });
    expect(parseStatement('FILTER x == 1 WITH {"a": [1, "b"], "c": {"d": true}}').with).toEqual({
      a: [1, "b"],
      c: { d: true },
    });
  });

  it("rejects clauses out of order", () => {
    expect(syntaxError("FILTER x == 1 ALIAS x FROM user")).toBeInstanceOf(SegmentQLSyntaxError);
  });

  it("parses FILTER * and match_all as match-everything", () => {
    expect(stripPositions(parseStatement("FILTER *").filter)).toEqual({ type: "Star", text: "*" });
    expect(stripPositions(parseStatement("FILTER MATCH_ALL FROM user").filter)).toEqual({
      type: "Star",
      text: "match_all",
    });
  });

  it("parses SELECT … WHERE and SELECT … FILTER", () => {
    const where = parseStatement("SELECT * FROM user WHERE x == 1");
    expect(where.kind).toBe("SELECT");
    expect(where.where).toBe(true);
    expect(where.columns).toEqual(["*"]);
    expect(parseStatement("SELECT a, b AS c FROM user FILTER x == 1").columns).toEqual([
      "a",
      "b AS c",
    ]);
  });

  it("parses several statements separated by semicolons", () => {
    const stmts = parseStatements("FILTER a == 1 ALIAS one; FILTER b == 2 ALIAS two;");
    expect(stmts.map((s) => s.alias)).toEqual(["one", "two"]);
  });

  it("keywords are case-insensitive", () => {
    expect(stripPositions(parseStatement("filter x == 1 alias a").filter)).toEqual({
      type: "Binary",
      op: "==",
      left: ident("x"),
      right: int(1),
    });
  });
});

describe("expressions", () => {
  it("reads boolean lists with commas, newlines and comments, collapsing one-item lists", () => {
    expect(expr('AND ( a == 1, b == "x" )')).toMatchObject({
      type: "BoolList",
      op: "AND",
      items: [{}, {}],
    });
    expect(expr("OR (\n a == 1 -- first\n b == 2 // second\n # third\n c == 3\n)")).toMatchObject({
      type: "BoolList",
      op: "OR",
      items: [{}, {}, {}],
    });
    expect(expr("AND ( a == 1 )")).toEqual({
      type: "Binary",
      op: "==",
      left: ident("a"),
      right: int(1),
    });
    expect(expr("AND ()")).toEqual({ type: "BoolList", op: "AND", negated: false, items: [] });
  });

  it("inside a list, `AND (` starts the next item; elsewhere it is infix", () => {
    expect(expr('OR ( x == "y" AND ( EXISTS a ) )')).toMatchObject({
      type: "BoolList",
      items: [{ type: "Binary" }, { type: "Exists" }],
    });
    expect(expr('x == "y" AND ( EXISTS a )')).toMatchObject({ type: "Logical", op: "AND" });
  });

  it("binds comparisons tighter than AND, AND tighter than OR", () => {
    expect(expr("a == 1 OR b == 2 AND c == 3")).toMatchObject({
      type: "Logical",
      op: "OR",
      right: { type: "Logical", op: "AND" },
    });
    expect(expr("a + 2 * 3 > 7")).toMatchObject({
      type: "Binary",
      op: ">",
      left: { op: "+", right: { op: "*" } },
    });
  });

  it("has every negation form", () => {
    expect(expr("NOT x > 5")).toMatchObject({ type: "Not", expr: { type: "Binary", op: ">" } });
    expect(expr('x NOT IN ("a")')).toMatchObject({
      type: "Not",
      expr: { type: "Binary", op: "IN" },
    });
    expect(expr('NOT x IN ("a")')).toMatchObject({
      type: "Not",
      expr: { type: "Binary", op: "IN" },
    });
    expect(expr('x NOT LIKE "a*"')).toMatchObject({ type: "Not", expr: { op: "LIKE" } });
    expect(expr("x NOT BETWEEN 1 AND 2")).toMatchObject({ type: "Between", negated: true });
    expect(expr("NOT AND ( a == 1, b == 2 )")).toMatchObject({ type: "BoolList", negated: true });
    expect(expr("NOT INCLUDE seg")).toEqual({ type: "Include", negated: true, name: "seg" });
    expect(expr("NOT EXISTS x")).toMatchObject({ type: "Not", expr: { type: "Exists" } });
    expect(expr("!exists(x)")).toMatchObject({
      type: "Not",
      expr: { type: "Func", name: "exists" },
    });
  });

  it("NOT before a call negates only the call, as qlbridge parses it", () => {
    expect(expr('NOT tolower(x) == "a"')).toMatchObject({
      type: "Binary",
      op: "==",
      left: { type: "Not" },
    });
    expect(expr('NOT tolower(x) IN ("a")')).toMatchObject({
      type: "Not",
      expr: { type: "Binary", op: "IN" },
    });
  });

  it("reads IN / INTERSECTS right sides: lists, arrays, fields, calls and strings", () => {
    expect(expr('x IN ("a", "b" 4.5)')).toMatchObject({
      right: { type: "List", items: [{}, {}, { isInt: false }] },
    });
    expect(expr('x IN ["a", 1]')).toMatchObject({
      right: { type: "Array", items: [str("a"), { value: 1, isInt: false }] },
    });
    expect(expr("x IN tags")).toMatchObject({ right: ident("tags") });
    expect(expr('x IN split(y, ",")')).toMatchObject({ right: { type: "Func", name: "split" } });
    expect(expr('x IN "abc"')).toMatchObject({ right: str("abc") });
    expect(expr('x INTERSECTS ("a")')).toMatchObject({ op: "INTERSECTS" });
  });

  it("reads identifiers: dotted, quoted, digit-led, with dashes and slashes", () => {
    expect(expr("user.email == 1")).toMatchObject({ left: ident("user.email") });
    expect(expr("`last.event`.`has.period` == 1")).toMatchObject({
      left: { type: "Ident", name: "last.event.has.period", parts: ["last.event", "has.period"] },
    });
    expect(expr("first-name == 1")).toMatchObject({ left: ident("first-name") });
    expect(expr("a/b == 1")).toMatchObject({ left: ident("a/b") });
    expect(expr("INCLUDE 3d4240482815b9848caf2e6f")).toEqual({
      type: "Include",
      negated: false,
      name: "3d4240482815b9848caf2e6f",
    });
    expect(expr("[with space] == 1")).toMatchObject({
      left: { type: "Ident", name: "with space", quoted: true },
    });
  });

  it("single quotes name a field, double quotes make a string", () => {
    expect(expr("name == 'Yoda'")).toMatchObject({
      right: { type: "Ident", name: "Yoda", quoted: true },
    });
    expect(expr('name == "Yoda"')).toMatchObject({ right: str("Yoda") });
  });

  it("reads literals: numbers, booleans, NULL, escaped strings", () => {
    expect(expr("x == 0x1F")).toMatchObject({ right: { value: 31, isInt: true } });
    expect(expr("x == 1e3")).toMatchObject({ right: { value: 1000, isInt: false } });
    expect(expr("x == -5")).toMatchObject({ right: { value: -5, isInt: true, text: "-5" } });
    expect(expr("x == TRUE")).toMatchObject({ right: { type: "Bool", value: true } });
    expect(expr("x == `true`")).toMatchObject({ right: { type: "Ident", name: "true" } });
    expect(expr("x != NULL")).toMatchObject({ right: { type: "Null" } });
    expect(expr('x == "say ""hi"""')).toMatchObject({ right: str('say "hi"') });
    expect(expr('x == "say \\"hi\\""')).toMatchObject({ right: str('say "hi"') });
    expect(expr('x LIKE "\\*bc"')).toMatchObject({ right: str("\\*bc") });
  });

  it("rewrites IS NOT NULL to != and refuses IS NULL", () => {
    expect(expr("x IS NOT NULL")).toMatchObject({
      type: "Binary",
      op: "!=",
      right: { type: "Null" },
    });
    expect(() => parseExpression("x IS NULL")).toThrow(/IS NULL/);
  });

  it("reads cast(x AS type) as a call with the type name", () => {
    expect(expr("cast(x AS int) == 5")).toMatchObject({
      left: { type: "Func", name: "cast", args: [ident("x"), str("int")] },
    });
  });

  it("tells exists(x) the function from EXISTS x the keyword", () => {
    expect(expr("exists(x)")).toMatchObject({ type: "Func", name: "exists" });
    expect(expr("EXISTS (x)")).toMatchObject({ type: "Exists" });
    expect(expr('contains(x, "a")')).toMatchObject({ type: "Func", name: "contains" });
    expect(expr('x CONTAINS "a"')).toMatchObject({ type: "Binary", op: "CONTAINS" });
  });

  it("accepts what qlbridge's FilterQL lexer rejects but its grammar describes", () => {
    expect(expr('x IN ("a") OR y == 2')).toMatchObject({ type: "Logical", op: "OR" });
    expect(expr("AND ( exists(x), y == 1 )")).toMatchObject({ type: "BoolList" });
    expect(expr("6 == (5 + 1)")).toMatchObject({ right: { op: "+" } });
  });
});

describe("errors", () => {
  it("give line and column and say what was expected", () => {
    const err = syntaxError("FILTER AND (\n  a == 1,\n  b ==\n)");
    expect(err.message).toMatch(/^4:1: expected a value after "==", found "\)"/);
    expect(err.line).toBe(4);
    expect(err.column).toBe(1);
    expect((err as SegmentQLSyntaxError).expected).toBe("a value");
  });

  it("report an unclosed list at the end with where it was opened", () => {
    expect(syntaxError("FILTER AND ( a == 1").message).toMatch(
      /expected "\)" to close AND \( opened at 1:12, found end of input/,
    );
  });

  it("report lexical errors at their position", () => {
    expect(syntaxError('FILTER x == "abc').message).toMatch(/^1:13: unterminated string/);
    expect(syntaxError("FILTER x == 05").message).toMatch(
      /^1:13: invalid number "05": leading zero/,
    );
    expect(syntaxError("FILTER x == 1 /* c */").message).toMatch(/block comments/);
    expect(syntaxError("FILTER x == $").message).toMatch(/unexpected character "\$"/);
  });

  it("refuse an empty filter and a missing statement", () => {
    expect(syntaxError("FILTER").message).toMatch(
      /expected a filter expression after FILTER, found end of input/,
    );
    expect(syntaxError("FILTER FROM user").message).toMatch(/expected a filter expression/);
    expect(syntaxError("").message).toMatch(/expected a FILTER or SELECT statement/);
    expect(syntaxError("x == 1").message).toMatch(/expected FILTER or SELECT/);
  });

  it("check functions: unknown names, arity, unsupported Lytics-only functions", () => {
    expect(syntaxError("FILTER nosuchfn(x)").code).toBe("UNKNOWN_FUNCTION");
    expect(syntaxError("FILTER eq(a)").message).toMatch(/^1:8: eq\(\) takes 2 arguments, got 1/);
    expect(syntaxError('FILTER geodistance(loc, "1,2", 5) < 3').code).toBe("UNSUPPORTED_FUNCTION");
    expect(() => parseStatement("FILTER nosuchfn(x)", { strictFunctions: false })).not.toThrow();
  });
});
