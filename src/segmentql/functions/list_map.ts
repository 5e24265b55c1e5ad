// expr/builtins/list_map.go: len, array.index, array.slice, map, maptime, match, mapkeys,
// mapvalues, mapinvert.

import { type Kind, type OkValue, toInt, type Value, type ValueMap } from "../values.ts";
import {
  byteLength,
  goString,
  goToLower,
  isMapKind,
  kindAt,
  mapEntries,
  nilOrErr,
  sliceOf,
  toTimeZoned,
} from "./common.ts";
import { type FunctionDef, VARIADIC } from "./registry.ts";

// The kinds Length's type switch sizes; map[string]bool and map[string]time are missing from it.
function length(v: OkValue, k: Kind): number | undefined {
  switch (k) {
    case "string":
      return byteLength(v as string);
    case "bool":
    case "number":
    case "int":
    case "time":
      return 0;
    case "[]string":
    case "[]value":
    case "[]time":
      return (v as Value[]).length;
    case "map[string]int":
    case "map[string]number":
    case "map[string]string":
    case "map[string]value":
      return Object.keys(v as ValueMap).length;
    default:
      return undefined;
  }
}

const len: Omit<FunctionDef, "name"> = {
  minArgs: 1,
  maxArgs: 1,
  returns: "int",
  eval(args, kinds) {
    return length(args[0]!, kindAt(args, kinds, 0));
  },
};

function sliceArray(args: readonly OkValue[], kinds: readonly (Kind | undefined)[]): Value {
  const v = args[0]!;
  if (nilOrErr(v)) return undefined;
  let from = toInt(args[1]!);
  if (from === undefined) return undefined;
  let to = 0;
  if (args.length === 3) {
    const t = toInt(args[2]!);
    if (t === undefined) return undefined;
    to = t;
  }
  const k = kindAt(args, kinds, 0);
  // Only StringsValue and SliceValue; the typed maps are not sliced.
  if (k !== "[]string" && k !== "[]value" && k !== "[]time") return undefined;
  const list = v as Value[];
  const n = list.length;
  if (from < 0) from = n + from;
  if (to < 0) {
    to = n + to;
    if (to < from) return undefined;
  }
  if (n <= from || from < 0) return undefined;
  if (n < to || to < 0) return undefined;
  if (args.length === 2) return list.slice(from);
  // Go panics on list[from:to] with to < from; a failed call is the closest outcome.
  if (to < from) return undefined;
  return list.slice(from, to);
}

function mapKeysOf(v: OkValue): string[] {
  return mapEntries(v).map(([key]) => key);
}

export const LIST_MAP_FUNCTIONS: readonly FunctionDef[] = [
  { name: "len", ...len },
  { name: "char_length", ...len },
  {
    name: "array.index",
    minArgs: 2,
    maxArgs: 2,
    eval(args, kinds) {
      let i = toInt(args[1]!);
      if (i === undefined) return undefined;
      const v = args[0]!;
      if (nilOrErr(v)) return undefined;
      const list = sliceOf(v, kindAt(args, kinds, 0));
      if (list === undefined) return undefined;
      if (i < 0) i = list.length + i;
      if (list.length <= i || i < 0) return undefined;
      return list[i];
    },
  },
  {
    name: "array.slice",
    minArgs: 2,
    maxArgs: 3,
    eval: sliceArray,
  },
  {
    name: "map",
    minArgs: 2,
    maxArgs: 2,
    returns: "map[string]value",
    eval(args, kinds) {
      const k = args[0]!;
      const v = args[1]!;
      if (nilOrErr(k) || nilOrErr(v)) return undefined;
      return { [goString(k, kindAt(args, kinds, 0))]: v };
    },
  },
  {
    name: "maptime",
    minArgs: 1,
    maxArgs: 2,
    returns: "map[string]time",
    usesNow: (n) => n === 1,
    eval(args, kinds, ctx) {
      const k = args[0]!;
      if (nilOrErr(k)) return undefined;
      const key = goToLower(goString(k, kindAt(args, kinds, 0)));
      if (args.length === 1) return { [key]: new Date(ctx.now) };
      // value.ValueToTime anchors date math at time.Now(); the evaluation's now stands in for it.
      const t = toTimeZoned(args[1], ctx.now);
      if (t === undefined) return undefined;
      return { [key]: t };
    },
  },
  {
    name: "match",
    minArgs: 1,
    maxArgs: VARIADIC,
    returns: "map[string]value",
    readsProfile: true,
    eval(args, kinds, ctx) {
      const row = ctx.profile;
      const out: ValueMap = {};
      let found = false;
      for (let i = 0; i < args.length; i++) {
        if (kindAt(args, kinds, i) !== "string" || row === undefined) continue;
        const prefix = args[i] as string;
        for (const key of Object.keys(row)) {
          const val = row[key];
          if (val === undefined || !key.startsWith(prefix)) continue;
          const rest = key.replace(prefix, "");
          if (rest === "") continue;
          out[rest] = val as Value;
          found = true;
        }
      }
      return found ? out : undefined;
    },
  },
  {
    name: "mapkeys",
    minArgs: 1,
    maxArgs: VARIADIC,
    returns: "[]string",
    eval(args, kinds) {
      const keys = new Set<string>();
      for (let i = 0; i < args.length; i++) {
        if (!isMapKind(kindAt(args, kinds, i))) continue;
        for (const key of mapKeysOf(args[i]!)) keys.add(key);
      }
      return keys.size === 0 ? undefined : [...keys];
    },
  },
  {
    name: "mapvalues",
    minArgs: 1,
    maxArgs: 1,
    returns: "[]string",
    eval(args, kinds) {
      const k = kindAt(args, kinds, 0);
      if (!isMapKind(k)) return undefined;
      const vals = new Set<string>();
      for (const [, v] of mapEntries(args[0]!)) vals.add(goString(v, elementKind(k)));
      return vals.size === 0 ? undefined : [...vals];
    },
  },
  {
    name: "mapinvert",
    minArgs: 1,
    maxArgs: 1,
    returns: "map[string]string",
    eval(args, kinds) {
      const k = kindAt(args, kinds, 0);
      if (!isMapKind(k)) return undefined;
      const out: Record<string, string> = {};
      let found = false;
      for (const [key, v] of mapEntries(args[0]!)) {
        out[goString(v, elementKind(k))] = key;
        found = true;
      }
      return found ? out : undefined;
    },
  },
];

function elementKind(k: Kind): Kind | undefined {
  switch (k) {
    case "map[string]int":
      return "int";
    case "map[string]number":
      return "number";
    default:
      return undefined;
  }
}
