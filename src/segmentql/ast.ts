// The typed syntax tree of a SegmentQL statement. Positions are 1-based line and column of the
// node's first token, so that analysis and compile errors can point at the source.

export interface Position {
  /** 0-based offset into the source text. */
  readonly offset: number;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, counted in UTF-16 code units. */
  readonly column: number;
}

export type ComparisonOp = "==" | "!=" | ">" | ">=" | "<" | "<=";
export type ArithmeticOp = "+" | "-" | "*" | "/" | "%";
/** Operators whose right side may be a list. */
export type SetOp = "IN" | "INTERSECTS" | "LIKE" | "CONTAINS";
export type BinaryOp = ComparisonOp | ArithmeticOp | SetOp;

export type Expr =
  | BoolListExpr
  | LogicalExpr
  | NotExpr
  | BinaryExpr
  | BetweenExpr
  | ExistsExpr
  | IncludeExpr
  | FuncExpr
  | IdentExpr
  | StringLit
  | NumberLit
  | BoolLit
  | NullLit
  | ArrayLit
  | ListExpr
  | NegateExpr
  | StarExpr;

/** `AND ( a, b, ... )` / `OR ( ... )`: a boolean list (qlbridge BooleanNode). `NOT AND (...)` sets negated. */
export interface BoolListExpr {
  readonly type: "BoolList";
  readonly op: "AND" | "OR";
  readonly negated: boolean;
  readonly items: readonly Expr[];
  readonly pos: Position;
}

/** Infix `a AND b` / `a OR b` (also `&&`, `||`): both sides are evaluated (qlbridge BinaryNode). */
export interface LogicalExpr {
  readonly type: "Logical";
  readonly op: "AND" | "OR";
  readonly left: Expr;
  readonly right: Expr;
  readonly pos: Position;
}

/** `NOT expr` / `!expr` (qlbridge UnaryNode with the negate operator). */
export interface NotExpr {
  readonly type: "Not";
  readonly expr: Expr;
  readonly pos: Position;
}

export interface BinaryExpr {
  readonly type: "Binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly pos: Position;
}

/** `x BETWEEN lo AND hi`, exclusive at both ends; `NOT BETWEEN` sets negated. */
export interface BetweenExpr {
  readonly type: "Between";
  readonly negated: boolean;
  readonly expr: Expr;
  readonly low: Expr;
  readonly high: Expr;
  readonly pos: Position;
}

/** The EXISTS keyword (not the exists() function). */
export interface ExistsExpr {
  readonly type: "Exists";
  readonly expr: Expr;
  readonly pos: Position;
}

/** `INCLUDE name`; `NOT INCLUDE name` sets negated (with qlbridge's own truth table for that case). */
export interface IncludeExpr {
  readonly type: "Include";
  readonly negated: boolean;
  /** The referenced segment's alias (or id), as written. */
  readonly name: string;
  readonly pos: Position;
}

export interface FuncExpr {
  readonly type: "Func";
  /** Lower-cased function name, e.g. "string.uppercase". */
  readonly name: string;
  readonly args: readonly Expr[];
  readonly pos: Position;
}

/**
 * A field reference. `parts` has one element for a plain name (which may itself contain dots:
 * `a.b` looks up key "a.b" first, then key "b" of map "a"), or two for quoted parts `` `a`.`b` ``.
 */
export interface IdentExpr {
  readonly type: "Ident";
  readonly name: string;
  /** True when written with quotes (`x`, [x], 'x'), which printing must preserve. */
  readonly quoted: boolean;
  /** For `` `a`.`b` ``: the map field and its key. */
  readonly parts?: readonly [string, string];
  readonly pos: Position;
}

export interface StringLit {
  readonly type: "String";
  readonly value: string;
  readonly pos: Position;
}

/** A numeric literal; `isInt` when written without fraction or exponent (qlbridge IntValue). */
export interface NumberLit {
  readonly type: "Number";
  readonly value: number;
  readonly isInt: boolean;
  /** The literal as written, kept for faithful printing. */
  readonly text: string;
  readonly pos: Position;
}

export interface BoolLit {
  readonly type: "Bool";
  readonly value: boolean;
  readonly pos: Position;
}

export interface NullLit {
  readonly type: "Null";
  readonly pos: Position;
}

/** A JSON-style literal array `["a", 1]`; numeric elements are numbers (float64 in qlbridge). */
export interface ArrayLit {
  readonly type: "Array";
  readonly items: readonly (StringLit | NumberLit | BoolLit | NullLit)[];
  readonly pos: Position;
}

/** A parenthesised list after IN / INTERSECTS: `("a", "b", 3)`. */
export interface ListExpr {
  readonly type: "List";
  readonly items: readonly Expr[];
  readonly pos: Position;
}

/** Unary minus. */
export interface NegateExpr {
  readonly type: "Negate";
  readonly expr: Expr;
  readonly pos: Position;
}

/** `*` (or `match_all`): matches everything when it is the whole filter; elsewhere a field named "*". */
export interface StarExpr {
  readonly type: "Star";
  readonly text: "*" | "match_all";
  readonly pos: Position;
}

/** A `WITH` property value. */
export type WithValue = string | number | boolean | null | WithValue[] | { [k: string]: WithValue };

export interface FilterStatement {
  readonly kind: "FILTER" | "SELECT";
  /** The filter; null for the qlbridge quirk `FILTER` with nothing after it (never matches). */
  readonly filter: Expr | null;
  /** SELECT's column list, kept for printing; segments only use the filter. */
  readonly columns?: readonly string[];
  /** True for `SELECT … WHERE`, which qlbridge's filter VM never matches. */
  readonly where?: boolean;
  readonly from?: string;
  readonly limit?: number;
  readonly with?: Readonly<Record<string, WithValue>>;
  /** Lower-cased, as qlbridge stores it. */
  readonly alias?: string;
  /** The `--` comment lines before the statement, joined with newlines. */
  readonly description?: string;
}
