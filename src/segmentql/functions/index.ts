// The builtin functions of qlbridge's expression language (expr/builtins), by name.

import { CAST_FUNCTIONS } from "./cast.ts";
import { FILTER_FUNCTIONS } from "./filter.ts";
import { HASH_ENCODE_FUNCTIONS } from "./hash_encode.ts";
import { JSON_FUNCTIONS } from "./json.ts";
import { LIST_MAP_FUNCTIONS } from "./list_map.ts";
import { LOGIC_FUNCTIONS } from "./logic.ts";
import { MATH_FUNCTIONS } from "./math.ts";
import { NETWORK_FUNCTIONS } from "./network.ts";
import type { FunctionDef } from "./registry.ts";
import { STRING_FUNCTIONS } from "./strings.ts";
import { TIME_FUNCTIONS } from "./time.ts";
import { URL_EMAIL_FUNCTIONS } from "./url_email.ts";

export type { FunctionContext, FunctionDef } from "./registry.ts";

const ALL: readonly FunctionDef[] = [
  ...LOGIC_FUNCTIONS,
  ...STRING_FUNCTIONS,
  ...URL_EMAIL_FUNCTIONS,
  ...TIME_FUNCTIONS,
  ...LIST_MAP_FUNCTIONS,
  ...FILTER_FUNCTIONS,
  ...CAST_FUNCTIONS,
  ...MATH_FUNCTIONS,
  ...HASH_ENCODE_FUNCTIONS,
  ...NETWORK_FUNCTIONS,
  ...JSON_FUNCTIONS,
];

const BY_NAME: ReadonlyMap<string, FunctionDef> = new Map(ALL.map((f) => [f.name, f]));

/** Every builtin, keyed by its lower-case name. */
export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = BY_NAME;

/** A builtin by name, case-insensitively (qlbridge lower-cases function names). */
export function lookupFunction(name: string): FunctionDef | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/**
 * Functions that Lytics' FilterQL documents or uses but qlbridge does not implement, so that a
 * segment using one is rejected with a reason rather than evaluated as an unknown function.
 */
export const UNSUPPORTED_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  [
    "geodistance",
    "a Lytics server-side function (distance from a lat,lon point), absent from qlbridge",
  ],
  [
    "timewindow",
    "a Lytics server-side function (event counts over a time window), absent from qlbridge",
  ],
  ["entered", "a Lytics segment-change function (user.changes streams), absent from qlbridge"],
  ["exited", "a Lytics segment-change function (user.changes streams), absent from qlbridge"],
]);
