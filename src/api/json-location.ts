// Where a JSON text goes wrong. JSON.parse's messages give no position for many mistakes
// ("Unexpected token 'x', "…" is not valid JSON"); a client fixing a batch needs the line and column.
// This scanner runs only after JSON.parse has failed, so its speed does not matter.

export interface JsonSyntaxProblem {
  /** 1-based. */
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

class Stop extends Error {
  readonly offset: number;
  constructor(offset: number, reason: string) {
    super(reason);
    this.offset = offset;
  }
}

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

/** The first syntax error of `text` with its position; undefined when `text` is valid JSON. */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  let i = 0;
  const n = text.length;
  const describe = (at: number) =>
    at >= n ? "the end of the input" : JSON.stringify(String.fromCodePoint(text.codePointAt(at)!));
  const fail = (reason: string, at = i): never => {
    throw new Stop(at, reason);
  };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const string = () => {
    const start = i;
    i++;
    while (i < n) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
            fail("a \\u escape needs four hex digits", i);
          i += 6;
          continue;
        }
        if (e === undefined || !ESCAPES.has(e)) fail(`invalid escape \\${e ?? ""} in a string`, i);
        i += 2;
        continue;
      }
      if (c.charCodeAt(0) < 0x20)
        fail("a string cannot contain a raw control character (a line break must be \\n)", i);
      i++;
    }
    fail("the string that starts here is never closed", start);
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`unexpected ${describe(i)}; expected a value`);
  };
  const value = (): void => {
    ws();
    const c = text[i];
    switch (c) {
      case "{": {
        i++;
        ws();
        if (text[i] === "}") {
          i++;
          return;
        }
        for (;;) {
          ws();
          if (text[i] !== '"')
            fail(`unexpected ${describe(i)}; expected a property name in double quotes`);
          string();
          ws();
          if (text[i] !== ":")
            fail(`unexpected ${describe(i)}; expected ":" after the property name`);
          i++;
          value();
          ws();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] === "}") {
            i++;
            return;
          }
          fail(`unexpected ${describe(i)}; expected "," or "}"`);
        }
      }
      case "[": {
        i++;
        ws();
        if (text[i] === "]") {
          i++;
          return;
        }
        for (;;) {
          value();
          ws();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] === "]") {
            i++;
            return;
          }
          fail(`unexpected ${describe(i)}; expected "," or "]"`);
        }
      }
      case '"':
        string();
        return;
      case "t":
        literal("true");
        return;
      case "f":
        literal("false");
        return;
      case "n":
        literal("null");
        return;
      default: {
        if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
          NUMBER_RE.lastIndex = i;
          const m = NUMBER_RE.exec(text);
          if (!m) fail("invalid number");
          i += m![0].length;
          return;
        }
        fail(`unexpected ${describe(i)}; expected a value`);
      }
    }
  };
  try {
    value();
    ws();
    if (i < n) fail(`unexpected ${describe(i)} after the end of the JSON value`);
    return undefined;
  } catch (err) {
    if (err instanceof Stop) return { ...lineColumn(text, err.offset), reason: err.message };
    // Nesting deeper than the stack: JSON.parse's own message is all there is.
    return undefined;
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let j = text.indexOf("\n"); j !== -1 && j < offset; j = text.indexOf("\n", j + 1)) {
    line++;
    lineStart = j + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** JSON.parse with a positioned error: throws JsonParseError. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const problem = jsonSyntaxProblem(text) ?? {
      line: 1,
      column: 1,
      reason: (err as Error).message,
    };
    throw new JsonParseError(problem);
  }
}

export class JsonParseError extends Error {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  constructor(problem: JsonSyntaxProblem) {
    super(`invalid JSON at line ${problem.line}, column ${problem.column}: ${problem.reason}`);
    this.name = "JsonParseError";
    this.line = problem.line;
    this.column = problem.column;
    this.reason = problem.reason;
  }
}
