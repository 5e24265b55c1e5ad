// `segwatch segment eval`: one JSON request per input line, one JSON answer per output line, in order.
// A bad line gets an {"error": ...} answer and never stops the stream.

import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import {
  type Backend,
  type CompiledSegment,
  compileSegment,
  SegmentQLError,
} from "../segmentql/index.ts";
import type { FieldTypes } from "../segmentql/schema.ts";
import { type FieldType, parseFieldType } from "../segmentql/values.ts";

export interface EvalRequest {
  readonly ql: string;
  readonly profile: Record<string, unknown>;
  readonly types?: Record<string, string>;
  readonly now?: string;
  readonly includes?: Record<string, string>;
  readonly boundary?: boolean;
}

export type EvalAnswer =
  | { readonly match: boolean; readonly boundary?: string | null }
  | { readonly error: string };

/** Compiled segments by request shape, so a stream of profiles against one segment compiles once. */
export class SegmentCache {
  private readonly entries = new Map<string, CompiledSegment>();
  private readonly limit: number;

  constructor(limit = 256) {
    this.limit = limit;
  }

  get(key: string, build: () => CompiledSegment): CompiledSegment {
    let seg = this.entries.get(key);
    if (seg) {
      this.entries.delete(key);
    } else {
      seg = build();
      if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, seg);
    return seg;
  }
}

class RequestError extends Error {}

/** Answers one request line (already parsed from JSON); `backend` for tests of the others. */
export function answerEvalRequest(
  input: unknown,
  cache = new SegmentCache(),
  backend: Backend = "generated",
): EvalAnswer {
  try {
    const req = validateRequest(input);
    const types = parseTypes(req.types);
    const now = req.now === undefined ? Date.now() : parseNow(req.now);
    const includes = req.includes;
    const key = JSON.stringify([req.ql, types, includes ?? null, backend]);
    const segment = cache.get(key, () =>
      compileSegment(req.ql, {
        backend,
        types,
        ...(includes ? { includes: (name: string) => lookupInclude(includes, name) } : {}),
      }),
    );
    const match = segment.matches(req.profile, now);
    if (!req.boundary) return { match };
    const b = segment.nextBoundary(req.profile, now);
    return { match, boundary: b === null ? null : new Date(b).toISOString() };
  } catch (err) {
    if (err instanceof SegmentQLError || err instanceof RequestError) return { error: err.message };
    throw err;
  }
}

function lookupInclude(includes: Record<string, string>, name: string): string | undefined {
  if (Object.hasOwn(includes, name)) return includes[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(includes)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function validateRequest(input: unknown): EvalRequest {
  if (!isObject(input)) throw new RequestError("request: expected a JSON object");
  if (typeof input.ql !== "string")
    throw new RequestError("ql: required, a SegmentQL statement string");
  if (!isObject(input.profile)) throw new RequestError("profile: required, a JSON object");
  if (input.types !== undefined && !isObject(input.types))
    throw new RequestError("types: expected an object of field to type");
  if (input.now !== undefined && typeof input.now !== "string")
    throw new RequestError("now: expected an RFC 3339 timestamp string");
  if (input.includes !== undefined) {
    if (!isObject(input.includes))
      throw new RequestError("includes: expected an object of alias to SegmentQL");
    for (const [k, v] of Object.entries(input.includes)) {
      if (typeof v !== "string")
        throw new RequestError(`includes.${k}: expected a SegmentQL statement string`);
    }
  }
  if (input.boundary !== undefined && typeof input.boundary !== "boolean")
    throw new RequestError("boundary: expected true or false");
  return input as unknown as EvalRequest;
}

function parseTypes(types: Record<string, unknown> | undefined): FieldTypes {
  const out: Record<string, FieldType> = {};
  for (const [field, t] of Object.entries(types ?? {})) {
    const ft = typeof t === "string" ? parseFieldType(t) : undefined;
    if (ft === undefined) {
      throw new RequestError(
        `types.${field}: unknown type ${JSON.stringify(t)}; expected one of string, int, number, bool, time, []string, []time, []value, map[string]<string|int|number|bool|time|value>`,
      );
    }
    out[field] = ft;
  }
  return out;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseNow(now: string): number {
  const ms = RFC3339.test(now) ? Date.parse(now.replace(" ", "T")) : Number.NaN;
  if (Number.isNaN(ms))
    throw new RequestError(
      `now: expected an RFC 3339 timestamp such as 2026-01-15T12:00:00Z, got ${JSON.stringify(now)}`,
    );
  return ms;
}

/** Reads requests from input line by line and writes answers to output; resolves at end of input. */
export async function runSegmentEval(input: Readable, output: Writable): Promise<void> {
  const cache = new SegmentCache();
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    let answer: EvalAnswer;
    try {
      answer = answerEvalRequest(JSON.parse(line), cache);
    } catch (err) {
      answer = {
        error:
          err instanceof SyntaxError
            ? `invalid JSON: ${err.message}`
            : `internal error: ${String(err)}`,
      };
    }
    if (!output.write(`${JSON.stringify(answer)}\n`)) {
      await new Promise<void>((resolve) => output.once("drain", () => resolve()));
    }
  }
}
