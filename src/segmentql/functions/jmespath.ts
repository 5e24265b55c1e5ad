// A JMESPath implementation (https://jmespath.org/specification.html) following
// github.com/jmespath/go-jmespath v0.4.0, which qlbridge's json.jmespath() uses: the whole
// expression grammar and its builtin functions. Compile errors are thrown by compileJmes;
// runtime errors (unknown function, bad argument types) by the returned search function.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export class JmesError extends Error {}

type TokenType =
  | "eof"
  | "ident"
  | "quoted"
  | "raw"
  | "literal"
  | "number"
  | "."
  | "*"
  | "["
  | "]"
  | "{"
  | "}"
  | "("
  | ")"
  | ","
  | ":"
  | "|"
  | "||"
  | "&&"
  | "&"
  | "!"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "@"
  | "[?"
  | "[]";

interface Token {
  readonly type: TokenType;
  readonly value: string;
  readonly pos: number;
}

function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (type: TokenType, value: string, pos: number) => out.push({ type, value, pos });
  while (i < src.length) {
    const c = src[i]!;
    const start = i;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      push("ident", src.slice(start, i), start);
    } else if (/[0-9-]/.test(c)) {
      i++;
      while (i < src.length && /[0-9]/.test(src[i]!)) i++;
      const text = src.slice(start, i);
      if (text === "-") throw new JmesError(`invalid number at ${start}`);
      push("number", text, start);
    } else if (c === '"' || c === "'" || c === "`") {
      i++;
      let text = "";
      for (;;) {
        if (i >= src.length) throw new JmesError(`unclosed ${c} at ${start}`);
        const d = src[i]!;
        if (d === "\\" && i + 1 < src.length) {
          text += d + src[i + 1];
          i += 2;
          continue;
        }
        if (d === c) break;
        text += d;
        i++;
      }
      i++;
      if (c === '"') {
        let v: unknown;
        try {
          v = JSON.parse(`"${text}"`);
        } catch {
          throw new JmesError(`invalid quoted identifier at ${start}`);
        }
        push("quoted", v as string, start);
      } else if (c === "'") {
        push("raw", text.replaceAll("\\'", "'"), start);
      } else {
        push("literal", text.replaceAll("\\`", "`"), start);
      }
    } else if (c === "[") {
      const n = src[i + 1];
      if (n === "?") {
        push("[?", "[?", start);
        i += 2;
      } else if (n === "]") {
        push("[]", "[]", start);
        i += 2;
      } else {
        push("[", c, start);
        i++;
      }
    } else if (c === "|" || c === "&") {
      if (src[i + 1] === c) {
        push(c === "|" ? "||" : "&&", c + c, start);
        i += 2;
      } else {
        push(c, c, start);
        i++;
      }
    } else if (c === "!" || c === "<" || c === ">" || c === "=") {
      if (src[i + 1] === "=") {
        push(`${c}=` as TokenType, `${c}=`, start);
        i += 2;
      } else if (c === "=") {
        throw new JmesError(`unknown token "=" at ${start}`);
      } else {
        push(c as TokenType, c, start);
        i++;
      }
    } else if (".*]{}(),:@".includes(c)) {
      push(c as TokenType, c, start);
      i++;
    } else {
      throw new JmesError(`unknown character ${JSON.stringify(c)} at ${start}`);
    }
  }
  out.push({ type: "eof", value: "", pos: src.length });
  return out;
}

type Node =
  | { t: "identity" }
  | { t: "current" }
  | { t: "field"; name: string }
  | { t: "literal"; value: Json }
  | { t: "sub"; left: Node; right: Node }
  | { t: "index"; left: Node; index: number }
  | { t: "slice"; left: Node; start: number | null; stop: number | null; step: number | null }
  | { t: "projection"; left: Node; right: Node }
  | { t: "valueProjection"; left: Node; right: Node }
  | { t: "filterProjection"; left: Node; right: Node; cond: Node }
  | { t: "flatten"; left: Node }
  | { t: "cmp"; op: string; left: Node; right: Node }
  | { t: "or"; left: Node; right: Node }
  | { t: "and"; left: Node; right: Node }
  | { t: "not"; expr: Node }
  | { t: "pipe"; left: Node; right: Node }
  | { t: "multiList"; items: Node[] }
  | { t: "multiHash"; items: [string, Node][] }
  | { t: "expref"; expr: Node }
  | { t: "call"; name: string; args: Node[] };

const BP: Partial<Record<TokenType, number>> = {
  "|": 1,
  "||": 2,
  "&&": 3,
  "==": 5,
  "!=": 5,
  "<": 5,
  "<=": 5,
  ">": 5,
  ">=": 5,
  "[]": 9,
  "*": 20,
  "[?": 21,
  ".": 40,
  "!": 45,
  "{": 50,
  "[": 55,
  "(": 60,
};

function bp(t: TokenType): number {
  return BP[t] ?? 0;
}

const IDENTITY: Node = { t: "identity" };

type IndexSpec =
  | { slice: false; index: number }
  | { slice: true; start: number | null; stop: number | null; step: number | null };

class Parser {
  readonly tokens: Token[];
  i = 0;

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!;
  }

  next(): Token {
    return this.tokens[this.i++]!;
  }

  expect(t: TokenType): Token {
    const tok = this.next();
    if (tok.type !== t) throw new JmesError(`expected ${t}, got ${tok.type} at ${tok.pos}`);
    return tok;
  }

  parse(): Node {
    const n = this.expression(0);
    if (this.peek().type !== "eof")
      throw new JmesError(`unexpected token ${this.peek().value} at ${this.peek().pos}`);
    return n;
  }

  expression(rbp: number): Node {
    let left = this.nud(this.next());
    while (rbp < bp(this.peek().type)) left = this.led(this.next(), left);
    return left;
  }

  nud(tok: Token): Node {
    switch (tok.type) {
      case "literal": {
        try {
          return { t: "literal", value: JSON.parse(tok.value) as Json };
        } catch {
          throw new JmesError(`invalid JSON literal at ${tok.pos}`);
        }
      }
      case "raw":
        return { t: "literal", value: tok.value };
      case "ident":
        return { t: "field", name: tok.value };
      case "quoted":
        if (this.peek().type === "(")
          throw new JmesError("a quoted identifier cannot name a function");
        return { t: "field", name: tok.value };
      case "*": {
        const right = this.peek().type === "]" ? IDENTITY : this.projectionRHS(bp("*"));
        return { t: "valueProjection", left: IDENTITY, right };
      }
      case "[?":
        return this.filter(IDENTITY);
      case "{":
        return this.multiHash();
      case "(": {
        const e = this.expression(0);
        this.expect(")");
        return e;
      }
      case "[]": {
        const left: Node = { t: "flatten", left: IDENTITY };
        return { t: "projection", left, right: this.projectionRHS(bp("[]")) };
      }
      case "!":
        return { t: "not", expr: this.expression(bp("!")) };
      case "[": {
        const n = this.peek().type;
        if (n === "number" || n === ":")
          return this.projectIfSlice(IDENTITY, this.indexExpression());
        if (n === "*" && this.peek(1).type === "]") {
          this.next();
          this.next();
          return { t: "projection", left: IDENTITY, right: this.projectionRHS(bp("*")) };
        }
        return this.multiList();
      }
      case "@":
        return { t: "current" };
      case "&":
        return { t: "expref", expr: this.expression(bp("&")) };
      default:
        throw new JmesError(
          `unexpected token ${tok.type === "eof" ? "end of expression" : tok.value} at ${tok.pos}`,
        );
    }
  }

  led(tok: Token, left: Node): Node {
    switch (tok.type) {
      case ".": {
        if (this.peek().type !== "*") return { t: "sub", left, right: this.dotRHS(bp(".")) };
        this.next();
        return { t: "valueProjection", left, right: this.projectionRHS(bp(".")) };
      }
      case "|":
        return { t: "pipe", left, right: this.expression(bp("|")) };
      case "||":
        return { t: "or", left, right: this.expression(bp("||")) };
      case "&&":
        return { t: "and", left, right: this.expression(bp("&&")) };
      case "(": {
        if (left.t !== "field") throw new JmesError("invalid function name");
        const args: Node[] = [];
        while (this.peek().type !== ")") {
          args.push(this.expression(0));
          if (this.peek().type === ",") this.next();
          else if (this.peek().type !== ")")
            throw new JmesError(`expected , or ) at ${this.peek().pos}`);
        }
        this.expect(")");
        return { t: "call", name: left.name, args };
      }
      case "[?":
        return this.filter(left);
      case "[]":
        return {
          t: "projection",
          left: { t: "flatten", left },
          right: this.projectionRHS(bp("[]")),
        };
      case "==":
      case "!=":
      case "<":
      case "<=":
      case ">":
      case ">=":
        return { t: "cmp", op: tok.type, left, right: this.expression(bp(tok.type)) };
      case "[": {
        const n = this.peek().type;
        if (n === "number" || n === ":") return this.projectIfSlice(left, this.indexExpression());
        this.expect("*");
        this.expect("]");
        return { t: "projection", left, right: this.projectionRHS(bp("*")) };
      }
      default:
        throw new JmesError(`unexpected token ${tok.value} at ${tok.pos}`);
    }
  }

  filter(left: Node): Node {
    const cond = this.expression(0);
    this.expect("]");
    const right = this.peek().type === "[]" ? IDENTITY : this.projectionRHS(bp("[?"));
    return { t: "filterProjection", left, right, cond };
  }

  // After "[": an index or a slice, up to and including "]".
  indexExpression(): IndexSpec {
    if (this.peek().type === ":" || this.peek(1).type === ":") {
      const parts: (number | null)[] = [null, null, null];
      let k = 0;
      while (this.peek().type !== "]" && k < 3) {
        const t = this.peek().type;
        if (t === ":") {
          k++;
          this.next();
        } else if (t === "number") {
          parts[k] = Number(this.next().value);
        } else {
          throw new JmesError(`unexpected token in slice at ${this.peek().pos}`);
        }
      }
      this.expect("]");
      return { slice: true, start: parts[0]!, stop: parts[1]!, step: parts[2]! };
    }
    const index = Number(this.expect("number").value);
    this.expect("]");
    return { slice: false, index };
  }

  // A slice projects what follows it; an index does not.
  projectIfSlice(left: Node, spec: IndexSpec): Node {
    if (!spec.slice) return { t: "index", left, index: spec.index };
    const sliced: Node = { t: "slice", left, start: spec.start, stop: spec.stop, step: spec.step };
    return { t: "projection", left: sliced, right: this.projectionRHS(bp("*")) };
  }

  projectionRHS(rbp: number): Node {
    const t = this.peek().type;
    if (bp(t) < 10) return IDENTITY;
    if (t === "[" || t === "[?") return this.expression(rbp);
    if (t === ".") {
      this.next();
      return this.dotRHS(rbp);
    }
    throw new JmesError(`unexpected token after projection at ${this.peek().pos}`);
  }

  dotRHS(rbp: number): Node {
    const t = this.peek().type;
    if (t === "ident" || t === "quoted" || t === "*") return this.expression(rbp);
    if (t === "[") {
      this.next();
      return this.multiList();
    }
    if (t === "{") {
      this.next();
      return this.multiHash();
    }
    throw new JmesError(`unexpected token after "." at ${this.peek().pos}`);
  }

  multiList(): Node {
    const items: Node[] = [];
    for (;;) {
      items.push(this.expression(0));
      if (this.peek().type === "]") break;
      this.expect(",");
    }
    this.expect("]");
    return { t: "multiList", items };
  }

  multiHash(): Node {
    const items: [string, Node][] = [];
    for (;;) {
      const key = this.next();
      if (key.type !== "ident" && key.type !== "quoted")
        throw new JmesError(`expected a key at ${key.pos}`);
      this.expect(":");
      items.push([key.value, this.expression(0)]);
      if (this.peek().type === "}") break;
      this.expect(",");
    }
    this.expect("}");
    return { t: "multiHash", items };
  }
}

function isObject(v: Json): v is { [k: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function truthy(v: Json): boolean {
  if (v === null || v === false || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]!));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k]!, b[k]!));
  }
  return false;
}

function sliceArray(
  arr: Json[],
  start: number | null,
  stop: number | null,
  step: number | null,
): Json[] {
  const s = step ?? 1;
  if (s === 0) throw new JmesError("slice step cannot be 0");
  const n = arr.length;
  const cap = (v: number | null, dflt: number): number => {
    if (v === null) return dflt;
    if (v < 0) return Math.max(v + n, s < 0 ? -1 : 0);
    return Math.min(v, s < 0 ? n - 1 : n);
  };
  const from = cap(start, s < 0 ? n - 1 : 0);
  const to = cap(stop, s < 0 ? -1 : n);
  const out: Json[] = [];
  if (s > 0) for (let i = from; i < to; i += s) out.push(arr[i]!);
  else for (let i = from; i > to; i += s) out.push(arr[i]!);
  return out;
}

interface ExpRef {
  readonly expref: Node;
}

type Arg = Json | ExpRef;

class ExpRefBox implements ExpRef {
  readonly expref: Node;
  constructor(expref: Node) {
    this.expref = expref;
  }
}

function isExpRef(v: Arg): v is ExpRef {
  return v instanceof ExpRefBox;
}

function typeName(v: Arg): string {
  if (isExpRef(v)) return "expref";
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (isObject(v)) return "object";
  return typeof v;
}

function need(cond: boolean, fn: string): void {
  if (!cond) throw new JmesError(`invalid type for ${fn}()`);
}

function arity(args: Arg[], n: number, fn: string, variadic = false): void {
  if (variadic ? args.length < n : args.length !== n)
    throw new JmesError(`invalid arity for ${fn}()`);
}

function numbers(v: Arg, fn: string): number[] {
  need(Array.isArray(v) && v.every((x) => typeof x === "number"), fn);
  return v as number[];
}

function compareSortable(a: Json, b: Json, fn: string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  throw new JmesError(`invalid type for ${fn}()`);
}

function goFloatString(n: number): string {
  // to_string of a number: Go's json.Marshal of a float64.
  return JSON.stringify(n);
}

function callFunction(name: string, args: Arg[], search: (n: Node, v: Json) => Json): Json {
  const a0 = args[0] as Json;
  switch (name) {
    case "abs":
      arity(args, 1, name);
      need(typeof a0 === "number", name);
      return Math.abs(a0 as number);
    case "avg": {
      arity(args, 1, name);
      const ns = numbers(a0, name);
      return ns.length === 0 ? null : ns.reduce((x, y) => x + y, 0) / ns.length;
    }
    case "ceil":
      arity(args, 1, name);
      need(typeof a0 === "number", name);
      return Math.ceil(a0 as number);
    case "floor":
      arity(args, 1, name);
      need(typeof a0 === "number", name);
      return Math.floor(a0 as number);
    case "contains": {
      arity(args, 2, name);
      const needle = args[1] as Json;
      if (typeof a0 === "string") return typeof needle === "string" && a0.includes(needle);
      need(Array.isArray(a0), name);
      return (a0 as Json[]).some((x) => deepEqual(x, needle));
    }
    case "ends_with":
    case "starts_with": {
      arity(args, 2, name);
      const b = args[1];
      need(typeof a0 === "string" && typeof b === "string", name);
      return name === "ends_with"
        ? (a0 as string).endsWith(b as string)
        : (a0 as string).startsWith(b as string);
    }
    case "join": {
      arity(args, 2, name);
      const list = args[1];
      need(
        typeof a0 === "string" && Array.isArray(list) && list.every((x) => typeof x === "string"),
        name,
      );
      return (list as string[]).join(a0 as string);
    }
    case "keys":
      arity(args, 1, name);
      need(isObject(a0), name);
      return Object.keys(a0 as object);
    case "values":
      arity(args, 1, name);
      need(isObject(a0), name);
      return Object.values(a0 as object) as Json[];
    case "length":
      arity(args, 1, name);
      if (typeof a0 === "string") return [...a0].length;
      if (Array.isArray(a0)) return a0.length;
      need(isObject(a0), name);
      return Object.keys(a0 as object).length;
    case "map": {
      arity(args, 2, name);
      const f = args[0];
      const list = args[1];
      need(isExpRef(f) && Array.isArray(list), name);
      return (list as Json[]).map((x) => search((f as ExpRef).expref, x));
    }
    case "max":
    case "min": {
      arity(args, 1, name);
      need(Array.isArray(a0), name);
      const list = a0 as Json[];
      if (list.length === 0) return null;
      need(
        list.every((x) => typeof x === "number") || list.every((x) => typeof x === "string"),
        name,
      );
      return list.reduce((best, x) => {
        const c = compareSortable(x, best, name);
        return (name === "max" ? c > 0 : c < 0) ? x : best;
      });
    }
    case "max_by":
    case "min_by": {
      arity(args, 2, name);
      const f = args[1];
      need(Array.isArray(a0) && isExpRef(f), name);
      const list = a0 as Json[];
      if (list.length === 0) return null;
      const keys = list.map((x) => search((f as ExpRef).expref, x));
      need(
        keys.every((k) => typeof k === "number") || keys.every((k) => typeof k === "string"),
        name,
      );
      let best = 0;
      for (let i = 1; i < list.length; i++) {
        const c = compareSortable(keys[i]!, keys[best]!, name);
        if (name === "max_by" ? c > 0 : c < 0) best = i;
      }
      return list[best]!;
    }
    case "merge": {
      arity(args, 1, name, true);
      const out: { [k: string]: Json } = {};
      for (const o of args) {
        need(isObject(o as Json), name);
        Object.assign(out, o);
      }
      return out;
    }
    case "not_null": {
      arity(args, 1, name, true);
      for (const x of args) if (x !== null) return x as Json;
      return null;
    }
    case "reverse":
      arity(args, 1, name);
      if (typeof a0 === "string") return [...a0].reverse().join("");
      need(Array.isArray(a0), name);
      return [...(a0 as Json[])].reverse();
    case "sort": {
      arity(args, 1, name);
      need(Array.isArray(a0), name);
      const list = [...(a0 as Json[])];
      need(
        list.every((x) => typeof x === "number") || list.every((x) => typeof x === "string"),
        name,
      );
      return list.sort((x, y) => compareSortable(x, y, name));
    }
    case "sort_by": {
      arity(args, 2, name);
      const f = args[1];
      need(Array.isArray(a0) && isExpRef(f), name);
      const list = a0 as Json[];
      const keyed = list.map((x) => ({ x, k: search((f as ExpRef).expref, x) }));
      need(
        keyed.every((e) => typeof e.k === "number") || keyed.every((e) => typeof e.k === "string"),
        name,
      );
      return keyed.sort((p, q) => compareSortable(p.k, q.k, name)).map((e) => e.x);
    }
    case "sum": {
      arity(args, 1, name);
      return numbers(a0, name).reduce((x, y) => x + y, 0);
    }
    case "to_array":
      arity(args, 1, name);
      return Array.isArray(a0) ? a0 : [a0];
    case "to_number": {
      arity(args, 1, name);
      if (typeof a0 === "number") return a0;
      if (typeof a0 === "string") {
        const n = Number(a0);
        return a0.trim() !== "" && Number.isFinite(n) ? n : null;
      }
      return null;
    }
    case "to_string":
      arity(args, 1, name);
      if (typeof a0 === "string") return a0;
      if (typeof a0 === "number") return goFloatString(a0);
      return JSON.stringify(a0);
    case "type":
      arity(args, 1, name);
      return typeName(a0);
    default:
      throw new JmesError(`unknown function ${name}()`);
  }
}

function search(node: Node, v: Json): Json {
  switch (node.t) {
    case "identity":
    case "current":
      return v;
    case "field":
      return isObject(v) && Object.hasOwn(v, node.name) ? v[node.name]! : null;
    case "literal":
      return node.value;
    case "sub":
      return search(node.right, search(node.left, v));
    case "index": {
      const l = search(node.left, v);
      if (!Array.isArray(l)) return null;
      const i = node.index < 0 ? l.length + node.index : node.index;
      return i >= 0 && i < l.length ? l[i]! : null;
    }
    case "slice": {
      const l = search(node.left, v);
      return Array.isArray(l) ? sliceArray(l, node.start, node.stop, node.step) : null;
    }
    case "projection": {
      const l = search(node.left, v);
      if (!Array.isArray(l)) return null;
      const out: Json[] = [];
      for (const e of l) {
        const r = search(node.right, e);
        if (r !== null) out.push(r);
      }
      return out;
    }
    case "valueProjection": {
      const l = search(node.left, v);
      if (!isObject(l)) return null;
      const out: Json[] = [];
      for (const e of Object.values(l)) {
        const r = search(node.right, e);
        if (r !== null) out.push(r);
      }
      return out;
    }
    case "filterProjection": {
      const l = search(node.left, v);
      if (!Array.isArray(l)) return null;
      const out: Json[] = [];
      for (const e of l) {
        if (!truthy(search(node.cond, e))) continue;
        const r = search(node.right, e);
        if (r !== null) out.push(r);
      }
      return out;
    }
    case "flatten": {
      const l = search(node.left, v);
      if (!Array.isArray(l)) return null;
      const out: Json[] = [];
      for (const e of l) {
        if (Array.isArray(e)) out.push(...e);
        else out.push(e);
      }
      return out;
    }
    case "cmp": {
      const a = search(node.left, v);
      const b = search(node.right, v);
      if (node.op === "==") return deepEqual(a, b);
      if (node.op === "!=") return !deepEqual(a, b);
      // Ordering compares numbers only; anything else is null.
      if (typeof a !== "number" || typeof b !== "number") return null;
      switch (node.op) {
        case "<":
          return a < b;
        case "<=":
          return a <= b;
        case ">":
          return a > b;
        default:
          return a >= b;
      }
    }
    case "or": {
      const a = search(node.left, v);
      return truthy(a) ? a : search(node.right, v);
    }
    case "and": {
      const a = search(node.left, v);
      return truthy(a) ? search(node.right, v) : a;
    }
    case "not":
      return !truthy(search(node.expr, v));
    case "pipe":
      return search(node.right, search(node.left, v));
    case "multiList":
      return v === null ? null : node.items.map((n) => search(n, v));
    case "multiHash": {
      if (v === null) return null;
      const out: { [k: string]: Json } = {};
      for (const [k, n] of node.items) out[k] = search(n, v);
      return out;
    }
    case "expref":
      // Only meaningful as a function argument.
      return new ExpRefBox(node.expr) as unknown as Json;
    case "call": {
      const args = node.args.map((a) =>
        a.t === "expref" ? new ExpRefBox(a.expr) : search(a, v),
      ) as Arg[];
      return callFunction(node.name, args, search);
    }
  }
}

/** jmespath.Compile: a search function, or a JmesError for a malformed expression. */
export function compileJmes(expression: string): (data: Json) => Json {
  const ast = new Parser(lex(expression)).parse();
  return (data) => search(ast, data);
}
