// expr/builtins/filter.go: oneof, filter, filtermatch.

import { compileGlob } from "../glob.ts";
import { isNil, type Kind, type OkValue, type ValueMap } from "../values.ts";
import { goString, isSliceKind, kindAt, nilOrErr, sliceOf } from "./common.ts";
import { type FunctionDef, VARIADIC } from "./registry.ts";

// FiltersFromArgs: strings and list elements, with % standing for *; other arguments are ignored.
function filtersFrom(args: readonly OkValue[], kinds: readonly (Kind | undefined)[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const v = args[i]!;
    const k = kindAt(args, kinds, i);
    if (k === "string") out.push((v as string).replaceAll("%", "*"));
    else if (isSliceKind(k))
      for (const e of sliceOf(v, k)!) out.push(goString(e).replaceAll("%", "*"));
  }
  return out;
}

const globCache = new Map<string, RegExp | null>();

// github.com/mb0/glob.Match; a malformed pattern matches nothing (its error is ignored).
function globMatch(pattern: string, s: string): boolean {
  let re = globCache.get(pattern);
  if (re === undefined) {
    re = compileGlob(pattern);
    if (globCache.size > 1000) globCache.clear();
    globCache.set(pattern, re);
  }
  return re?.test(s) ?? false;
}

// One filter against one string; inSlice marks list elements, where the prefix test also
// requires a non-empty element.
type Matcher = (filter: string, s: string, inSlice: boolean) => boolean;

// filter(): "" removes only empty strings (and an empty map key).
const filterOutMatch: Matcher = (f, s, inSlice) => {
  if (f.includes("*")) return globMatch(f, s);
  if (f === "") return s === "";
  return s.startsWith(f) && (!inSlice || s !== "");
};

// filtermatch(): "" is a prefix of everything (of every non-empty element in a list).
const filterInMatch: Matcher = (f, s, inSlice) => {
  if (f.includes("*")) return globMatch(f, s);
  return s.startsWith(f) && (!inSlice || s !== "");
};

function filterFunction(name: string, keep: boolean, match: Matcher): FunctionDef {
  const anyMatch = (filters: readonly string[], s: string, inSlice: boolean) =>
    filters.some((f) => match(f, s, inSlice));
  return {
    name,
    minArgs: 2,
    maxArgs: VARIADIC,
    eval(args, kinds) {
      const v = args[0]!;
      if (nilOrErr(v)) return undefined;
      const filters = filtersFrom(args, kinds);
      const k = kindAt(args, kinds, 0);
      if (k === "map[string]value") {
        // Filters apply to keys.
        const out: ValueMap = {};
        let found = false;
        for (const [key, val] of Object.entries(v as ValueMap)) {
          if (anyMatch(filters, key, false) === keep) {
            out[key] = val;
            found = true;
          }
        }
        return found ? out : undefined;
      }
      if (k === "string") {
        // A single string is returned whole, or as nil when filtered away.
        return anyMatch(filters, v as string, false) === keep ? v : null;
      }
      // Lists, and the typed maps whose slice is their keys; the result is always a []string.
      const list = sliceOf(v, k);
      if (list === undefined) return undefined;
      const out: string[] = [];
      for (const e of list) {
        const s = goString(e);
        if (anyMatch(filters, s, true) === keep) out.push(s);
      }
      return out.length === 0 ? undefined : out;
    },
  };
}

export const FILTER_FUNCTIONS: readonly FunctionDef[] = [
  {
    name: "oneof",
    minArgs: 2,
    maxArgs: VARIADIC,
    eval(args) {
      for (const v of args) if (!isNil(v)) return v;
      return undefined;
    },
  },
  filterFunction("filter", false, filterOutMatch),
  filterFunction("filtermatch", true, filterInMatch),
];
