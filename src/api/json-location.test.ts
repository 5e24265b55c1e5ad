import { describe, expect, it } from "vitest";
import { JsonParseError, jsonSyntaxProblem, lineColumn, parseJson } from "./json-location.ts";

describe("jsonSyntaxProblem", () => {
  it("is undefined for valid JSON", () => {
    for (const t of ['{"a":[1,2.5e3,-0,true,false,null,"\\u00e9\\n"]}', " 1 ", '"x"', "[]"])
      expect(jsonSyntaxProblem(t)).toBeUndefined();
  });

  it.each([
    ['{"paying_user": x}', 1, 17, /unexpected "x"; expected a value/],
    ['{"a":1,}', 1, 8, /expected a property name/],
    ['{"a":1\n "b":2}', 2, 2, /expected "," or "}"/],
    ["[1,2", 1, 5, /the end of the input/],
    ['{"a": "open', 1, 7, /never closed/],
    ['{"a": "x\\q"}', 1, 9, /invalid escape/],
    ["{'a': 1}", 1, 2, /double quotes/],
    ['{"a":1} {"b":2}', 1, 9, /after the end of the JSON value/],
    ['{"a": 01}', 1, 8, /expected "," or "}"/],
    ["", 1, 1, /the end of the input/],
  ])("%j → line %i column %i", (text, line, column, reason) => {
    const p = jsonSyntaxProblem(text)!;
    expect(p).toMatchObject({ line, column });
    expect(p.reason).toMatch(reason);
    // Everything the scanner refuses, JSON.parse refuses too.
    expect(() => JSON.parse(text)).toThrow();
  });

  it("reports a raw line break inside a string", () => {
    expect(jsonSyntaxProblem('{"a": "x\ny"}')).toMatchObject({ line: 1, column: 9 });
  });
});

describe("parseJson", () => {
  it("parses, or throws with the position in the message", () => {
    expect(parseJson('{"a":1}')).toEqual({ a: 1 });
    try {
      parseJson('{\n  "a": tru\n}');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(JsonParseError);
      expect((err as JsonParseError).message).toMatch(/^invalid JSON at line 2, column 8: /);
    }
  });
});

describe("lineColumn", () => {
  it("is 1-based", () => {
    expect(lineColumn("ab\ncd", 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
  });
});
