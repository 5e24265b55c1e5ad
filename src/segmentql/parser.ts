// Recursive-descent parser for SegmentQL statements, following qlbridge's expr/parse.go grammar:
//
//   Or     := And { (OR | ||) And }
//   And    := Cmp { (AND | &&) Cmp }            -- inside a boolean list, "AND (" starts the next item
//   Cmp    := Add [ (== = != <> > >= < <= LIKE CONTAINS) Add | [NOT] IN rhs | [NOT] INTERSECTS rhs
//                  | [NOT] BETWEEN Add AND Add | IS NOT Add ]
//   Add    := Mul { (+ | -) Mul } ;  Mul := Unary { (* / %) Unary }
//   Unary  := (NOT | !) operand | - Unary | EXISTS base | (AND | OR) "(" list ")" | base
//   base   := INCLUDE name | number | string | ident | NULL | "*" | "[" literals "]" | func "(" args ")" | "(" Or ")"
//
// Where qlbridge's FilterQL lexer rejects a statement the grammar describes (notes/segmentql.md §3,
// "lexer quirks"), this parser accepts it: the documented grammar is the contract.

import type {
  ArrayLit,
  BinaryOp,
  BoolLit,
  Expr,
  FilterStatement,
  NullLit,
  NumberLit,
  Position,
  StringLit,
  WithValue,
} from "./ast.ts";
import { SegmentQLError, SegmentQLSyntaxError } from "./errors.ts";
import { lookupFunction, UNSUPPORTED_FUNCTIONS } from "./functions/index.ts";
import { type Token, tokenize } from "./lexer.ts";

export interface ParseOptions {
  /**
   * Reject calls to functions that are not builtins (qlbridge's strict function resolver). On by
   * default: an unknown function in a segment is almost always a typo. Off, such calls parse and
   * evaluate as not ok, as qlbridge does by default.
   */
  readonly strictFunctions?: boolean;
}

/** Parses exactly one statement (an optional trailing `;` is allowed). */
export function parseStatement(source: string, options?: ParseOptions): FilterStatement {
  const statements = parseStatements(source, options);
  if (statements.length !== 1) {
    throw new SegmentQLSyntaxError(
      statements.length === 0
        ? "expected a FILTER or SELECT statement, found nothing"
        : `expected one statement, found ${statements.length}`,
      { offset: 0, line: 1, column: 1 },
    );
  }
  return statements[0]!;
}

/** Parses one or more statements separated by `;` (an INCLUDE library, for example). */
export function parseStatements(source: string, options?: ParseOptions): FilterStatement[] {
  const parser = new Parser(source, options?.strictFunctions ?? true);
  return parser.statements();
}

/** Parses a bare filter expression (no FILTER keyword), e.g. for tests and tools. */
export function parseExpression(source: string, options?: ParseOptions): Expr {
  const parser = new Parser(source, options?.strictFunctions ?? true);
  return parser.bareExpression();
}

function describe(tok: Token): string {
  switch (tok.type) {
    case "eof":
      return "end of input";
    case "string":
      return `string ${JSON.stringify(tok.value)}`;
    case "number":
      return `number ${tok.value}`;
    case "ident":
      return tok.keyword ? tok.keyword : `identifier ${JSON.stringify(tok.value)}`;
    default:
      return `"${tok.value}"`;
  }
}

const COMPARISON_OPS: Readonly<Record<string, BinaryOp>> = {
  "==": "==",
  "=": "==",
  "!=": "!=",
  "<>": "!=",
  ">": ">",
  ">=": ">=",
  "<": "<",
  "<=": "<=",
};

class Parser {
  private readonly source: string;
  private readonly tokens: Token[];
  private i = 0;
  /** Inside `AND ( ... )` / `OR ( ... )`: an `AND (` there begins the next list item. */
  private inBoolList = 0;
  private readonly strictFunctions: boolean;

  constructor(source: string, strictFunctions: boolean) {
    this.source = source;
    this.tokens = tokenize(source);
    this.strictFunctions = strictFunctions;
  }

  // ---- token helpers ---------------------------------------------------------------------------

  /** The current token, skipping comments (which only matter before a statement). */
  private cur(): Token {
    while (this.tokens[this.i]!.type === "comment") this.i++;
    return this.tokens[this.i]!;
  }

  private peek(ahead = 1): Token {
    let j = this.i;
    let seen = -1;
    for (;;) {
      const t = this.tokens[j]!;
      if (t.type !== "comment") seen++;
      if (seen === ahead || t.type === "eof") return t;
      j++;
    }
  }

  private next(): Token {
    const t = this.cur();
    if (t.type !== "eof") this.i++;
    return t;
  }

  private isKeyword(kw: string, tok: Token = this.cur()): boolean {
    return tok.type === "ident" && tok.keyword === kw;
  }

  private isOp(op: string, tok: Token = this.cur()): boolean {
    return tok.type === "op" && tok.value === op;
  }

  private fail(detail: string, tok: Token = this.cur(), expected?: string): never {
    throw new SegmentQLSyntaxError(detail, tok.pos, expected);
  }

  private expected(what: string, context?: string): never {
    const tok = this.cur();
    const ctx = context ? ` ${context}` : "";
    return this.fail(`expected ${what}${ctx}, found ${describe(tok)}`, tok, what);
  }

  private expect(type: Token["type"], what: string, context?: string): Token {
    if (this.cur().type !== type) this.expected(what, context);
    return this.next();
  }

  // ---- statements ------------------------------------------------------------------------------

  statements(): FilterStatement[] {
    const out: FilterStatement[] = [];
    for (;;) {
      const description = this.leadingComments();
      const tok = this.cur();
      if (tok.type === "eof") break;
      if (tok.type === ";") {
        this.next();
        continue;
      }
      out.push(this.statement(description));
      const end = this.cur();
      if (end.type === ";") {
        this.next();
        continue;
      }
      if (end.type !== "eof") {
        this.fail(`expected end of statement, found ${describe(end)}`, end, "end of statement");
      }
    }
    return out;
  }

  bareExpression(): Expr {
    const e = this.orExpr();
    if (this.cur().type !== "eof") this.expected("end of expression");
    return e;
  }

  private leadingComments(): string | undefined {
    const lines: string[] = [];
    while (this.tokens[this.i]!.type === "comment") lines.push(this.tokens[this.i++]!.value);
    return lines.length > 0 ? lines.join("\n") : undefined;
  }

  private statement(description: string | undefined): FilterStatement {
    let kind: "FILTER" | "SELECT";
    let filter: Expr | null;
    let columns: string[] | undefined;
    let where = false;
    let from: string | undefined;
    if (this.isKeyword("FILTER")) {
      kind = "FILTER";
      this.next();
      filter = this.topFilter();
      from = this.fromClause();
    } else if (this.isKeyword("SELECT")) {
      kind = "SELECT";
      this.next();
      columns = this.columns();
      from = this.fromClause();
      if (this.isKeyword("WHERE")) {
        where = true;
        this.next();
        filter = this.topFilter();
      } else if (this.isKeyword("FILTER")) {
        this.next();
        filter = this.topFilter();
      } else {
        this.expected("FILTER or WHERE", "after SELECT columns");
      }
    } else {
      return this.expected("FILTER or SELECT", "to start a statement");
    }
    const limit = this.limitClause();
    const withProps = this.withClause();
    const alias = this.aliasClause();
    const stmt: {
      -readonly [K in keyof FilterStatement]: FilterStatement[K];
    } = { kind, filter };
    if (columns) stmt.columns = columns;
    if (where) stmt.where = true;
    if (from !== undefined) stmt.from = from;
    if (limit !== undefined) stmt.limit = limit;
    if (withProps !== undefined) stmt.with = withProps;
    if (alias !== undefined) stmt.alias = alias;
    if (description !== undefined) stmt.description = description;
    return stmt;
  }

  /** The filter after FILTER/WHERE: `*` or `match_all` alone, or an expression. */
  private topFilter(): Expr | null {
    const tok = this.cur();
    const nextIsEnd = (t: Token) =>
      t.type === "eof" ||
      t.type === ";" ||
      this.isKeyword("FROM", t) ||
      this.isKeyword("LIMIT", t) ||
      this.isKeyword("WITH", t) ||
      this.isKeyword("ALIAS", t);
    if (this.isOp("*", tok) && nextIsEnd(this.peek())) {
      this.next();
      return { type: "Star", text: "*", pos: tok.pos };
    }
    if (
      tok.type === "ident" &&
      !tok.quote &&
      tok.value.toLowerCase() === "match_all" &&
      nextIsEnd(this.peek())
    ) {
      this.next();
      return { type: "Star", text: "match_all", pos: tok.pos };
    }
    if (nextIsEnd(tok)) {
      // qlbridge accepts an empty filter (it never matches); a segment with no condition is a mistake.
      this.expected("a filter expression", "after FILTER");
    }
    return this.orExpr();
  }

  /** SELECT columns: `*`, or expressions with optional `AS name` and `IF guard`, kept as written. */
  private columns(): string[] {
    const cols: string[] = [];
    for (;;) {
      const first = this.cur();
      if (this.isOp("*", first)) {
        this.next();
        cols.push("*");
      } else {
        if (
          first.type === "eof" ||
          this.isKeyword("FROM", first) ||
          this.isKeyword("FILTER", first) ||
          this.isKeyword("WHERE", first)
        ) {
          this.expected("a column", "after SELECT");
        }
        this.orExpr();
        if (this.isKeyword("AS")) {
          this.next();
          this.expect("ident", "a column name", "after AS");
        }
        const guard = this.cur();
        if (guard.type === "ident" && !guard.quote && guard.value.toUpperCase() === "IF") {
          this.next();
          this.orExpr();
        }
        cols.push(this.source.slice(first.pos.offset, this.tokens[this.i - 1]!.end).trim());
      }
      if (this.cur().type !== ",") return cols;
      this.next();
    }
  }

  private fromClause(): string | undefined {
    if (!this.isKeyword("FROM")) return undefined;
    this.next();
    const tok = this.cur();
    if (tok.type !== "ident" || tok.keyword) this.expected("a table name", "after FROM");
    this.next();
    return tok.value;
  }

  private limitClause(): number | undefined {
    if (!this.isKeyword("LIMIT")) return undefined;
    this.next();
    const tok = this.cur();
    if (tok.type !== "number" || !/^\d+$/.test(tok.value))
      this.expected("an integer", "after LIMIT");
    this.next();
    return Number(tok.value);
  }

  private withClause(): Record<string, WithValue> | undefined {
    if (!this.isKeyword("WITH")) return undefined;
    this.next();
    const props: Record<string, WithValue> = {};
    const json = this.cur();
    if (json.type === "json") {
      this.next();
      try {
        return JSON.parse(json.value) as Record<string, WithValue>;
      } catch (err) {
        return this.fail(`invalid JSON after WITH: ${(err as Error).message}`, json);
      }
    }
    for (;;) {
      const key = this.cur();
      if (key.type !== "ident" && key.type !== "string")
        this.expected("a property name", "in WITH");
      this.next();
      if (!this.isOp("=") && !this.isOp("=="))
        this.expected('"="', `after WITH property ${key.value}`);
      this.next();
      props[key.value] = this.withValue();
      if (this.cur().type !== ",") return props;
      this.next();
    }
  }

  private withValue(): WithValue {
    const tok = this.cur();
    if (tok.type === "string") {
      this.next();
      return tok.value;
    }
    if (tok.type === "number") {
      this.next();
      return Number(tok.value);
    }
    if (this.isOp("-") && this.peek().type === "number") {
      this.next();
      return -Number(this.next().value);
    }
    if (tok.type === "ident") {
      this.next();
      const lower = tok.value.toLowerCase();
      if (!tok.quote && lower === "true") return true;
      if (!tok.quote && lower === "false") return false;
      if (tok.keyword === "NULL") return null;
      return tok.value;
    }
    if (tok.type === "[") {
      const arr = this.arrayLiteral();
      return arr.items.map((it) => (it.type === "Null" ? null : it.value));
    }
    return this.expected("a value", "in WITH");
  }

  private aliasClause(): string | undefined {
    if (!this.isKeyword("ALIAS")) return undefined;
    this.next();
    const tok = this.cur();
    if ((tok.type !== "ident" || tok.keyword) && tok.type !== "string")
      this.expected("a name", "after ALIAS");
    this.next();
    return tok.value.toLowerCase();
  }

  // ---- expressions -----------------------------------------------------------------------------

  private orExpr(): Expr {
    let left = this.andExpr();
    for (;;) {
      const tok = this.cur();
      if (this.isKeyword("OR", tok) || this.isOp("||", tok)) {
        // In a list, a line break ends the item: the OR on the next line starts another one.
        if (this.inBoolList > 0 && tok.nl) return left;
        this.next();
        const right = this.andExpr();
        left = { type: "Logical", op: "OR", left, right, pos: tok.pos };
        continue;
      }
      return left;
    }
  }

  private andExpr(): Expr {
    let left = this.comparison();
    for (;;) {
      const tok = this.cur();
      if (this.isKeyword("AND", tok) || this.isOp("&&", tok)) {
        if (this.inBoolList > 0 && (this.peek().type === "(" || tok.nl)) return left;
        this.next();
        const right = this.comparison();
        left = { type: "Logical", op: "AND", left, right, pos: tok.pos };
        continue;
      }
      return left;
    }
  }

  private comparison(): Expr {
    const left = this.additive();
    const tok = this.cur();
    if (tok.type === "op" && COMPARISON_OPS[tok.value] !== undefined) {
      this.next();
      const right = this.operand(`after "${tok.value}"`);
      return { type: "Binary", op: COMPARISON_OPS[tok.value]!, left, right, pos: tok.pos };
    }
    if (this.isKeyword("IS", tok)) {
      this.next();
      if (this.isKeyword("NOT") || this.isOp("!")) {
        this.next();
        const right = this.operand("after IS NOT");
        return { type: "Binary", op: "!=", left, right, pos: tok.pos };
      }
      // qlbridge parses `x IS NULL` into a node that can never match; refusing it is kinder.
      return this.fail(
        '"IS NULL" is not supported; use NOT EXISTS x (or x IS NOT NULL for the opposite)',
        tok,
      );
    }
    let negTok: Token | undefined;
    if ((this.isKeyword("NOT", tok) || this.isOp("!", tok)) && this.isSetKeyword(this.peek())) {
      negTok = this.next();
    }
    const opTok = this.cur();
    const negate = (e: Expr): Expr => (negTok ? { type: "Not", expr: e, pos: negTok.pos } : e);
    if (this.isKeyword("LIKE", opTok) || this.isKeyword("CONTAINS", opTok)) {
      this.next();
      const right = this.operand(`after ${opTok.keyword}`);
      return negate({
        type: "Binary",
        op: opTok.keyword as "LIKE" | "CONTAINS",
        left,
        right,
        pos: opTok.pos,
      });
    }
    if (this.isKeyword("IN", opTok) || this.isKeyword("INTERSECTS", opTok)) {
      this.next();
      const right = this.setOperand(opTok.keyword!);
      return negate({
        type: "Binary",
        op: opTok.keyword as "IN" | "INTERSECTS",
        left,
        right,
        pos: opTok.pos,
      });
    }
    if (this.isKeyword("BETWEEN", opTok)) {
      this.next();
      const low = this.operandAdditive("after BETWEEN");
      if (!this.isKeyword("AND") && !this.isOp("&&"))
        this.expected("AND", "between the BETWEEN bounds");
      this.next();
      const high = this.operandAdditive("after BETWEEN … AND");
      return {
        type: "Between",
        negated: negTok !== undefined,
        expr: left,
        low,
        high,
        pos: opTok.pos,
      };
    }
    if (negTok) return this.expected("IN, LIKE, CONTAINS, INTERSECTS or BETWEEN", "after NOT");
    return left;
  }

  private isSetKeyword(tok: Token): boolean {
    return (
      this.isKeyword("IN", tok) ||
      this.isKeyword("LIKE", tok) ||
      this.isKeyword("CONTAINS", tok) ||
      this.isKeyword("INTERSECTS", tok) ||
      this.isKeyword("BETWEEN", tok)
    );
  }

  /** The right side of IN / INTERSECTS: a list, a literal array, a field, a function or a string. */
  private setOperand(op: string): Expr {
    const tok = this.cur();
    if (tok.type === "(") return this.list();
    if (tok.type === "[") return this.arrayLiteral();
    if (tok.type === "ident" && !tok.keyword) {
      if (this.isFunctionStart()) return this.functionCall();
      if (this.isBooleanWord(tok) && op === "INTERSECTS")
        this.expected("a list", "after INTERSECTS");
      return this.base();
    }
    if (tok.type === "string" && op === "IN") {
      this.next();
      return { type: "String", value: tok.value, pos: tok.pos };
    }
    return this.expected(
      op === "IN" ? "a list, a field or a function" : "a list or a field",
      `after ${op}`,
    );
  }

  private operand(context: string): Expr {
    if (this.atOperandEnd()) this.expected("a value", context);
    return this.additive();
  }

  private operandAdditive(context: string): Expr {
    if (this.atOperandEnd()) this.expected("a value", context);
    return this.additive();
  }

  private atOperandEnd(): boolean {
    const t = this.cur();
    return t.type === "eof" || t.type === ")" || t.type === "," || t.type === ";";
  }

  private additive(): Expr {
    let left = this.multiplicative();
    for (;;) {
      const tok = this.cur();
      if (this.isOp("+", tok) || this.isOp("-", tok)) {
        this.next();
        const right = this.multiplicative();
        left = { type: "Binary", op: tok.value as "+" | "-", left, right, pos: tok.pos };
        continue;
      }
      return left;
    }
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      const tok = this.cur();
      if (this.isOp("*", tok) || this.isOp("/", tok) || this.isOp("%", tok)) {
        this.next();
        const right = this.unary();
        left = { type: "Binary", op: tok.value as "*" | "/" | "%", left, right, pos: tok.pos };
        continue;
      }
      return left;
    }
  }

  private unary(): Expr {
    const tok = this.cur();
    if (this.isKeyword("NOT", tok) || this.isOp("!", tok)) {
      this.next();
      // qlbridge: `NOT f(x) ...` negates just the call; otherwise NOT takes a whole comparison.
      const inner =
        this.isFunctionStart() && !this.isSetKeyword(this.peekAfterCall())
          ? this.functionCall()
          : this.comparison();
      return negateExpr(inner, tok.pos);
    }
    if (this.isOp("-", tok)) {
      this.next();
      // `-5` is a negative literal; `-(5)` and `-x` are unary minus.
      if (this.cur().type === "number") {
        const lit = numberLiteral(this.next());
        return {
          type: "Number",
          value: -lit.value,
          isInt: lit.isInt,
          text: `-${lit.text}`,
          pos: tok.pos,
        };
      }
      return { type: "Negate", expr: this.unary(), pos: tok.pos };
    }
    if (this.isKeyword("EXISTS", tok) && !this.isAdjacentCall(tok)) {
      this.next();
      if (this.atOperandEnd()) this.expected("a field", "after EXISTS");
      return { type: "Exists", expr: this.base(), pos: tok.pos };
    }
    if ((this.isKeyword("AND", tok) || this.isKeyword("OR", tok)) && this.peek().type === "(") {
      return this.boolList();
    }
    return this.base();
  }

  private boolList(): Expr {
    const opTok = this.next();
    const open = this.next(); // (
    const items: Expr[] = [];
    this.inBoolList++;
    for (;;) {
      const tok = this.cur();
      if (tok.type === ")") {
        this.next();
        break;
      }
      if (tok.type === "eof") {
        this.fail(
          `expected ")" to close ${opTok.keyword} ( opened at ${open.pos.line}:${open.pos.column}, found end of input`,
          tok,
          '")"',
        );
      }
      if (tok.type === ",") {
        if (items.length === 0) this.expected("a condition", `in ${opTok.keyword} (`);
        this.next();
        if (this.cur().type === ",") this.expected("a condition", 'after ","');
        continue;
      }
      items.push(this.orExpr());
    }
    this.inBoolList--;
    // qlbridge collapses a one-item list to the item itself.
    if (items.length === 1) return items[0]!;
    return {
      type: "BoolList",
      op: opTok.keyword as "AND" | "OR",
      negated: false,
      items,
      pos: opTok.pos,
    };
  }

  private base(): Expr {
    const tok = this.cur();
    switch (tok.type) {
      case "number":
        this.next();
        return numberLiteral(tok);
      case "string":
        this.next();
        return { type: "String", value: tok.value, pos: tok.pos };
      case "[":
        return this.arrayLiteral();
      case "(": {
        this.next();
        const saved = this.inBoolList;
        this.inBoolList = 0;
        const e = this.orExpr();
        this.inBoolList = saved;
        if (this.cur().type !== ")") this.expected('")"', "to close (");
        this.next();
        return e;
      }
      case "op":
        if (tok.value === "*") {
          this.next();
          return { type: "Star", text: "*", pos: tok.pos };
        }
        break;
      case "ident": {
        if (tok.keyword === "INCLUDE") {
          this.next();
          const name = this.cur();
          if (name.type !== "ident" && name.type !== "number")
            this.expected("a segment name", "after INCLUDE");
          this.next();
          return { type: "Include", negated: false, name: name.value, pos: tok.pos };
        }
        if (tok.keyword === "NULL") {
          this.next();
          return { type: "Null", pos: tok.pos };
        }
        if (this.isFunctionStart()) return this.functionCall();
        if (tok.keyword && !KEYWORD_FUNCTIONS.has(tok.keyword)) break;
        this.next();
        if (this.isBooleanWord(tok)) {
          return { type: "Bool", value: tok.value.toLowerCase() === "true", pos: tok.pos };
        }
        return identExpr(tok);
      }
    }
    if (tok.type === "eof") return this.expected("a value");
    return this.fail(`unexpected ${describe(tok)}`, tok, "a value");
  }

  private isBooleanWord(tok: Token): boolean {
    if (tok.type !== "ident" || tok.quote) return false;
    const lower = tok.value.toLowerCase();
    return lower === "true" || lower === "false";
  }

  /** `name (`: a call. Keywords that are also functions (exists, contains) need the paren adjacent. */
  private isFunctionStart(): boolean {
    const tok = this.cur();
    if (tok.type !== "ident" || tok.quote) return false;
    const next = this.peek();
    if (next.type !== "(") return false;
    if (tok.keyword) return KEYWORD_FUNCTIONS.has(tok.keyword) && this.isAdjacentCall(tok);
    return true;
  }

  /** Whether the current token (tok) is directly followed by "(", with no space between. */
  private isAdjacentCall(tok: Token): boolean {
    const next = this.tokens[this.i + 1];
    return next !== undefined && next.type === "(" && next.pos.offset === tok.end;
  }

  /** The token after the call that starts here, to tell `NOT f(x) IN (...)` from `NOT f(x)`. */
  private peekAfterCall(): Token {
    let depth = 0;
    let j = this.i + 1;
    for (; j < this.tokens.length; j++) {
      const t = this.tokens[j]!;
      if (t.type === "(") depth++;
      else if (t.type === ")") {
        depth--;
        if (depth === 0) break;
      } else if (t.type === "eof") return t;
    }
    j++;
    while (this.tokens[j] && this.tokens[j]!.type === "comment") j++;
    return this.tokens[j] ?? this.tokens[this.tokens.length - 1]!;
  }

  private functionCall(): Expr {
    const nameTok = this.next();
    const name = nameTok.value.toLowerCase();
    this.next(); // (
    const args: Expr[] = [];
    const saved = this.inBoolList;
    this.inBoolList = 0;
    if (name === "cast" && this.castHasAs()) {
      args.push(this.orExpr());
      if (!this.isKeyword("AS")) this.expected("AS", "in cast(x AS type)");
      this.next();
      const typeTok = this.expect("ident", "a type name", "after AS");
      args.push({ type: "String", value: typeTok.value, pos: typeTok.pos });
    } else {
      while (this.cur().type !== ")") {
        if (this.cur().type === "eof") this.expected('")"', `to close ${name}(`);
        args.push(this.orExpr());
        if (this.cur().type === ",") {
          this.next();
          if (this.cur().type === ")" || this.cur().type === ",")
            this.expected("an argument", 'after ","');
        } else if (this.cur().type !== ")") {
          this.expected('"," or ")"', `in the arguments of ${name}(`);
        }
      }
    }
    this.inBoolList = saved;
    this.expect(")", '")"', `to close ${name}(`);
    this.checkFunction(name, args, nameTok);
    return { type: "Func", name, args, pos: nameTok.pos };
  }

  private castHasAs(): boolean {
    let depth = 0;
    for (let j = this.i; j < this.tokens.length; j++) {
      const t = this.tokens[j]!;
      if (t.type === "(") depth++;
      else if (t.type === ")") {
        if (depth === 0) return false;
        depth--;
      } else if (depth === 0 && t.type === "ident" && t.keyword === "AS") return true;
      else if (t.type === "eof") return false;
    }
    return false;
  }

  private checkFunction(name: string, args: readonly Expr[], tok: Token): void {
    const def = lookupFunction(name);
    if (!def) {
      const reason = UNSUPPORTED_FUNCTIONS.get(name);
      if (reason !== undefined) {
        throw new SegmentQLError(
          "UNSUPPORTED_FUNCTION",
          `function ${name}() is not supported: ${reason}`,
          tok.pos,
        );
      }
      if (this.strictFunctions) {
        throw new SegmentQLError("UNKNOWN_FUNCTION", `unknown function ${name}()`, tok.pos);
      }
      return;
    }
    if (args.length < def.minArgs || args.length > def.maxArgs) {
      const want =
        def.minArgs === def.maxArgs
          ? `${def.minArgs}`
          : def.maxArgs === Number.POSITIVE_INFINITY
            ? `at least ${def.minArgs}`
            : `${def.minArgs} to ${def.maxArgs}`;
      throw new SegmentQLError(
        "FUNCTION_ARGUMENTS",
        `${name}() takes ${want} argument${want === "1" ? "" : "s"}, got ${args.length}`,
        tok.pos,
      );
    }
    const problem = def.validate?.(args);
    if (problem !== undefined)
      throw new SegmentQLError("FUNCTION_ARGUMENTS", `${name}(): ${problem}`, tok.pos);
  }

  private list(): Expr {
    const open = this.next(); // (
    const items: Expr[] = [];
    const saved = this.inBoolList;
    this.inBoolList = 0;
    for (;;) {
      const tok = this.cur();
      if (tok.type === ")") {
        this.next();
        break;
      }
      if (tok.type === "eof")
        this.fail(
          `expected ")" to close the list opened at ${open.pos.line}:${open.pos.column}, found end of input`,
          tok,
          '")"',
        );
      if (tok.type === ",") {
        this.next();
        continue;
      }
      items.push(this.orExpr());
    }
    this.inBoolList = saved;
    return { type: "List", items, pos: open.pos };
  }

  private arrayLiteral(): ArrayLit {
    const open = this.next(); // [
    const items: (StringLit | NumberLit | BoolLit | NullLit)[] = [];
    for (;;) {
      let tok = this.cur();
      if (tok.type === "]") {
        this.next();
        break;
      }
      let negative = false;
      if (this.isOp("-", tok) && this.peek().type === "number") {
        negative = true;
        this.next();
        tok = this.cur();
      }
      if (tok.type === "string") {
        this.next();
        items.push({ type: "String", value: tok.value, pos: tok.pos });
      } else if (tok.type === "number") {
        this.next();
        // Elements of a literal array are float64 in qlbridge, whatever their spelling.
        const lit = numberLiteral(tok);
        const value = negative ? -lit.value : lit.value;
        items.push({
          type: "Number",
          value,
          isInt: false,
          text: negative ? `-${lit.text}` : lit.text,
          pos: tok.pos,
        });
      } else {
        this.expected("a string or number", "in [ ] array");
      }
      if (this.cur().type === ",") {
        this.next();
        continue;
      }
      if (this.cur().type !== "]")
        this.expected('"," or "]"', `in the array opened at ${open.pos.line}:${open.pos.column}`);
    }
    return { type: "Array", items, pos: open.pos };
  }
}

/** Keywords that are also builtin function names, called as `exists(x)` / `contains(a, b)`. */
const KEYWORD_FUNCTIONS: ReadonlySet<string> = new Set(["EXISTS", "CONTAINS", "FILTER"]);

function numberLiteral(tok: Token): NumberLit {
  const text = tok.value;
  const isHex = /^0[xX]/.test(text);
  const isInt = isHex || /^\d+$/.test(text);
  const value = isHex ? Number.parseInt(text.slice(2), 16) : Number(text);
  return { type: "Number", value, isInt, text, pos: tok.pos };
}

function identExpr(tok: Token): Expr {
  if (tok.parts)
    return { type: "Ident", name: tok.value, quoted: true, parts: tok.parts, pos: tok.pos };
  return { type: "Ident", name: tok.value, quoted: tok.quote !== undefined, pos: tok.pos };
}

/** NOT folds into INCLUDE, AND/OR lists and BETWEEN as their negated flag (qlbridge ReverseNegation). */
export function negateExpr(inner: Expr, pos: Position): Expr {
  switch (inner.type) {
    case "Include":
    case "BoolList":
    case "Between":
      return { ...inner, negated: !inner.negated };
    default:
      return { type: "Not", expr: inner, pos };
  }
}
