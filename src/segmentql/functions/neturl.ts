// The parts of Go's net/url that qlbridge's URL builtins use: Parse (scheme, host, path, raw
// query), Values (ParseQuery, Get, Encode), QueryUnescape and QueryEscape. Go works on bytes;
// every character that matters here is ASCII, so UTF-16 strings split the same way.

import { parseIP } from "./network.ts";

export interface GoURL {
  readonly scheme: string;
  readonly opaque: string;
  /** Host or host:port, unescaped. */
  readonly host: string;
  /** The unescaped path. */
  readonly path: string;
  readonly rawQuery: string;
}

type Mode = "path" | "host" | "zone" | "queryComponent" | "fragment" | "userPassword";

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

function unhex(c: string): number {
  return Number.parseInt(c, 16);
}

// url.shouldEscape.
function shouldEscape(c: number, mode: Mode): boolean {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39))
    return false;
  const ch = String.fromCharCode(c);
  if (mode === "host" || mode === "zone") {
    if ("!$&'()*+,;=:[]<>\"".includes(ch)) return false;
  }
  if ("-_.~".includes(ch)) return false;
  if ("$&+,/:;=?@".includes(ch)) {
    switch (mode) {
      case "path":
        return ch === "?";
      case "userPassword":
        return ch === "@" || ch === "/" || ch === "?" || ch === ":";
      case "queryComponent":
        return true;
      case "fragment":
        return false;
      default:
        break;
    }
  }
  if (mode === "fragment" && "!()*".includes(ch)) return false;
  return true;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** url.unescape: undefined for a malformed escape (or a character a host may not hold). */
export function urlUnescape(s: string, mode: Mode): string | undefined {
  let n = 0;
  let hasPlus = false;
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c === "%") {
      n++;
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) return undefined;
      // In a host, %-escapes may only encode non-ASCII bytes (and %25 in an IPv6 zone).
      if (mode === "host" && unhex(s[i + 1]!) < 8 && s.slice(i, i + 3) !== "%25") return undefined;
      if (mode === "zone") {
        const v = unhex(s[i + 1]!) * 16 + unhex(s[i + 2]!);
        if (s.slice(i, i + 3) !== "%25" && v !== 0x20 && shouldEscape(v, "host")) return undefined;
      }
      i += 3;
    } else if (c === "+") {
      hasPlus = mode === "queryComponent";
      i++;
    } else {
      const code = s.charCodeAt(i);
      if ((mode === "host" || mode === "zone") && code < 0x80 && shouldEscape(code, mode))
        return undefined;
      i++;
    }
  }
  if (n === 0 && !hasPlus) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c === "%") {
      bytes.push(unhex(s[i + 1]!) * 16 + unhex(s[i + 2]!));
      i += 3;
    } else if (c === "+" && mode === "queryComponent") {
      bytes.push(0x20);
      i++;
    } else {
      // Copy the character's own UTF-8 bytes.
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      for (const b of utf8.encode(ch)) bytes.push(b);
      i += ch.length;
    }
  }
  return utf8Decoder.decode(new Uint8Array(bytes));
}

/** url.QueryUnescape. */
export function queryUnescape(s: string): string | undefined {
  return urlUnescape(s, "queryComponent");
}

/** url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = "";
  for (const b of utf8.encode(s)) {
    if (b === 0x20) out += "+";
    else if (shouldEscape(b, "queryComponent"))
      out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

// url.getScheme.
function getScheme(raw: string): { scheme: string; rest: string } | undefined {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: "", rest: raw };
      continue;
    }
    if (c === ":") {
      if (i === 0) return undefined;
      return { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    return { scheme: "", rest: raw };
  }
  return { scheme: "", rest: raw };
}

function validOptionalPort(port: string): boolean {
  if (port === "") return true;
  if (port[0] !== ":") return false;
  return /^[0-9]*$/.test(port.slice(1));
}

// url.parseHost. Go 1.25 also requires a bracketed host to be an IPv6 address and rejects
// brackets anywhere else.
function parseHost(host: string): string | undefined {
  if (host.startsWith("[")) {
    const i = host.lastIndexOf("]");
    if (i < 0) return undefined;
    if (!validOptionalPort(host.slice(i + 1))) return undefined;
    const zone = host.slice(0, i).indexOf("%25");
    const addr = host.slice(1, zone >= 0 ? zone : i);
    const ip = parseIP(addr);
    if (!ip || ip.is4) return undefined;
    if (zone >= 0) {
      const h1 = urlUnescape(host.slice(0, zone), "host");
      const h2 = urlUnescape(host.slice(zone, i), "zone");
      const h3 = urlUnescape(host.slice(i), "host");
      if (h1 === undefined || h2 === undefined || h3 === undefined) return undefined;
      return h1 + h2 + h3;
    }
  } else {
    if (host.includes("[") || host.includes("]")) return undefined;
    const i = host.lastIndexOf(":");
    if (i >= 0 && !validOptionalPort(host.slice(i))) return undefined;
  }
  return urlUnescape(host, "host");
}

// url.validUserinfo.
function validUserinfo(s: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);
}

// url.parseAuthority: the host of [userinfo@]host.
function parseAuthority(authority: string): string | undefined {
  const i = authority.lastIndexOf("@");
  const host = parseHost(i < 0 ? authority : authority.slice(i + 1));
  if (host === undefined) return undefined;
  if (i >= 0) {
    const userinfo = authority.slice(0, i);
    if (!validUserinfo(userinfo)) return undefined;
    const colon = userinfo.indexOf(":");
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (urlUnescape(user, "userPassword") === undefined) return undefined;
    if (colon >= 0 && urlUnescape(userinfo.slice(colon + 1), "userPassword") === undefined)
      return undefined;
  }
  return host;
}

/** url.Parse; undefined where Go returns an error. */
export function parseURL(raw: string): GoURL | undefined {
  const hash = raw.indexOf("#");
  const u = hash >= 0 ? raw.slice(0, hash) : raw;
  const frag = hash >= 0 ? raw.slice(hash + 1) : "";
  // stringContainsCTLByte.
  for (let i = 0; i < u.length; i++) {
    const c = u.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return undefined;
  }
  if (frag !== "" && urlUnescape(frag, "fragment") === undefined) return undefined;
  if (u === "*") return { scheme: "", opaque: "", host: "", path: "*", rawQuery: "" };
  const sr = getScheme(u);
  if (!sr) return undefined;
  const scheme = sr.scheme.toLowerCase();
  let rest = sr.rest;
  let rawQuery = "";
  if (rest.endsWith("?") && rest.indexOf("?") === rest.length - 1) {
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (scheme !== "") return { scheme, opaque: rest, host: "", path: "", rawQuery };
    const slash = rest.indexOf("/");
    const segment = slash >= 0 ? rest.slice(0, slash) : rest;
    if (segment.includes(":")) return undefined;
  }
  let host = "";
  if ((scheme !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
    let authority = rest.slice(2);
    rest = "";
    const slash = authority.indexOf("/");
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    const h = parseAuthority(authority);
    if (h === undefined) return undefined;
    host = h;
  }
  const path = urlUnescape(rest, "path");
  if (path === undefined) return undefined;
  return { scheme, opaque: "", host, path, rawQuery };
}

/** url.Values: keys in first-seen order, each with its values. */
export type QueryValues = Map<string, string[]>;

/** url.ParseQuery, keeping what parsed (URL.Query() ignores the error). */
export function parseQuery(query: string): QueryValues {
  const m: QueryValues = new Map();
  let rest = query;
  while (rest !== "") {
    const amp = rest.indexOf("&");
    let key = amp >= 0 ? rest.slice(0, amp) : rest;
    rest = amp >= 0 ? rest.slice(amp + 1) : "";
    // Semicolons are no longer separators; a pair holding one is dropped.
    if (key.includes(";")) continue;
    if (key === "") continue;
    const eq = key.indexOf("=");
    let value = "";
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    const k = queryUnescape(key);
    if (k === undefined) continue;
    const v = queryUnescape(value);
    if (v === undefined) continue;
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  }
  return m;
}

/** Values.Get: the first value, or "". */
export function queryGet(q: QueryValues, key: string): string {
  return q.get(key)?.[0] ?? "";
}

/** Values.Encode: keys sorted (by bytes), every value escaped. */
export function encodeQuery(q: QueryValues): string {
  const keys = [...q.keys()].sort(compareBytes);
  const parts: string[] = [];
  for (const k of keys) {
    const ke = queryEscape(k);
    for (const v of q.get(k)!) parts.push(`${ke}=${queryEscape(v)}`);
  }
  return parts.join("&");
}

function compareBytes(a: string, b: string): number {
  // Go sorts strings by bytes; UTF-16 order differs only above the BMP, so compare code points.
  const ca = [...a];
  const cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!.codePointAt(0)!;
    const y = cb[i]!.codePointAt(0)!;
    if (x !== y) return x - y;
  }
  return ca.length - cb.length;
}
