// expr/builtins/url_email.go: email, emailname, emaildomain, domain, domains, host, hosts,
// path, qs, qsl, qs2, urlmain, urlminusqs, urldecode, url.matchqs, useragent, useragent.map.

import { getPublicSuffix } from "tldts";
import type { Expr } from "../ast.ts";
import { isNil, type Kind, type OkValue } from "../values.ts";
import { goString, goToLower, kindAt, sliceOf, valueToString } from "./common.ts";
import { parseMailAddress } from "./netmail.ts";
import { encodeQuery, parseQuery, parseURL, queryGet, queryUnescape } from "./neturl.ts";
import { type FunctionDef, VARIADIC } from "./registry.ts";
import { parseUserAgent, type UserAgentInfo } from "./useragent.ts";

// The URL-ish argument most of these builtins take: a string, or a list's first element.
// An empty list is not ok (undefined); other kinds give "" (which the callers reject).
function firstString(v: OkValue, k: Kind): string | undefined {
  if (k === "string") return v as string;
  const list = sliceOf(v, k);
  if (list === undefined) return "";
  if (list.length === 0) return undefined;
  return goString(list[0]);
}

// The "assume http://" rule of path(), qs() and urlminusqs().
function withSchemeIfHostLike(url: string): string {
  if (url.length > 6 && !url.slice(0, 5).includes("/") && !url.startsWith("http"))
    return `http://${url}`;
  return url;
}

// The "assume http://" rule of domain(), domains(), host() and hosts().
function withScheme(url: string): string {
  return url.startsWith("http") ? url : `http://${url}`;
}

/**
 * golang.org/x/net/publicsuffix.EffectiveTLDPlusOne, with tldts's copy of the public suffix
 * list (ICANN and private sections, like Go's table; a later list may differ in a few suffixes).
 */
export function effectiveTLDPlusOne(domain: string): string | undefined {
  if (domain.startsWith(".") || domain.endsWith(".") || domain.includes("..")) return undefined;
  const suffix =
    getPublicSuffix(domain, {
      allowPrivateDomains: true,
      extractHostname: false,
      validateHostname: false,
      detectIp: false,
    }) ?? "";
  if (domain.length <= suffix.length) return undefined;
  const i = domain.length - suffix.length - 1;
  if (domain[i] !== ".") return undefined;
  return domain.slice(domain.lastIndexOf(".", i - 1) + 1);
}

function userAgentFields(ua: UserAgentInfo): Record<string, string> {
  return {
    bot: String(ua.bot),
    mobile: String(ua.mobile),
    mozilla: ua.mozilla,
    platform: ua.platform,
    os: ua.os,
    engine: ua.engine,
    engine_version: ua.engineVersion,
    browser: ua.browser,
    browser_version: ua.browserVersion,
  };
}

// Go's regexp (RE2) patterns for url.matchqs, run as JavaScript regular expressions. The leading
// flag group RE2 allows ("(?i)") becomes a JavaScript flag; everything else is taken as is.
const regexCache = new Map<string, RegExp | null>();

function compileRE2(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re !== undefined) return re;
  let flags = "u";
  let src = pattern;
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m) {
    src = src.slice(m[0].length);
    if (m[1]!.includes("U")) re = null;
    if (m[1]!.includes("i")) flags += "i";
    if (m[1]!.includes("m")) flags += "m";
    if (m[1]!.includes("s")) flags += "s";
  }
  if (re !== null) {
    try {
      re = new RegExp(src, flags);
    } catch {
      re = null;
    }
  }
  if (regexCache.size > 1000) regexCache.clear();
  regexCache.set(pattern, re);
  return re;
}

// url.matchqs's Validate evaluates its patterns without a context: literals only, each a
// non-empty string that compiles.
function validateMatchQs(args: readonly Expr[]): string | undefined {
  for (const a of args.slice(1)) {
    let text: string;
    if (a.type === "String") text = a.value;
    else if (a.type === "Number") text = a.text;
    else return "the query-parameter patterns must be literal strings";
    if (text === "") return "an empty query-parameter pattern";
    if (compileRE2(text) === null) return `invalid regular expression ${JSON.stringify(text)}`;
  }
  return undefined;
}

function emailAddress(v: OkValue, k: Kind): string | undefined {
  if (isNil(v)) return undefined;
  let s = "";
  if (k === "string") s = v as string;
  else {
    const list = sliceOf(v, k);
    if (list !== undefined && list.length > 0) s = goString(list[0]);
  }
  if (s === "") return undefined;
  const a = parseMailAddress(s);
  return a === undefined ? undefined : goToLower(a.address);
}

function qsFunction(name: string, lowerCase: boolean): FunctionDef {
  return {
    name,
    minArgs: 2,
    maxArgs: 2,
    returns: "string",
    eval(args, kinds) {
      let url = firstString(args[0]!, kindAt(args, kinds, 0));
      if (url === undefined || url === "") return undefined;
      if (lowerCase) url = goToLower(url);
      const key = valueToString(args[1], kindAt(args, kinds, 1));
      if (key === undefined || key === "") return undefined;
      const u = parseURL(withSchemeIfHostLike(url));
      if (!u) return undefined;
      const v = queryGet(parseQuery(u.rawQuery), key);
      return v === "" ? undefined : v;
    },
  };
}

function hostOf(url: string): string | undefined {
  return parseURL(withScheme(goToLower(url)))?.host;
}

export const URL_EMAIL_FUNCTIONS: readonly FunctionDef[] = [
  {
    name: "email",
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      return emailAddress(args[0]!, kindAt(args, kinds, 0));
    },
  },
  {
    name: "emailname",
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const s = valueToString(args[0], kindAt(args, kinds, 0));
      if (s === undefined || s === "") return undefined;
      return parseMailAddress(s)?.name;
    },
  },
  {
    name: "emaildomain",
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const s = valueToString(args[0], kindAt(args, kinds, 0));
      if (s === undefined || s === "") return undefined;
      const a = parseMailAddress(goToLower(s));
      if (!a) return undefined;
      const address = goToLower(a.address);
      const at = address.indexOf("@");
      return at < 0 ? undefined : address.slice(at + 1);
    },
  },
  {
    name: "domains",
    minArgs: 1,
    maxArgs: VARIADIC,
    returns: "[]string",
    eval(args, kinds) {
      const urls: string[] = [];
      for (let i = 0; i < args.length; i++) {
        const k = kindAt(args, kinds, i);
        // Only strings and []string: a mixed list is ignored.
        if (k === "string") urls.push(args[i] as string);
        else if (k === "[]string") urls.push(...(args[i] as string[]));
      }
      if (urls.length === 0) return undefined;
      const out: string[] = [];
      for (const raw of urls) {
        const url = goToLower(raw);
        if (url.length < 4) continue;
        const u = parseURL(withScheme(url));
        if (!u) continue;
        const d = effectiveTLDPlusOne(u.host);
        // qlbridge appends "" for a host without an eTLD+1, and then the (empty) result too.
        if (d === undefined) out.push("", "");
        else out.push(d);
      }
      return out.length === 0 ? undefined : out;
    },
  },
  {
    name: "domain",
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const k = kindAt(args, kinds, 0);
      let url = "";
      if (k === "string") url = args[0] as string;
      else if (k === "[]string") url = (args[0] as string[])[0] ?? "";
      const u = parseURL(withScheme(goToLower(url)));
      if (!u || u.host.length <= 2) return undefined;
      return effectiveTLDPlusOne(u.host);
    },
  },
  {
    name: "host",
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const url = firstString(args[0]!, kindAt(args, kinds, 0));
      if (url === undefined || url === "") return undefined;
      return hostOf(url);
    },
  },
  {
    name: "hosts",
    minArgs: 1,
    maxArgs: VARIADIC,
    returns: "[]string",
    eval(args, kinds) {
      const urls: string[] = [];
      for (let i = 0; i < args.length; i++) {
        const k = kindAt(args, kinds, i);
        if (k === "string") {
          if (args[i] !== "") urls.push(args[i] as string);
          continue;
        }
        for (const e of sliceOf(args[i]!, k) ?? []) {
          const s = goString(e);
          if (s !== "") urls.push(s);
        }
      }
      if (urls.length === 0) return undefined;
      const out: string[] = [];
      for (const url of urls) {
        const h = hostOf(url);
        if (h !== undefined) out.push(h);
      }
      return out.length === 0 ? undefined : out;
    },
  },
  {
    name: "urldecode",
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const s = firstString(args[0]!, kindAt(args, kinds, 0));
      if (s === undefined || s === "") return undefined;
      return queryUnescape(s);
    },
  },
  {
    name: "path",
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const s = firstString(args[0]!, kindAt(args, kinds, 0));
      if (s === undefined || s === "") return undefined;
      return parseURL(withSchemeIfHostLike(goToLower(s)))?.path;
    },
  },
  // qs() and its alias qsl() lower-case the url (parameter names and values too); qs2() does not.
  qsFunction("qs", true),
  qsFunction("qsl", true),
  qsFunction("qs2", false),
  {
    name: "urlmain",
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const s = firstString(args[0]!, kindAt(args, kinds, 0));
      if (s === undefined || s === "") return undefined;
      const u = parseURL(s);
      return u ? u.host + u.path : undefined;
    },
  },
  {
    name: "urlminusqs",
    minArgs: 2,
    maxArgs: 2,
    returns: "string",
    eval(args, kinds) {
      const s = firstString(args[0]!, kindAt(args, kinds, 0));
      if (s === undefined || s === "") return undefined;
      const url = withSchemeIfHostLike(s);
      const key = valueToString(args[1], kindAt(args, kinds, 1));
      if (key === undefined || key === "") return undefined;
      const u = parseURL(url);
      if (!u) return undefined;
      const q = parseQuery(u.rawQuery);
      const base = `${u.scheme}://${u.host}${u.path}`;
      // An absent parameter leaves the raw query as it was (even an empty one, with its "?").
      if (!q.has(key)) return `${base}?${u.rawQuery}`;
      q.delete(key);
      const raw = encodeQuery(q);
      return raw === "" ? base : `${base}?${raw}`;
    },
  },
  {
    name: "url.matchqs",
    minArgs: 1,
    maxArgs: VARIADIC,
    returns: "string",
    validate: validateMatchQs,
    eval(args, kinds) {
      const s = firstString(args[0]!, kindAt(args, kinds, 0));
      if (s === undefined || s === "") return undefined;
      const u = parseURL(s);
      if (!u) return undefined;
      const main = u.host + u.path;
      if (args.length === 1) return main;
      const patterns: RegExp[] = [];
      for (let i = 1; i < args.length; i++) {
        const re = compileRE2(goString(args[i], kindAt(args, kinds, i)));
        if (re) patterns.push(re);
      }
      const kept = new Map<string, string[]>();
      for (const [key, values] of parseQuery(u.rawQuery)) {
        if (patterns.some((re) => re.test(key))) kept.set(key, values);
      }
      const raw = encodeQuery(kept);
      return raw === "" ? main : `${main}?${raw}`;
    },
  },
  {
    name: "useragent",
    minArgs: 2,
    maxArgs: 2,
    returns: "string",
    eval(args, kinds) {
      const ua = firstString(args[0]!, kindAt(args, kinds, 0));
      if (ua === undefined || ua === "") return undefined;
      const part = valueToString(args[1], kindAt(args, kinds, 1));
      if (part === undefined || part === "") return undefined;
      const fields = userAgentFields(parseUserAgent(ua));
      return Object.hasOwn(fields, goToLower(part)) ? fields[goToLower(part)] : undefined;
    },
  },
  {
    name: "useragent.map",
    minArgs: 1,
    maxArgs: 1,
    returns: "map[string]string",
    eval(args, kinds) {
      const ua = firstString(args[0]!, kindAt(args, kinds, 0));
      if (ua === undefined || ua === "") return undefined;
      return userAgentFields(parseUserAgent(ua));
    },
  },
];
