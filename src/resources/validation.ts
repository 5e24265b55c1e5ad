// Validation of resource specs, shared by the REST API (400 naming the field) and the controller
// (a False condition with the reason). Paths name the resource's fields ("spec.webhook.url"); the
// REST API maps them onto the brief's JSON names.

import { parseStatement, SegmentQLError } from "../segmentql/index.ts";
import { parseFieldType } from "../segmentql/values.ts";
import { HEADER_NAME_PATTERN, LIMITS, ROLE_ARN_PATTERN, SLUG_PATTERN } from "./field-rules.ts";
import {
  CHANNELS,
  type Channel,
  PROFILE_SCHEMA_NAME,
  type ProfileSchemaSpec,
  type SegmentSpec,
  type SubscriptionSpec,
} from "./types.ts";

export interface FieldError {
  /** The field, as a path into the resource ("spec.webhook.url"). */
  readonly path: string;
  /** What is wrong, in words a user can act on. */
  readonly reason: string;
  /** Machine-readable kind of problem. */
  readonly code: "Required" | "Invalid" | "Forbidden" | "InvalidSegmentQL";
}

const CHANNEL_BLOCK: Readonly<Record<Channel, keyof SubscriptionSpec>> = {
  webhook: "webhook",
  kinesis: "kinesis",
  eventhub: "eventHub",
  pubsub: "pubsub",
};

/** DNS-1123 label: what Kubernetes accepts as a resource name. */
const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_NAME_LENGTH = 63;
// Shared with the CRD schemas (crd-schema.ts), so the API server and segwatch accept the same values.
const SLUG_RE = new RegExp(SLUG_PATTERN);
const HEADER_NAME_RE = new RegExp(HEADER_NAME_PATTERN);
const ROLE_ARN_RE = new RegExp(ROLE_ARN_PATTERN);

export function validateName(name: unknown, path = "metadata.name"): FieldError[] {
  if (typeof name !== "string" || name === "")
    return [{ path, code: "Required", reason: "a name is required" }];
  if (name.length > MAX_NAME_LENGTH || !NAME_RE.test(name)) {
    return [
      {
        path,
        code: "Invalid",
        reason: `"${name}" is not a valid name: lowercase letters, digits and "-", starting and ending with a letter or digit, at most ${MAX_NAME_LENGTH} characters`,
      },
    ];
  }
  return [];
}

export function validateSegmentSpec(spec: SegmentSpec | undefined): FieldError[] {
  const errors: FieldError[] = [];
  if (!spec || typeof spec.segmentql !== "string" || spec.segmentql.trim() === "") {
    return [
      { path: "spec.segmentql", code: "Required", reason: "a SegmentQL statement is required" },
    ];
  }
  errors.push(...segmentqlErrors(spec.segmentql, "spec.segmentql"));
  if (spec.slug !== undefined && (typeof spec.slug !== "string" || !SLUG_RE.test(spec.slug))) {
    errors.push({
      path: "spec.slug",
      code: "Invalid",
      reason: "a slug is lowercase letters, digits, _ . and -, starting with a letter, digit or _",
    });
  }
  if (spec.description !== undefined && typeof spec.description !== "string") {
    errors.push({ path: "spec.description", code: "Invalid", reason: "must be a string" });
  }
  return errors;
}

/** Parse errors of a statement, with the position: "1:15: expected ...". */
export function segmentqlErrors(ql: string, path: string): FieldError[] {
  try {
    parseStatement(ql);
    return [];
  } catch (err) {
    if (err instanceof SegmentQLError)
      return [{ path, code: "InvalidSegmentQL", reason: err.message }];
    throw err;
  }
}

export function validateSubscriptionSpec(spec: SubscriptionSpec | undefined): FieldError[] {
  if (!spec || typeof spec !== "object")
    return [{ path: "spec", code: "Required", reason: "a spec is required" }];
  const errors: FieldError[] = [];
  const add = (path: string, code: FieldError["code"], reason: string) =>
    errors.push({ path, code, reason });

  if (!CHANNELS.includes(spec.channel)) {
    add(
      "spec.channel",
      spec.channel === undefined ? "Required" : "Invalid",
      `the channel must be one of ${CHANNELS.join(", ")}`,
    );
  }
  const hasSegments = Array.isArray(spec.segments) && spec.segments.length > 0;
  const hasQl = typeof spec.segmentql === "string" && spec.segmentql.trim() !== "";
  if (
    spec.segments !== undefined &&
    !(Array.isArray(spec.segments) && spec.segments.every((s) => typeof s === "string" && s !== ""))
  ) {
    add("spec.segments", "Invalid", "must be a list of segment names, slugs or ids");
  }
  if (hasSegments && hasQl)
    add("spec.segmentql", "Forbidden", "give either segments or segmentql, not both");
  if (!hasSegments && !hasQl)
    add(
      "spec.segments",
      "Required",
      "name at least one segment (segments) or give an inline segment (segmentql)",
    );
  if (hasQl) errors.push(...segmentqlErrors(spec.segmentql!, "spec.segmentql"));
  if (spec.withBackfill !== undefined && typeof spec.withBackfill !== "boolean")
    add("spec.withBackfill", "Invalid", "must be true or false");
  if (spec.withBackfill === true && hasSegments && spec.segments!.length !== 1) {
    add(
      "spec.withBackfill",
      "Invalid",
      `backfill needs exactly one segment, got ${spec.segments!.length}`,
    );
  }
  if (spec.events !== undefined) {
    if (
      !Array.isArray(spec.events) ||
      spec.events.length === 0 ||
      !spec.events.every((e) => e === "enter" || e === "exit")
    ) {
      add("spec.events", "Invalid", 'must be a non-empty list of "enter" and "exit"');
    }
  }
  if (
    spec.fields !== undefined &&
    !(Array.isArray(spec.fields) && spec.fields.every((f) => typeof f === "string" && f !== ""))
  ) {
    add("spec.fields", "Invalid", "must be a list of profile field names");
  }

  for (const channel of CHANNELS) {
    const block = CHANNEL_BLOCK[channel];
    const present = spec[block] !== undefined && spec[block] !== null;
    if (channel === spec.channel && !present)
      add(`spec.${block}`, "Required", `the ${channel} channel needs its ${block} settings`);
    if (channel !== spec.channel && present)
      add(
        `spec.${block}`,
        "Forbidden",
        `only the ${String(spec.channel)} channel's settings may be given`,
      );
  }
  if (spec.channel === "webhook" && spec.webhook) errors.push(...webhookErrors(spec.webhook));
  if (spec.channel === "kinesis" && spec.kinesis) {
    const k = spec.kinesis;
    if (!nonEmpty(k.region)) add("spec.kinesis.region", "Required", "the AWS region is required");
    if (!nonEmpty(k.stream))
      add("spec.kinesis.stream", "Required", "the Kinesis stream is required");
    if (k.roleArn !== undefined && !ROLE_ARN_RE.test(String(k.roleArn))) {
      add(
        "spec.kinesis.roleArn",
        "Invalid",
        "must be an IAM role ARN like arn:aws:iam::123456789012:role/name",
      );
    }
    if (k.endpoint !== undefined && !isHttpUrl(k.endpoint))
      add("spec.kinesis.endpoint", "Invalid", "must be an http(s) URL");
    if (k.credentialsSecretRef !== undefined && !nonEmpty(k.credentialsSecretRef?.name))
      add("spec.kinesis.credentialsSecretRef.name", "Required", "needs the Secret's name");
  }
  if (spec.channel === "eventhub" && spec.eventHub) {
    if (!nonEmpty(spec.eventHub.eventHubName))
      add("spec.eventHub.eventHubName", "Required", "the event hub name is required");
    if (!spec.eventHub.connectionStringSecretRef) {
      add(
        "spec.eventHub.connectionStringSecretRef",
        "Required",
        "the connection string comes from a Secret (name, key)",
      );
    } else {
      errors.push(
        ...secretKeyRefErrors(
          spec.eventHub.connectionStringSecretRef,
          "spec.eventHub.connectionStringSecretRef",
        ),
      );
    }
  }
  if (spec.channel === "pubsub" && spec.pubsub) {
    if (!nonEmpty(spec.pubsub.projectId))
      add("spec.pubsub.projectId", "Required", "the Google Cloud project is required");
    if (!nonEmpty(spec.pubsub.topic))
      add("spec.pubsub.topic", "Required", "the Pub/Sub topic is required");
    errors.push(
      ...secretKeyRefErrors(spec.pubsub.credentialsSecretRef, "spec.pubsub.credentialsSecretRef"),
    );
  }
  if (spec.delivery !== undefined) {
    const d = spec.delivery;
    if (
      d.maxAttempts !== undefined &&
      !(Number.isInteger(d.maxAttempts) && d.maxAttempts >= 1 && d.maxAttempts <= 100)
    ) {
      add("spec.delivery.maxAttempts", "Invalid", "must be a whole number from 1 to 100");
    }
    if (
      d.maxInFlight !== undefined &&
      !(Number.isInteger(d.maxInFlight) && d.maxInFlight >= 1 && d.maxInFlight <= 1000)
    ) {
      add("spec.delivery.maxInFlight", "Invalid", "must be a whole number from 1 to 1000");
    }
    for (const f of ["initialBackoff", "maxBackoff", "timeout"] as const) {
      if (d[f] !== undefined && parseDuration(d[f]) === undefined) {
        add(
          `spec.delivery.${f}`,
          "Invalid",
          `"${d[f]}" is not a duration like 500ms, 1s, 10m or 1h30m`,
        );
      }
    }
    if (d.timeout !== undefined && parseDuration(d.timeout) === 0)
      add("spec.delivery.timeout", "Invalid", "must be longer than 0");
    const initial = parseDuration(d.initialBackoff);
    const max = parseDuration(d.maxBackoff);
    if (initial !== undefined && max !== undefined && max < initial) {
      add(
        "spec.delivery.maxBackoff",
        "Invalid",
        `must not be shorter than initialBackoff (${d.initialBackoff})`,
      );
    }
  }
  return errors;
}

function webhookErrors(w: NonNullable<SubscriptionSpec["webhook"]>): FieldError[] {
  const errors: FieldError[] = [];
  if (!nonEmpty(w.url))
    errors.push({
      path: "spec.webhook.url",
      code: "Required",
      reason: "the webhook URL is required",
    });
  else if (!isHttpUrl(w.url))
    errors.push({
      path: "spec.webhook.url",
      code: "Invalid",
      reason: `"${w.url}" is not an http(s) URL`,
    });
  if (w.headers !== undefined) {
    if (typeof w.headers !== "object" || w.headers === null || Array.isArray(w.headers)) {
      errors.push({
        path: "spec.webhook.headers",
        code: "Invalid",
        reason: "must be a map of header name to value",
      });
    } else {
      for (const [name, value] of Object.entries(w.headers)) {
        if (!HEADER_NAME_RE.test(name))
          errors.push({
            path: `spec.webhook.headers.${name}`,
            code: "Invalid",
            reason: "is not a valid header name",
          });
        else if (typeof value !== "string" || /[\r\n]/.test(value)) {
          errors.push({
            path: `spec.webhook.headers.${name}`,
            code: "Invalid",
            reason: "must be a single-line string",
          });
        }
      }
    }
  }
  errors.push(...secretKeyRefErrors(w.signingSecretRef, "spec.webhook.signingSecretRef"));
  errors.push(...secretKeyRefErrors(w.segmentioWriteKeyRef, "spec.webhook.segmentioWriteKeyRef"));
  for (const [i, h] of (w.headersFrom ?? []).entries()) {
    if (!h || !HEADER_NAME_RE.test(h.name ?? ""))
      errors.push({
        path: `spec.webhook.headersFrom[${i}].name`,
        code: "Invalid",
        reason: "is not a valid header name",
      });
    if (!h?.secretKeyRef?.name || !h.secretKeyRef.key) {
      errors.push({
        path: `spec.webhook.headersFrom[${i}].secretKeyRef`,
        code: "Required",
        reason: "needs a Secret name and key",
      });
    }
  }
  return errors;
}

/** An optional reference to one key of a Secret: when given, both name and key are required. */
function secretKeyRefErrors(ref: unknown, path: string): FieldError[] {
  if (ref === undefined) return [];
  const r = ref as { name?: unknown; key?: unknown } | null;
  const errors: FieldError[] = [];
  if (!nonEmpty(r?.name))
    errors.push({ path: `${path}.name`, code: "Required", reason: "needs the Secret's name" });
  if (!nonEmpty(r?.key))
    errors.push({ path: `${path}.key`, code: "Required", reason: "needs the key in the Secret" });
  return errors;
}

export function validateProfileSchema(
  name: string,
  spec: ProfileSchemaSpec | undefined,
): FieldError[] {
  const errors: FieldError[] = [];
  if (name !== PROFILE_SCHEMA_NAME) {
    errors.push({
      path: "metadata.name",
      code: "Invalid",
      reason: `a namespace has one ProfileSchema, named "${PROFILE_SCHEMA_NAME}"`,
    });
  }
  const ids = spec?.identityFields;
  if (
    ids !== undefined &&
    !(Array.isArray(ids) && ids.length > 0 && ids.every((f) => typeof f === "string" && f !== ""))
  ) {
    errors.push({
      path: "spec.identityFields",
      code: "Invalid",
      reason: "must be a non-empty list of field names",
    });
  }
  const declared = Object.entries(spec?.fields ?? {});
  if (declared.length > LIMITS.schemaFields) {
    errors.push({
      path: "spec.fields",
      code: "Invalid",
      reason: `declares ${declared.length} fields; at most ${LIMITS.schemaFields} are allowed`,
    });
  }
  for (const [field, type] of declared) {
    if (
      typeof type !== "string" ||
      type.length > LIMITS.fieldTypeLength ||
      parseFieldType(type) === undefined
    ) {
      errors.push({
        path: `spec.fields.${field}`,
        code: "Invalid",
        reason: `unknown type ${JSON.stringify(type)}; expected string, int, number, bool, time, []string, []time, []value or map[string]<type>`,
      });
    }
  }
  return errors;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration ("1s", "1h30m", "500ms"), in milliseconds; undefined when malformed or negative. */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== "string" || text === "") return undefined;
  if (text === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
    end = re.lastIndex;
  }
  return end === text.length && end > 0 ? total : undefined;
}

function nonEmpty(v: unknown): boolean {
  return typeof v === "string" && v.trim() !== "";
}

function isHttpUrl(v: unknown): boolean {
  if (typeof v !== "string") return false;
  try {
    const u = new URL(v);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}
