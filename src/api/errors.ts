// The one catalogue of API errors. Every non-2xx answer has the same body — the brief's
// `{status, message}` plus a stable machine-readable `code` and, where a request had several problems,
// `errors[]` naming each field (in the brief's JSON names) or event. Clients branch on `code`, never
// on the wording of `message`.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { ResourceSourceError } from "../resources/source.ts";

export const API_ERRORS = {
  /** No token, or one that maps to no namespace. */
  unauthorized: { status: 401, summary: "a valid API token is required" },
  /** The path names no route. */
  route_not_found: { status: 404, summary: "no such route" },
  /** The route exists; the segment or subscription it names does not. */
  not_found: { status: 404, summary: "no such resource" },
  /** The body is not JSON (the message says where). */
  invalid_json: { status: 400, summary: "the body is not valid JSON" },
  /** A collected event is not a JSON object. */
  invalid_event: { status: 400, summary: "an event is not a JSON object" },
  /** A collected event carries none of the namespace's identity fields. */
  missing_identity: { status: 400, summary: "an event has no identity" },
  /** The request needs a body and has none. */
  empty_body: { status: 400, summary: "the body is empty" },
  /** A field has a wrong type or value (each one is in errors[]). */
  validation_failed: { status: 400, summary: "the request is invalid" },
  /** The body has fields the API does not know (a typo would otherwise silently do nothing). */
  unknown_fields: { status: 400, summary: "the body has unknown fields" },
  /** The SegmentQL does not parse (errors[] has line:column). */
  invalid_segmentql: { status: 400, summary: "the SegmentQL is invalid" },
  /** POST /api/segment upserts by ALIAS; the statement has none. */
  missing_alias: { status: 400, summary: "the segment needs an ALIAS" },
  /** Any other malformed request (bad URL, bad Content-Length). */
  bad_request: { status: 400, summary: "the request is malformed" },
  /** The name is taken by a resource the request may not change. */
  conflict: { status: 409, summary: "the resource conflicts with an existing one" },
  payload_too_large: { status: 413, summary: "the body is too large" },
  unsupported_media_type: { status: 415, summary: "unsupported Content-Type" },
  /** JetStream did not acknowledge every event: none may be counted as accepted; retry. */
  publish_failed: { status: 503, summary: "the events could not be stored" },
  /** The server is shutting down or not yet connected. */
  unavailable: { status: 503, summary: "the service is unavailable" },
  internal: { status: 500, summary: "internal error" },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;
export const API_ERROR_CODES = Object.keys(API_ERRORS) as ApiErrorCode[];

/** One problem of a request: a field (the brief's JSON name) or an event of a batch. */
export interface ProblemDetail {
  /** The field, in the request's own terms ("webhook_url", "headers.X-Key", "ALIAS", "stream"). */
  readonly field?: string;
  /** 0-based index of the event in a collect batch. */
  readonly event?: number;
  /** 1-based position in the body (SegmentQL, JSON, NDJSON). */
  readonly line?: number;
  readonly column?: number;
  /** "Required" | "Invalid" | "Forbidden" | "Unknown" | "InvalidSegmentQL" | … */
  readonly kind?: string;
  readonly reason: string;
}

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly statusCode: number;
  readonly details: readonly ProblemDetail[];
  constructor(
    code: ApiErrorCode,
    message: string,
    details: readonly ProblemDetail[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ApiError";
    this.code = code;
    this.statusCode = API_ERRORS[code].status;
    this.details = details;
  }
}

/** Several field problems as one error; the message names each field and reason. */
export function fieldErrors(code: ApiErrorCode, details: readonly ProblemDetail[]): ApiError {
  const message = details.map((d) => (d.field ? `${d.field}: ${d.reason}` : d.reason)).join("; ");
  return new ApiError(code, message || API_ERRORS[code].summary, details);
}

export interface ErrorBody {
  status: number;
  code: ApiErrorCode;
  message: string;
  errors?: ProblemDetail[];
}

export const ERROR_SCHEMA_ID = "ApiError";

/** The body of every error answer (shared schema, referenced by every route's 4xx/5xx). */
export const errorSchema = {
  $id: ERROR_SCHEMA_ID,
  type: "object",
  description: "An error. Branch on `code`; `message` is for people.",
  required: ["status", "code", "message"],
  properties: {
    status: { type: "integer", description: "The HTTP status, repeated." },
    code: { type: "string", enum: API_ERROR_CODES },
    message: { type: "string" },
    errors: {
      type: "array",
      items: {
        type: "object",
        properties: {
          field: { type: "string" },
          event: { type: "integer" },
          line: { type: "integer" },
          column: { type: "integer" },
          kind: { type: "string" },
          reason: { type: "string" },
        },
      },
    },
  },
} as const;

export const errorRef = { $ref: `${ERROR_SCHEMA_ID}#` } as const;

/** Response schemas for the given error statuses, all with the shared error body. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorRef> {
  return Object.fromEntries(statuses.map((s) => [s, errorRef]));
}

function bodyOf(err: ApiError): ErrorBody {
  const body: ErrorBody = { status: err.statusCode, code: err.code, message: err.message };
  if (err.details.length > 0) body.errors = [...err.details];
  return body;
}

/** Maps what fastify itself throws (parsers, schema validation, limits) onto the catalogue. */
export function toApiError(err: FastifyError, request: FastifyRequest): ApiError {
  if (err instanceof ApiError) return err;
  // The store refused a write that conflicts with what it holds.
  if (err instanceof ResourceSourceError) return new ApiError("conflict", err.message);
  if (err.validation) return validationError(err);
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(
        "payload_too_large",
        `the body is larger than the limit of ${request.routeOptions.bodyLimit ?? "the configured"} bytes`,
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE": {
      const accepted = (request.routeOptions.schema as { consumes?: string[] } | undefined)
        ?.consumes;
      return new ApiError(
        "unsupported_media_type",
        `Content-Type ${request.headers["content-type"] ?? "(none)"} is not accepted here${accepted ? `; send ${accepted.join(" or ")}` : ""}`,
      );
    }
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError("empty_body", "the body is empty; send a JSON object");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError("invalid_json", "the body is not valid JSON");
  }
  const status = err.statusCode ?? 500;
  if (status === 413) return new ApiError("payload_too_large", err.message);
  if (status >= 400 && status < 500) return new ApiError("bad_request", err.message);
  return new ApiError("internal", "internal error", [], { cause: err });
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** ajv's errors, with the field named in the request's terms ("headers.X-Key", "segment_ids[1]"). */
function validationError(err: FastifyError): ApiError {
  const errors = (err.validation ?? []) as unknown as AjvError[];
  const context = (err as { validationContext?: string }).validationContext;
  const unknown: ProblemDetail[] = [];
  const invalid: ProblemDetail[] = [];
  for (const e of errors) {
    const at = fieldPath(e.instancePath);
    if (e.keyword === "additionalProperties") {
      const name = join(at, String(e.params.additionalProperty));
      unknown.push({ field: name, kind: "Unknown", reason: "is not a known field" });
    } else if (e.keyword === "required") {
      const name = join(at, String(e.params.missingProperty));
      invalid.push({ field: name, kind: "Required", reason: "is required" });
    } else {
      invalid.push({
        field: at || context || "body",
        kind: "Invalid",
        reason: e.keyword === "enum" ? `must be one of ${enumOf(e)}` : (e.message ?? "is invalid"),
      });
    }
  }
  if (unknown.length > 0) {
    return new ApiError(
      "unknown_fields",
      `unknown ${unknown.length === 1 ? "field" : "fields"} ${unknown.map((u) => u.field).join(", ")}`,
      [...unknown, ...invalid],
    );
  }
  return fieldErrors("validation_failed", dedupe(invalid));
}

function enumOf(e: AjvError): string {
  const allowed = e.params.allowedValues;
  return Array.isArray(allowed) ? allowed.map(String).join(", ") : "the allowed values";
}

function dedupe(ds: ProblemDetail[]): ProblemDetail[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.field}\u0000${d.reason}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** "/headers/X-Key" → "headers.X-Key", "/segment_ids/1" → "segment_ids[1]". */
function fieldPath(instancePath: string): string {
  let out = "";
  for (const raw of instancePath.split("/").slice(1)) {
    const part = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    out = /^\d+$/.test(part) ? `${out}[${part}]` : join(out, part);
  }
  return out;
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

export function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  return reply.code(err.statusCode).type("application/json").send(bodyOf(err));
}

/**
 * Error and not-found handlers for the whole app, plus the shared error schema. Registered with
 * fastify-plugin so that they apply to every route family.
 */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.addSchema(errorSchema);
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const err = toApiError(error, request);
      if (err.code === "internal") request.log.error({ err: error }, "request failed");
      else if (err.statusCode >= 500) request.log.warn({ err: error }, err.message);
      return sendError(reply, err);
    });
    app.setNotFoundHandler((request, reply) =>
      sendError(
        reply,
        new ApiError("route_not_found", `no route ${request.method} ${request.url.split("?")[0]}`),
      ),
    );
  },
  { name: "segwatch-errors", fastify: "5.x" },
);
