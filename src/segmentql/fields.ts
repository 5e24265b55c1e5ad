// How an identifier reads a profile (qlbridge's ContextSimple.Get): the exact key first, then — for a
// dotted name — the part after the first "." as a key of the map named by the part before it. Only
// one level is traversed: `a.b.c` is key "b.c" of map "a".

import type { IdentExpr } from "./ast.ts";
import type { FieldTypes } from "./schema.ts";
import { valueForType } from "./schema.ts";
import { type FieldType, isMapValue, mapElementKind, type Value } from "./values.ts";

/** A profile: the JSON object of a user's fields. */
export type Profile = Readonly<Record<string, unknown>>;

export interface FieldAccess {
  /** The exact key to try first; undefined for `` `a`.`b` `` (quoted parts go straight to the map). */
  readonly key: string | undefined;
  /** The declared type of the exact key. */
  readonly keyType: FieldType | undefined;
  /** The map field and its key, tried when the exact key is absent. */
  readonly split: readonly [string, string] | undefined;
  /** The declared type of the map field (a map type) and of its elements. */
  readonly mapType: FieldType | undefined;
  readonly elementType: FieldType | undefined;
}

export function fieldAccess(ident: IdentExpr, types: FieldTypes | undefined): FieldAccess {
  return fieldAccessForName(ident.name, ident.parts, types);
}

export function fieldAccessForName(
  name: string,
  parts: readonly [string, string] | undefined,
  types: FieldTypes | undefined,
): FieldAccess {
  const t = types ?? {};
  if (parts) {
    const mapType = ownType(t, parts[0]);
    return {
      key: undefined,
      keyType: undefined,
      split: parts,
      mapType,
      elementType: ownType(t, name) ?? (mapElementKind(mapType) as FieldType | undefined),
    };
  }
  const dot = name.indexOf(".");
  const split: readonly [string, string] | undefined =
    dot > 0 && dot < name.length - 1 ? [name.slice(0, dot), name.slice(dot + 1)] : undefined;
  const mapType = split ? ownType(t, split[0]) : undefined;
  return {
    key: name,
    keyType: ownType(t, name),
    split,
    mapType,
    elementType: split
      ? (ownType(t, name) ?? (mapElementKind(mapType) as FieldType | undefined))
      : undefined,
  };
}

function ownType(types: FieldTypes, key: string): FieldType | undefined {
  return Object.hasOwn(types, key) ? types[key] : undefined;
}

/** The static type of what the access yields, when both paths agree on it. */
export function accessType(a: FieldAccess): FieldType | undefined {
  if (a.key === undefined) return a.elementType;
  if (a.split === undefined) return a.keyType;
  return a.keyType === a.elementType ? a.keyType : undefined;
}

/** A key of a plain object, ignoring inherited properties ("constructor", "toString", ...). */
export function ownValue(obj: unknown, key: string): unknown {
  if (!isMapValue(obj)) return undefined;
  const v = (obj as Record<string, unknown>)[key];
  if (v === undefined) return undefined;
  return INHERITED_KEYS.has(key) && !Object.hasOwn(obj, key) ? undefined : v;
}

/** Property names every object inherits; reading them needs an own-property check. */
export const INHERITED_KEYS: ReadonlySet<string> = new Set(
  Object.getOwnPropertyNames(Object.prototype),
);

/** Reads a field as qlbridge does; absent is undefined, a JSON null is null. */
export function readField(p: Profile, a: FieldAccess): Value {
  if (a.key !== undefined) {
    const v = ownValue(p, a.key);
    if (v !== undefined) return a.keyType ? valueForType(v, a.keyType) : (v as Value);
  }
  if (a.split === undefined) return undefined;
  let m = ownValue(p, a.split[0]);
  if (m === undefined || m === null) return undefined;
  if (a.mapType) m = valueForType(m, a.mapType);
  const v = ownValue(m, a.split[1]);
  if (v === undefined) return undefined;
  return a.elementType ? valueForType(v, a.elementType) : (v as Value);
}

/**
 * The same string, internalized by V8 as property names are: reading a dictionary-mode profile with
 * a key that is not costs a string-table lookup on every read.
 */
export function propertyKey(s: string): string {
  for (const k in { [s]: true }) return k;
  return s;
}
