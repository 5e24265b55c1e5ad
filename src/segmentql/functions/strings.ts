// expr/builtins/string.go: contains, tolower and string.*, split, strip, replace, join,
// hasprefix, hassuffix. Lengths and indices are in bytes, as Go counts them.

import { isNil, type OkValue, toInt } from "../values.ts";
import {
  byteIndex,
  byteLength,
  byteSlice,
  goString,
  goTitle,
  goToLower,
  goToUpper,
  kindAt,
  trimChars,
  valueToString,
} from "./common.ts";
import { type FunctionDef, VARIADIC } from "./registry.ts";

const STRIP_CUTSET = " \n\t\r";

function caseMapper(name: string, f: (s: string) => string): FunctionDef {
  return {
    name,
    minArgs: 1,
    maxArgs: 1,
    returns: "string",
    eval(args, kinds) {
      const s = valueToString(args[0], kindAt(args, kinds, 0));
      return s === undefined ? undefined : f(s);
    },
  };
}

const split: Omit<FunctionDef, "name"> = {
  minArgs: 2,
  maxArgs: 2,
  returns: "[]string",
  eval(args, kinds) {
    const s = valueToString(args[0], kindAt(args, kinds, 0));
    const sep = valueToString(args[1], kindAt(args, kinds, 1));
    if (s === undefined || sep === undefined || s === "" || sep === "") return undefined;
    return s.split(sep);
  },
};

const strip: Omit<FunctionDef, "name"> = {
  minArgs: 1,
  maxArgs: 1,
  eval(args, kinds) {
    const v = args[0]!;
    switch (kindAt(args, kinds, 0)) {
      case "string":
        return trimChars(v as string, STRIP_CUTSET);
      case "[]string":
        return (v as string[]).map((s) => trimChars(s, STRIP_CUTSET));
      default:
        // Only StringValue and StringsValue: a mixed list is not stripped.
        return undefined;
    }
  },
};

function affix(name: string, test: (s: string, a: string) => boolean): FunctionDef {
  return {
    name,
    minArgs: 2,
    maxArgs: 2,
    returns: "bool",
    eval(args, kinds) {
      const a = goString(args[1], kindAt(args, kinds, 1));
      if (a === "") return undefined;
      return test(goString(args[0], kindAt(args, kinds, 0)), a);
    },
  };
}

/** ValueToInt for an index argument; undefined when not convertible. */
function intArg(v: OkValue): number | undefined {
  return toInt(v);
}

export const STRING_FUNCTIONS: readonly FunctionDef[] = [
  {
    name: "contains",
    minArgs: 2,
    maxArgs: 2,
    returns: "bool",
    eval(args, kinds) {
      const s = valueToString(args[0], kindAt(args, kinds, 0));
      const sub = valueToString(args[1], kindAt(args, kinds, 1));
      // An unconvertible side is false, but an empty one is not ok (qlbridge's own TODO).
      if (s === undefined || sub === undefined) return false;
      if (s === "" || sub === "") return undefined;
      return s.includes(sub);
    },
  },
  caseMapper("tolower", goToLower),
  caseMapper("string.lowercase", goToLower),
  caseMapper("string.uppercase", goToUpper),
  caseMapper("string.titlecase", goTitle),
  {
    name: "string.index",
    minArgs: 2,
    maxArgs: 2,
    returns: "int",
    eval(args, kinds) {
      if (isNil(args[0]!)) return undefined;
      const i = byteIndex(
        goString(args[0], kindAt(args, kinds, 0)),
        goString(args[1], kindAt(args, kinds, 1)),
      );
      return i >= 0 ? i : undefined;
    },
  },
  {
    name: "string.substr",
    minArgs: 2,
    maxArgs: 3,
    returns: "string",
    eval(args, kinds) {
      if (isNil(args[0]!) || isNil(args[1]!)) return undefined;
      const s = goString(args[0], kindAt(args, kinds, 0));
      const n = byteLength(s);
      const from = intArg(args[1]!);
      if (from === undefined || from < 0 || n < from) return undefined;
      if (args.length === 3) {
        const to = intArg(args[2]!);
        if (to === undefined || to < 0 || n < to) return undefined;
        // Go panics on s[from:to] with to < from; a failed call is the closest outcome.
        if (to < from) return undefined;
        return byteSlice(s, from, to);
      }
      return byteSlice(s, from);
    },
  },
  { name: "split", ...split },
  { name: "string.split", ...split },
  { name: "strip", ...strip },
  { name: "string.strip", ...strip },
  {
    name: "replace",
    minArgs: 2,
    maxArgs: 3,
    returns: "string",
    eval(args, kinds) {
      const s = goString(args[0], kindAt(args, kinds, 0));
      const from = goString(args[1], kindAt(args, kinds, 1));
      const to = args.length === 3 ? goString(args[2], kindAt(args, kinds, 2)) : "";
      return s.replaceAll(from, to);
    },
  },
  {
    name: "join",
    minArgs: 2,
    maxArgs: VARIADIC,
    returns: "string",
    eval(args, kinds) {
      const last = args.length - 1;
      const sep = valueToString(args[last], kindAt(args, kinds, last));
      if (sep === undefined) return undefined;
      const parts: string[] = [];
      for (let i = 0; i < last; i++) {
        const v = args[i]!;
        const k = kindAt(args, kinds, i);
        switch (k) {
          case "[]value":
          case "[]time":
          case "[]string":
            // List elements join even when empty; scalars below are skipped when empty.
            for (const e of v as OkValue[]) parts.push(goString(e));
            break;
          case "string":
          case "number":
          case "int": {
            const s = goString(v, k);
            if (s !== "") parts.push(s);
            break;
          }
          default:
            // Bools, times, maps and nil are ignored.
            break;
        }
      }
      if (parts.length === 0) return undefined;
      return parts.join(sep);
    },
  },
  affix("hasprefix", (s, p) => s.startsWith(p)),
  affix("hassuffix", (s, p) => s.endsWith(p)),
];
