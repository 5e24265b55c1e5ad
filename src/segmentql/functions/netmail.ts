// Go's net/mail.ParseAddress (RFC 5322 address parsing, with RFC 2047 encoded words in display
// names), as qlbridge's email(), emailname() and emaildomain() call it.

import { parseIP } from "./network.ts";

export interface MailAddress {
  readonly name: string;
  readonly address: string;
}

class ParseError extends Error {}

function fail(msg: string): never {
  throw new ParseError(msg);
}

function isVchar(c: string): boolean {
  const r = c.codePointAt(0)!;
  return (r >= 0x21 && r <= 0x7e) || r >= 0x80;
}

function isWSP(c: string): boolean {
  return c === " " || c === "\t";
}

function isAtext(c: string, dot: boolean): boolean {
  if (c === ".") return dot;
  if ('()<>[]:;@\\,"'.includes(c)) return false;
  return isVchar(c);
}

function isQtext(c: string): boolean {
  if (c === "\\" || c === '"') return false;
  return isVchar(c);
}

function isDtext(c: string): boolean {
  if (c === "[" || c === "]" || c === "\\") return false;
  return isVchar(c);
}

function isLoneSurrogate(c: string): boolean {
  const r = c.codePointAt(0)!;
  return r >= 0xd800 && r <= 0xdfff;
}

// mime.WordDecoder.Decode with net/mail's decoder: utf-8, iso-8859-1 and us-ascii only.
class CharsetError extends Error {}

function decodeRFC2047(word: string): string | undefined {
  if (word.length < 8 || !word.startsWith("=?") || !word.endsWith("?=")) return undefined;
  if (word.split("?").length - 1 !== 4) return undefined;
  const inner = word.slice(2, -2);
  const [charset, encoding, text] = inner.split("?") as [string, string, string];
  if (charset === "" || encoding.length !== 1) return undefined;
  let bytes: Uint8Array;
  if (encoding === "B" || encoding === "b") {
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text))
      return undefined;
    bytes = Buffer.from(text, "base64");
  } else if (encoding === "Q" || encoding === "q") {
    const out: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      const code = text.charCodeAt(i);
      if (c === "_") out.push(0x20);
      else if (c === "=") {
        const h = text.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
        out.push(Number.parseInt(h, 16));
        i += 2;
      } else if ((code >= 0x20 && code <= 0x7e) || c === "\n" || c === "\r" || c === "\t")
        out.push(code);
      else return undefined;
    }
    bytes = Uint8Array.from(out);
  } else {
    return undefined;
  }
  const cs = charset.toLowerCase();
  if (cs === "utf-8") return new TextDecoder().decode(bytes);
  if (cs === "iso-8859-1") return String.fromCharCode(...bytes);
  if (cs === "us-ascii")
    return Array.from(bytes, (b) => (b < 0x80 ? String.fromCharCode(b) : "\uFFFD")).join("");
  throw new CharsetError(charset);
}

class AddrParser {
  s: string;

  constructor(s: string) {
    this.s = s;
  }

  empty(): boolean {
    return this.s.length === 0;
  }

  peek(): string {
    return this.s[0]!;
  }

  consume(c: string): boolean {
    if (this.empty() || this.peek() !== c) return false;
    this.s = this.s.slice(1);
    return true;
  }

  skipSpace(): void {
    let i = 0;
    while (i < this.s.length && isWSP(this.s[i]!)) i++;
    this.s = this.s.slice(i);
  }

  skipCFWS(): boolean {
    this.skipSpace();
    for (;;) {
      if (!this.consume("(")) break;
      if (this.consumeComment() === undefined) return false;
      this.skipSpace();
    }
    return true;
  }

  consumeComment(): string | undefined {
    let depth = 1;
    let comment = "";
    for (;;) {
      if (this.empty() || depth === 0) break;
      if (this.peek() === "\\" && this.s.length > 1) this.s = this.s.slice(1);
      else if (this.peek() === "(") depth++;
      else if (this.peek() === ")") depth--;
      if (depth > 0) comment += this.s[0];
      this.s = this.s.slice(1);
    }
    return depth === 0 ? comment : undefined;
  }

  parseSingleAddress(): MailAddress {
    const addrs = this.parseAddress(true);
    if (!this.skipCFWS()) fail("misformatted parenthetical comment");
    if (!this.empty()) fail("expected single address");
    if (addrs.length === 0) fail("empty group");
    if (addrs.length > 1) fail("group with multiple addresses");
    return addrs[0]!;
  }

  parseAddress(handleGroup: boolean): MailAddress[] {
    this.skipSpace();
    if (this.empty()) fail("no address");
    // addr-spec is tried first, then name-addr.
    const spec = this.tryAddrSpec();
    if (spec !== undefined) {
      let name = "";
      this.skipSpace();
      if (!this.empty() && this.peek() === "(") name = this.consumeDisplayNameComment();
      return [{ name, address: spec }];
    }
    let name = "";
    if (this.peek() !== "<") name = this.consumePhrase();
    this.skipSpace();
    if (handleGroup && this.consume(":")) return this.consumeGroupList();
    if (!this.consume("<")) {
      fail(
        [...name].every((c) => isAtext(c, true)) ? "missing '@' or angle-addr" : "no angle-addr",
      );
    }
    const address = this.consumeAddrSpec();
    if (!this.consume(">")) fail("unclosed angle-addr");
    return [{ name, address }];
  }

  consumeGroupList(): MailAddress[] {
    const group: MailAddress[] = [];
    this.skipSpace();
    if (this.consume(";")) {
      if (!this.skipCFWS()) fail("misformatted parenthetical comment");
      return group;
    }
    for (;;) {
      this.skipSpace();
      group.push(...this.parseAddress(false));
      if (!this.skipCFWS()) fail("misformatted parenthetical comment");
      if (this.consume(";")) {
        if (!this.skipCFWS()) fail("misformatted parenthetical comment");
        break;
      }
      if (!this.consume(",")) fail("expected comma");
    }
    return group;
  }

  tryAddrSpec(): string | undefined {
    const orig = this.s;
    try {
      return this.consumeAddrSpec();
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.s = orig;
      return undefined;
    }
  }

  consumeAddrSpec(): string {
    const orig = this.s;
    try {
      this.skipSpace();
      if (this.empty()) fail("no addr-spec");
      let local: string;
      if (this.peek() === '"') {
        local = this.consumeQuotedString();
        if (local === "") fail("empty quoted-string in addr-spec");
      } else {
        local = this.consumeAtom(true, false);
      }
      if (!this.consume("@")) fail("missing @ in addr-spec");
      this.skipSpace();
      if (this.empty()) fail("no domain in addr-spec");
      const domain =
        this.peek() === "[" ? this.consumeDomainLiteral() : this.consumeAtom(true, false);
      return `${local}@${domain}`;
    } catch (e) {
      this.s = orig;
      throw e;
    }
  }

  consumePhrase(): string {
    const words: string[] = [];
    let prevEncoded = false;
    let err = false;
    for (;;) {
      if (words.length > 0 && !this.skipCFWS()) fail("misformatted parenthetical comment");
      this.skipSpace();
      if (this.empty()) break;
      let word: string;
      let encoded = false;
      try {
        if (this.peek() === '"') word = this.consumeQuotedString();
        else {
          // A dot-atom, more permissive than RFC 5322's atom.
          word = this.consumeAtom(true, true);
          const decoded = this.decodeWord(word);
          word = decoded.word;
          encoded = decoded.encoded;
        }
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        err = true;
        break;
      }
      if (prevEncoded && encoded) words[words.length - 1] += word;
      else words.push(word);
      prevEncoded = encoded;
    }
    if (err && words.length === 0) fail("missing word in phrase");
    return words.join(" ");
  }

  decodeWord(word: string): { word: string; encoded: boolean } {
    try {
      const d = decodeRFC2047(word);
      return d === undefined ? { word, encoded: false } : { word: d, encoded: true };
    } catch (e) {
      if (e instanceof CharsetError) fail(`charset not supported: ${e.message}`);
      throw e;
    }
  }

  consumeQuotedString(): string {
    let i = 1;
    let out = "";
    let escaped = false;
    for (;;) {
      if (i >= this.s.length) fail("unclosed quoted-string");
      const cp = this.s.codePointAt(i)!;
      const c = String.fromCodePoint(cp);
      if (isLoneSurrogate(c)) fail("invalid utf-8 in quoted-string");
      if (escaped) {
        if (!isVchar(c) && !isWSP(c)) fail("bad character in quoted-string");
        out += c;
        escaped = false;
      } else if (isQtext(c) || isWSP(c)) out += c;
      else if (c === '"') break;
      else if (c === "\\") escaped = true;
      else fail("bad character in quoted-string");
      i += c.length;
    }
    this.s = this.s.slice(i + 1);
    return out;
  }

  consumeAtom(dot: boolean, permissive: boolean): string {
    let i = 0;
    while (i < this.s.length) {
      const c = String.fromCodePoint(this.s.codePointAt(i)!);
      if (isLoneSurrogate(c)) fail("invalid utf-8 in address");
      if (!isAtext(c, dot)) break;
      i += c.length;
    }
    if (i === 0) fail("invalid string");
    const atom = this.s.slice(0, i);
    this.s = this.s.slice(i);
    if (!permissive) {
      if (atom.startsWith(".")) fail("leading dot in atom");
      if (atom.includes("..")) fail("double dot in atom");
      if (atom.endsWith(".")) fail("trailing dot in atom");
    }
    return atom;
  }

  consumeDomainLiteral(): string {
    if (!this.consume("[")) fail('missing "[" in domain-literal');
    let dtext = "";
    for (;;) {
      if (this.empty()) fail("unclosed domain-literal");
      if (this.peek() === "]") break;
      const c = String.fromCodePoint(this.s.codePointAt(0)!);
      if (isLoneSurrogate(c)) fail("invalid utf-8 in domain-literal");
      if (!isDtext(c)) fail("bad character in domain-literal");
      dtext += c;
      this.s = this.s.slice(c.length);
    }
    if (!this.consume("]")) fail("unclosed domain-literal");
    if (!parseIP(dtext)) fail("invalid IP address in domain-literal");
    return `[${dtext}]`;
  }

  consumeDisplayNameComment(): string {
    if (!this.consume("(")) fail("comment does not start with (");
    const comment = this.consumeComment();
    if (comment === undefined) fail("misformatted parenthetical comment");
    const words = comment.split(/[ \t]+/).filter((w) => w !== "");
    return words.map((w) => this.decodeWord(w).word).join(" ");
  }
}

/** net/mail.ParseAddress; undefined where Go returns an error. */
export function parseMailAddress(s: string): MailAddress | undefined {
  try {
    return new AddrParser(s).parseSingleAddress();
  } catch (e) {
    if (e instanceof ParseError) return undefined;
    throw e;
  }
}
