// Declared field types: a schema maps profile fields to qlbridge value types, and values are coerced
// to the declared type. The profile store coerces on merge (and reports what it cannot coerce); the
// evaluator coerces on access too, so that a profile that was never stored (the CLI, tests) evaluates
// the same way.

import { parseDate } from "./dateparse.ts";
import {
  type FieldType,
  isMapValue,
  mapElementKind,
  parseGoBool,
  parseGoFloat,
  parseGoInt,
  toGoString,
  type Value,
  type ValueMap,
} from "./values.ts";

/** Field name → declared type. Undeclared fields take their type from JSON. */
export type FieldTypes = Readonly<Record<string, FieldType>>;

export type Coercion =
  | { readonly ok: true; readonly value: Value }
  | { readonly ok: false; readonly reason: string };

const ok = (value: Value): Coercion => ({ ok: true, value });
const fail = (reason: string): Coercion => ({ ok: false, reason });

/**
 * Coerces a JSON value to a declared type. null stays null (a present nil). Returns a reason when the
 * value cannot be represented in the type, e.g. "not a date" for a time field holding "soon".
 */
export function coerceToType(raw: unknown, type: FieldType): Coercion {
  if (raw === null) return ok(null);
  if (raw === undefined) return ok(undefined);
  switch (type) {
    case "string":
      if (typeof raw === "string") return ok(raw);
      if (typeof raw === "number" || typeof raw === "boolean") return ok(toGoString(raw));
      return fail(`expected a string, got ${describeJson(raw)}`);
    case "int": {
      if (typeof raw === "number")
        return Number.isFinite(raw) ? ok(Math.trunc(raw)) : fail("not a finite number");
      if (typeof raw === "string") {
        const i = parseGoInt(raw.trim());
        if (i !== undefined) return ok(i);
        const f = parseGoFloat(raw.trim());
        if (f !== undefined && Number.isFinite(f)) return ok(Math.trunc(f));
      }
      return fail(`expected an integer, got ${describeJson(raw)}`);
    }
    case "number": {
      if (typeof raw === "number") return ok(raw);
      if (typeof raw === "string") {
        const f = parseGoFloat(raw.trim());
        if (f !== undefined) return ok(f);
      }
      return fail(`expected a number, got ${describeJson(raw)}`);
    }
    case "bool":
      if (typeof raw === "boolean") return ok(raw);
      if (typeof raw === "string") {
        const b = parseGoBool(raw.trim());
        if (b !== undefined) return ok(b);
      }
      if (raw === 0 || raw === 1) return ok(raw === 1);
      return fail(`expected a boolean, got ${describeJson(raw)}`);
    case "time": {
      const t = coerceTime(raw);
      return t === undefined ? fail(`expected a date, got ${describeJson(raw)}`) : ok(t);
    }
    case "[]string": {
      if (!Array.isArray(raw))
        return typeof raw === "string"
          ? ok([raw])
          : fail(`expected a list, got ${describeJson(raw)}`);
      if (raw.every((e) => typeof e === "string")) return ok(raw as string[]);
      return ok(raw.map((e) => (e === null || e === undefined ? "" : toGoString(e as Value & {}))));
    }
    case "[]time": {
      if (!Array.isArray(raw)) return fail(`expected a list, got ${describeJson(raw)}`);
      const out: Date[] = [];
      for (const e of raw) {
        const t = coerceTime(e);
        if (t === undefined)
          return fail(`expected a list of dates, got element ${describeJson(e)}`);
        out.push(t);
      }
      return ok(out);
    }
    case "[]value":
      return Array.isArray(raw)
        ? ok(raw as Value[])
        : fail(`expected a list, got ${describeJson(raw)}`);
    default: {
      if (!isMapValue(raw)) return fail(`expected an object, got ${describeJson(raw)}`);
      const element = mapElementKind(type);
      if (element === undefined) return ok(raw as ValueMap);
      const out: ValueMap = {};
      for (const [k, v] of Object.entries(raw)) {
        const c = coerceToType(v, element as FieldType);
        if (!c.ok) return fail(`key ${JSON.stringify(k)}: ${c.reason}`);
        out[k] = c.value;
      }
      return ok(out);
    }
  }
}

/** A time from a Date, an epoch-milliseconds number, or any date string qlbridge's dateparse reads. */
export function coerceTime(raw: unknown): Date | undefined {
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? undefined : raw;
  if (typeof raw === "number") return Number.isFinite(raw) ? new Date(raw) : undefined;
  if (typeof raw === "string") {
    const ms = parseDate(raw.trim());
    return ms === undefined ? undefined : new Date(ms);
  }
  return undefined;
}

/**
 * The value a declared field holds at evaluation time: already-coerced values pass through without
 * allocation; anything else is coerced, or kept as it is when it does not fit (it then behaves as
 * its JSON type, which is what qlbridge does with a mistyped value).
 */
export function valueForType(raw: unknown, type: FieldType): Value {
  if (raw === undefined || raw === null) return raw as Value;
  switch (type) {
    case "string":
      if (typeof raw === "string") return raw;
      break;
    case "int":
      if (typeof raw === "number" && Number.isInteger(raw)) return raw;
      break;
    case "number":
      if (typeof raw === "number") return raw;
      break;
    case "bool":
      if (typeof raw === "boolean") return raw;
      break;
    case "time":
      if (raw instanceof Date) return raw;
      break;
    case "[]time":
      if (Array.isArray(raw) && raw.every((e) => e instanceof Date)) return raw as Date[];
      break;
    case "[]string":
      if (Array.isArray(raw) && raw.every((e) => typeof e === "string")) return raw as string[];
      break;
    case "[]value":
      if (Array.isArray(raw)) return raw as Value[];
      break;
    case "map[string]value":
      if (isMapValue(raw)) return raw as ValueMap;
      break;
    default: {
      const element = mapElementKind(type);
      if (isMapValue(raw) && Object.values(raw).every((v) => fitsScalar(v, element)))
        return raw as ValueMap;
      break;
    }
  }
  const c = coerceToType(raw, type);
  return c.ok ? c.value : (raw as Value);
}

function fitsScalar(v: unknown, kind: string | undefined): boolean {
  switch (kind) {
    case "string":
      return typeof v === "string";
    case "int":
      return typeof v === "number" && Number.isInteger(v);
    case "number":
      return typeof v === "number";
    case "bool":
      return typeof v === "boolean";
    case "time":
      return v instanceof Date;
    default:
      return true;
  }
}

function describeJson(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v instanceof Date) return "a date";
  if (typeof v === "object" && v !== null) return "an object";
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
