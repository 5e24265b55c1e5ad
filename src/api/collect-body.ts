// Reading a collect body into events: one JSON object, a JSON array of objects, or NDJSON (by its
// Content-Type, or a body of several lines that is not one JSON document). A request is all or
// nothing: any bad event rejects the whole body, naming every bad event (up to a limit) and where it is.

import { MAX_REPORTED_PROBLEMS } from "./defaults.ts";
import { ApiError, type ApiErrorCode, type ProblemDetail } from "./errors.ts";
import type { JsonParseError } from "./json-location.ts";
import { parseJson } from "./json-location.ts";

export interface CollectedEvent {
  readonly value: Record<string, unknown>;
  /** The event's JSON as published: the client's own bytes when the body is that one event. */
  readonly json: Uint8Array | string;
}

/** Content types whose body is one JSON document per line. */
export const NDJSON_TYPES: ReadonlySet<string> = new Set([
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "application/x-jsonlines",
  "application/jsonlines",
]);

export function isNdjson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const semi = contentType.indexOf(";");
  return NDJSON_TYPES.has(
    (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase(),
  );
}

export function parseCollectBody(
  body: Buffer | undefined,
  contentType: string | undefined,
): CollectedEvent[] {
  const text = body === undefined ? "" : stripBom(body.toString("utf8"));
  if (text.trim() === "")
    throw new ApiError(
      "empty_body",
      "the body holds no events; send a JSON object, an array or NDJSON",
    );
  if (isNdjson(contentType)) return parseLines(text);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Several lines that each parse on their own are NDJSON sent without its Content-Type.
    if (looksLikeNdjson(text)) return parseLines(text);
    try {
      parseJson(text);
    } catch (err) {
      const e = err as JsonParseError;
      throw new ApiError("invalid_json", e.message, [
        { line: e.line, column: e.column, kind: "InvalidJSON", reason: e.reason },
      ]);
    }
  }
  if (isObject(doc)) {
    // The body is the event: publish the client's bytes instead of serialising it again.
    return [{ value: doc, json: body !== undefined && !hasBom(body) ? body : JSON.stringify(doc) }];
  }
  if (Array.isArray(doc)) {
    if (doc.length === 0)
      throw new ApiError("empty_body", "the array holds no events; send at least one JSON object");
    const problems: ProblemDetail[] = [];
    const events: CollectedEvent[] = [];
    for (let i = 0; i < doc.length; i++) {
      const v = doc[i];
      if (isObject(v)) events.push({ value: v, json: JSON.stringify(v) });
      else problems.push(notAnObject(i, v));
    }
    if (problems.length > 0) throw batchError("invalid_event", problems, doc.length);
    return events;
  }
  throw new ApiError(
    "invalid_event",
    `the body is ${describe(doc)}, not a JSON object, an array of objects or NDJSON`,
    [{ event: 0, kind: "NotAnObject", reason: `is ${describe(doc)}` }],
  );
}

function parseLines(text: string): CollectedEvent[] {
  const events: CollectedEvent[] = [];
  const problems: ProblemDetail[] = [];
  let index = 0;
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    lineNo++;
    const line = text.slice(start, end).replace(/\r$/, "");
    start = end + 1;
    if (line.trim() === "") continue;
    const event = index++;
    let v: unknown;
    try {
      v = parseJson(line);
    } catch (err) {
      const e = err as JsonParseError;
      problems.push({
        event,
        line: lineNo,
        column: e.column,
        kind: "InvalidJSON",
        reason: `invalid JSON at column ${e.column}: ${e.reason}`,
      });
      continue;
    }
    if (isObject(v)) events.push({ value: v, json: line });
    else problems.push({ ...notAnObject(event, v), line: lineNo });
  }
  if (problems.length > 0) {
    const code: ApiErrorCode = problems.some((p) => p.kind === "InvalidJSON")
      ? "invalid_json"
      : "invalid_event";
    throw batchError(code, problems, index);
  }
  if (events.length === 0) throw new ApiError("empty_body", "the body holds no events");
  return events;
}

/** True when the first non-blank line is a JSON document on its own and more lines follow. */
function looksLikeNdjson(text: string): boolean {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length < 2) return false;
  try {
    JSON.parse(lines[0]!);
    return true;
  } catch {
    return false;
  }
}

/** One error for the bad events of a batch; the message names them, errors[] has each one. */
export function batchError(
  code: ApiErrorCode,
  problems: readonly ProblemDetail[],
  total: number,
): ApiError {
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
  const first = shown[0]!;
  const where = first.line !== undefined ? ` (line ${first.line})` : "";
  const more =
    problems.length > 1 ? ` (and ${problems.length - 1} more of ${total} events; see errors)` : "";
  return new ApiError(code, `event ${first.event}${where} ${first.reason}${more}`, shown);
}

function notAnObject(event: number, v: unknown): ProblemDetail {
  return { event, kind: "NotAnObject", reason: `is ${describe(v)}, not a JSON object` };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  switch (typeof v) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "a boolean";
    default:
      return typeof v;
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function hasBom(b: Buffer): boolean {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
}
