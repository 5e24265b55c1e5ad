// Tokenizer for SegmentQL, following qlbridge's FilterQL dialect: double-quoted strings, identifiers
// quoted with backticks, brackets or single quotes, identifiers that may contain `_ . - / @`, and
// `--`, `//` and `#` line comments. Keywords are recognised case-insensitively and reported on
// identifier tokens, because whether a word is a keyword depends on where the parser is.

import type { Position } from "./ast.ts";
import { SegmentQLSyntaxError } from "./errors.ts";

export type TokenType =
  | "ident"
  | "string"
  | "number"
  | "op"
  | "("
  | ")"
  | "["
  | "]"
  | ","
  | ";"
  | "json"
  | "comment"
  | "eof";

export interface Token {
  readonly type: TokenType;
  /** Identifier name (unquoted), string value (unescaped), operator or number text. */
  readonly value: string;
  /** For unquoted identifiers that are keywords: the upper-cased keyword. */
  readonly keyword?: string;
  /** For identifiers: the quote character used, if any. */
  readonly quote?: "`" | "'" | "[";
  /** For `` `a`.`b` ``: the quoted map field and key. */
  readonly parts?: readonly [string, string];
  readonly pos: Position;
  /** Offset just past the token, to tell `exists(` from `EXISTS (`. */
  readonly end: number;
  /** A line break separates this token from the previous one (it ends an item of `AND ( ... )`). */
  readonly nl?: boolean;
}

const KEYWORDS: ReadonlySet<string> = new Set([
  "FILTER",
  "SELECT",
  "WHERE",
  "FROM",
  "LIMIT",
  "WITH",
  "ALIAS",
  "AND",
  "OR",
  "NOT",
  "IN",
  "LIKE",
  "CONTAINS",
  "INTERSECTS",
  "BETWEEN",
  "EXISTS",
  "INCLUDE",
  "NULL",
  "IS",
  "AS",
]);

const OPERATORS = [
  "==",
  "!=",
  "<>",
  ">=",
  "<=",
  "&&",
  "||",
  "=",
  ">",
  "<",
  "+",
  "-",
  "*",
  "/",
  "%",
  "!",
];

function isIdentStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_" || c === "@" || c > "\u007f";
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || isDigit(c) || c === "." || c === "-" || c === "/";
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

/** Tokenizes a whole statement; comments are kept as tokens so the parser can collect descriptions. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = source.length;

  const posAt = (offset: number): Position => ({ offset, line, column: offset - lineStart + 1 });
  const failAt = (message: string, pos: Position, expected?: string): never => {
    throw new SegmentQLSyntaxError(message, pos, expected);
  };
  const fail = (message: string, offset: number, expected?: string): never =>
    failAt(message, posAt(offset), expected);
  let sawNewline = false;
  const push = (type: TokenType, value: string, pos: Position, extra?: Partial<Token>): void => {
    tokens.push({ type, value, pos, end: i, ...(sawNewline ? { nl: true } : {}), ...extra });
    sawNewline = false;
  };

  while (i < n) {
    const c = source[i]!;
    if (c === "\n") {
      i++;
      line++;
      lineStart = i;
      sawNewline = true;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
      i++;
      continue;
    }
    const start = i;
    // Captured before scanning: a string may span lines, which moves the line counters.
    const startPos = posAt(start);
    // Line comments: `--`, `//`, `#`.
    if ((c === "-" && source[i + 1] === "-") || (c === "/" && source[i + 1] === "/") || c === "#") {
      const textStart = c === "#" ? i + 1 : i + 2;
      let j = textStart;
      while (j < n && source[j] !== "\n") j++;
      i = j;
      push("comment", source.slice(textStart, j).trim(), startPos);
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      fail("block comments /* */ are not supported; use -- line comments", start);
    }
    if (c === '"') {
      i++;
      let raw = "";
      let escapedQuote = false;
      for (;;) {
        if (i >= n) failAt('unterminated string: missing closing "', startPos, '"');
        const d = source[i]!;
        if (d === "\\" && source[i + 1] === '"') {
          raw += '\\"';
          escapedQuote = true;
          i += 2;
          continue;
        }
        if (d === '"') {
          if (source[i + 1] === '"') {
            raw += '""';
            escapedQuote = true;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (d === "\n") {
          line++;
          lineStart = i + 1;
        }
        raw += d;
        i++;
      }
      push("string", escapedQuote ? unescapeString(raw) : raw, startPos);
      continue;
    }
    if (c === "`" || c === "'") {
      const first = readQuoted(source, i, fail);
      i = first.end;
      const q = source[i + 1];
      if (source[i] === "." && (q === "`" || q === "'")) {
        // `a`.`b`: a map field and its key, each quoted so that either may contain dots.
        const second = readQuoted(source, i + 1, fail);
        i = second.end;
        push("ident", `${first.name}.${second.name}`, startPos, {
          quote: c,
          parts: [first.name, second.name],
        });
        continue;
      }
      push("ident", first.name, startPos, { quote: c });
      continue;
    }
    if (c === "{") {
      // WITH {json}: the object is kept as raw text for the parser to read as JSON.
      const end = scanJsonObject(source, i);
      if (end < 0) fail("unterminated JSON object: missing closing }", start, "}");
      i = end;
      push("json", source.slice(start, end), startPos);
      continue;
    }
    if (c === "[") {
      // `[name]` quotes an identifier; `["a", 1]` is a literal array. qlbridge's arrays hold only
      // strings and numbers, so anything else after the bracket is a name.
      let j = i + 1;
      while (j < n && (source[j] === " " || source[j] === "\t")) j++;
      const d = source[j];
      const isArray = d === '"' || d === "]" || d === "-" || (d !== undefined && isDigit(d));
      if (!isArray) {
        const close = source.indexOf("]", i + 1);
        if (close < 0 || source.slice(i + 1, close).includes("\n")) {
          fail("unterminated quoted identifier: missing closing ]", start, "]");
        }
        const name = source.slice(i + 1, close);
        i = close + 1;
        push("ident", name, startPos, { quote: "[" });
        continue;
      }
      i++;
      push("[", "[", startPos);
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(source[i + 1] ?? ""))) {
      const num = scanNumber(source, i);
      const next = source[num.end] ?? "";
      if (num.end < n && (isIdentStart(next) || next === "_") && !num.hex) {
        // Identifiers may start with a digit when they are not all digits: `3d4240482815b98`.
        let j = num.end;
        while (j < n && isIdentPart(source[j]!)) j++;
        i = j;
        push("ident", source.slice(start, j), startPos);
        continue;
      }
      if (num.leadingZero)
        fail(`invalid number "${source.slice(start, num.end)}": leading zero`, start);
      i = num.end;
      push("number", source.slice(start, num.end), startPos);
      continue;
    }
    if (isIdentStart(c) || c === ".") {
      let j = i + 1;
      while (j < n && isIdentPart(source[j]!)) j++;
      // A trailing `-` or `/` belongs to an operator or comment (`a--comment`, `a-`), not the name.
      while (j > i + 1 && (source[j - 1] === "-" || source[j - 1] === "/")) j--;
      const word = source.slice(i, j);
      const q = source[j];
      if (word.length > 1 && word.endsWith(".") && (q === "`" || q === "'")) {
        // content.`Ford Motor Company`: a map field and a quoted key.
        const key = readQuoted(source, j, fail);
        i = key.end;
        const field = word.slice(0, -1);
        push("ident", `${field}.${key.name}`, startPos, { quote: q, parts: [field, key.name] });
        continue;
      }
      i = j;
      const upper = word.toUpperCase();
      push("ident", word, startPos, KEYWORDS.has(upper) ? { keyword: upper } : undefined);
      continue;
    }
    switch (c) {
      case "(":
      case ")":
      case "]":
      case ",":
      case ";":
        i++;
        push(c, c, startPos);
        continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op !== undefined) {
      i += op.length;
      push("op", op, startPos);
      continue;
    }
    fail(`unexpected character ${JSON.stringify(c)}`, start);
  }
  tokens.push({ type: "eof", value: "", pos: posAt(i), end: i });
  return tokens;
}

function readQuoted(
  source: string,
  start: number,
  fail: (message: string, offset: number, expected?: string) => never,
): { name: string; end: number } {
  const q = source[start]!;
  const close = source.indexOf(q, start + 1);
  if (close < 0) fail(`unterminated quoted identifier: missing closing ${q}`, start, q);
  return { name: source.slice(start + 1, close), end: close + 1 };
}

/** The offset just past the `}` that closes the object starting at `start`, or -1. */
function scanJsonObject(source: string, start: number): number {
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const c = source[i];
    if (c === '"') {
      for (i++; i < source.length && source[i] !== '"'; i++) if (source[i] === "\\") i++;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

interface ScannedNumber {
  readonly end: number;
  readonly leadingZero: boolean;
  readonly hex: boolean;
}

function scanNumber(s: string, start: number): ScannedNumber {
  let i = start;
  if (s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X")) {
    i += 2;
    while (i < s.length && /[0-9a-fA-F]/.test(s[i]!)) i++;
    return { end: i, leadingZero: false, hex: true };
  }
  const intStart = i;
  while (i < s.length && isDigit(s[i]!)) i++;
  const leadingZero = i - intStart > 1 && s[intStart] === "0";
  if (s[i] === "." && isDigit(s[i + 1] ?? "")) {
    i++;
    while (i < s.length && isDigit(s[i]!)) i++;
  }
  if ((s[i] === "e" || s[i] === "E") && /[0-9+-]/.test(s[i + 1] ?? "")) {
    let j = i + 1;
    if (s[j] === "+" || s[j] === "-") j++;
    if (isDigit(s[j] ?? "")) {
      while (j < s.length && isDigit(s[j]!)) j++;
      i = j;
    }
  }
  return { end: i, leadingZero, hex: false };
}

/**
 * qlbridge's StringUnEscape for strings that contain an escaped quote: `""` and `\"` become `"`, and
 * every other backslash is dropped. Strings without an escaped quote keep their backslashes verbatim
 * (so `"\*bc"` reaches LIKE as a glob escape).
 */
function unescapeString(raw: string): string {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"' && raw[i + 1] === '"') {
      out += '"';
      i++;
    } else if (c === "\\") {
      if (i + 1 < raw.length) out += raw[++i];
    } else {
      out += c;
    }
  }
  return out;
}

/** Quotes a string literal so that `tokenize` reads back exactly `value`. */
export function quoteString(value: string): string {
  if (!value.includes('"')) return `"${value}"`;
  // With an escaped quote present every backslash is dropped on reading, so backslashes must be doubled.
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Writes an identifier so that `tokenize` reads it back as the same, unquoted-equivalent name. */
export function quoteIdentifier(name: string): string {
  if (/^[A-Za-z_@][A-Za-z0-9_.@-]*$/.test(name) && !/[-]$/.test(name) && !name.includes("--")) {
    const upper = name.toUpperCase();
    if (!KEYWORDS.has(upper) && upper !== "TRUE" && upper !== "FALSE" && upper !== "MATCH_ALL") {
      return name;
    }
  }
  if (!name.includes("`")) return `\`${name}\``;
  if (!name.includes("]")) return `[${name}]`;
  return `'${name}'`;
}
