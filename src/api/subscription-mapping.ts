// The brief's subscription JSON ↔ the Subscription resource. Field names map as DESIGN.md lists
// (`webhook_url` → `webhook.url`, `segment_ids` → `segments`, …); validation is the shared
// validateSubscriptionSpec, its resource paths mapped back onto the brief's names. Sensitive values
// (credential-like headers, the Segment write key, connection strings, service-account keys) go to
// the subscription's credentials Secret and the resource references them, so manifests, GitOps
// repositories and `kubectl get -o yaml` never carry them.

import { createHash } from "node:crypto";
import { EventHubSettingsError, resolveEventHubTarget } from "../delivery/eventhub-settings.ts";

import { parseServiceAccountKey } from "../delivery/pubsub-credentials.ts";
import {
  CHANNELS,
  type Channel,
  resourceId,
  type SecretData,
  type SecretKeyRef,
  type Subscription,
  type SubscriptionSpec,
  type TriggerEvent,
} from "../resources/types.ts";
import {
  type FieldError,
  validateName,
  validateSubscriptionSpec,
} from "../resources/validation.ts";
import {
  ANNOTATION,
  CONNECTION_STRING_SECRET_KEY,
  credentialsSecretName,
  MAX_SUBSCRIPTION_NAME_LENGTH,
  PUBSUB_CREDENTIALS_SECRET_KEY,
  SEGMENTIO_WRITEKEY_SECRET_KEY,
} from "./defaults.ts";
import type { ProblemDetail } from "./errors.ts";
import type { SubscriptionField } from "./schemas.ts";
import type { SegmentDirectory } from "./segment-directory.ts";
import { segmentqlProblem } from "./segments.ts";
import { type ReadinessView, readinessView } from "./status-view.ts";

/** The request body (already type-checked by the route's JSON schema). */
export interface SubscriptionBody {
  channel: string;
  name: string;
  description?: string;
  segment_ids?: string[];
  segmentql?: string;
  withbackfill?: boolean;
  events?: TriggerEvent[];
  fields?: string[];
  webhook_url?: string;
  headers?: Record<string, string>;
  segmentio_writekey?: string;
  region?: string;
  stream?: string;
  role_arn?: string;
  identifier_field?: string;
  external_id?: string;
  endpoint?: string;
  eventhub_name?: string;
  connection_string?: string;
  partition_key_field?: string;
  project_id?: string;
  topic?: string;
  credentials_json?: string;
  ordering_key_field?: string;
}

/** The fields that belong to one channel; giving them for another channel is an error, not a no-op. */
export const CHANNEL_FIELDS: Readonly<Record<Channel, readonly SubscriptionField[]>> = {
  webhook: ["webhook_url", "headers", "segmentio_writekey"],
  kinesis: ["region", "stream", "role_arn", "identifier_field", "external_id", "endpoint"],
  eventhub: ["eventhub_name", "connection_string", "partition_key_field"],
  pubsub: ["project_id", "topic", "credentials_json", "ordering_key_field"],
};

/** Headers whose values are credentials: stored in the Secret, not in the resource. */
const SENSITIVE_HEADER_RE =
  /^(authorization|proxy-authorization|cookie)$|token|secret|passw|api[-_]?key|apikey|auth|credential|session|signature/i;
const SECRET_KEY_RE = /^[-._a-zA-Z0-9]+$/;

export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER_RE.test(name);
}

/** The Secret key of a header value (Secret keys allow fewer characters than header names). */
export function headerSecretKey(header: string): string {
  return SECRET_KEY_RE.test(header)
    ? `header.${header}`
    : `header.${Buffer.from(header).toString("hex")}`;
}

/**
 * The brief's `name` as a resource name: lower-cased, other characters turned into "-", and a hash
 * suffix when it had to be shortened (so two long names that share a prefix stay apart).
 */
export function subscriptionResourceName(name: string): string {
  let n = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "");
  const suffix = createHash("sha256").update(name).digest("hex").slice(0, 8);
  if (n === "") return `subscription-${suffix}`;
  if (n.length > MAX_SUBSCRIPTION_NAME_LENGTH)
    n = `${n.slice(0, MAX_SUBSCRIPTION_NAME_LENGTH - suffix.length - 1).replace(/-+$/, "")}-${suffix}`;
  return n;
}

export interface MappedSubscription {
  readonly spec: SubscriptionSpec;
  /** What goes into the credentials Secret (empty: the subscription has no sensitive values). */
  readonly secret: Record<string, string>;
  /** Problems, in the brief's field names; the spec is not to be stored when there are any. */
  readonly problems: readonly ProblemDetail[];
}

export function toSubscriptionSpec(
  body: SubscriptionBody,
  resourceName: string,
): MappedSubscription {
  const problems: ProblemDetail[] = [];
  const secretName = credentialsSecretName(resourceName);
  const channel = body.channel as Channel;
  if (CHANNELS.includes(channel)) {
    for (const other of CHANNELS) {
      if (other === channel) continue;
      for (const f of CHANNEL_FIELDS[other]) {
        if (body[f] !== undefined)
          problems.push({
            field: f,
            kind: "Forbidden",
            reason: `is a ${other} setting; this subscription's channel is ${channel}`,
          });
      }
    }
  }
  const nameErrors = validateName(resourceName);
  for (const e of nameErrors) problems.push({ field: "name", kind: e.code, reason: e.reason });

  const secret: Record<string, string> = {};
  const ref = (key: string, value: string | undefined): SecretKeyRef | undefined => {
    if (value === undefined) return undefined;
    secret[key] = value;
    return { name: secretName, key };
  };

  const common: SubscriptionSpec = {
    channel,
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.segment_ids !== undefined ? { segments: body.segment_ids } : {}),
    ...(body.segmentql !== undefined ? { segmentql: body.segmentql } : {}),
    ...(body.withbackfill !== undefined ? { withBackfill: body.withbackfill } : {}),
    ...(body.events !== undefined ? { events: body.events } : {}),
    ...(body.fields !== undefined ? { fields: body.fields } : {}),
  };
  // Validation sees every header inline, so values are checked whatever their destination.
  let forValidation: SubscriptionSpec = common;
  let spec: SubscriptionSpec = common;
  switch (channel) {
    case "webhook": {
      const plain: Record<string, string> = {};
      const headersFrom: { name: string; secretKeyRef: SecretKeyRef }[] = [];
      for (const [name, value] of Object.entries(body.headers ?? {})) {
        if (isSensitiveHeader(name))
          headersFrom.push({ name, secretKeyRef: ref(headerSecretKey(name), value)! });
        else plain[name] = value;
      }
      const writeKeyRef = ref(SEGMENTIO_WRITEKEY_SECRET_KEY, body.segmentio_writekey);
      forValidation = {
        ...common,
        webhook: {
          url: body.webhook_url ?? "",
          ...(body.headers !== undefined ? { headers: body.headers } : {}),
        },
      };
      spec = {
        ...common,
        webhook: {
          url: body.webhook_url ?? "",
          ...(Object.keys(plain).length > 0 ? { headers: plain } : {}),
          ...(headersFrom.length > 0 ? { headersFrom } : {}),
          ...(writeKeyRef ? { segmentioWriteKeyRef: writeKeyRef } : {}),
        },
      };
      break;
    }
    case "kinesis":
      spec = forValidation = {
        ...common,
        kinesis: {
          region: body.region ?? "",
          stream: body.stream ?? "",
          ...(body.role_arn !== undefined ? { roleArn: body.role_arn } : {}),
          ...(body.identifier_field !== undefined
            ? { identifierField: body.identifier_field }
            : {}),
          ...(body.external_id !== undefined ? { externalId: body.external_id } : {}),
          ...(body.endpoint !== undefined ? { endpoint: body.endpoint } : {}),
        },
      };
      break;
    case "eventhub": {
      const connection = ref(CONNECTION_STRING_SECRET_KEY, body.connection_string);
      spec = forValidation = {
        ...common,
        eventHub: {
          ...(body.eventhub_name !== undefined ? { eventHubName: body.eventhub_name } : {}),
          ...(connection ? { connectionStringSecretRef: connection } : {}),
          ...(body.partition_key_field !== undefined
            ? { partitionKeyField: body.partition_key_field }
            : {}),
        } as NonNullable<SubscriptionSpec["eventHub"]>,
      };
      if (body.connection_string !== undefined) {
        const p = eventHubProblem(body.connection_string, body.eventhub_name);
        if (p) problems.push(p);
      }
      break;
    }
    case "pubsub": {
      const credentials = ref(PUBSUB_CREDENTIALS_SECRET_KEY, body.credentials_json);
      if (typeof body.credentials_json === "string") {
        try {
          parseServiceAccountKey(body.credentials_json);
        } catch (err) {
          problems.push({
            field: "credentials_json",
            kind: "Invalid",
            reason: (err as Error).message,
          });
        }
      }
      spec = forValidation = {
        ...common,
        pubsub: {
          projectId: body.project_id ?? "",
          topic: body.topic ?? "",
          ...(credentials ? { credentialsSecretRef: credentials } : {}),
          ...(body.ordering_key_field !== undefined
            ? { orderingKeyField: body.ordering_key_field }
            : {}),
        },
      };
      break;
    }
  }
  for (const e of validateSubscriptionSpec(forValidation)) problems.push(briefProblem(e));
  return { spec, secret, problems };
}

/** The connection string checked as the delivery worker will use it (the REST API has its value). */
function eventHubProblem(
  connectionString: string,
  eventHubName: string | undefined,
): ProblemDetail | undefined {
  try {
    resolveEventHubTarget(connectionString, eventHubName);
    return undefined;
  } catch (err) {
    if (!(err instanceof EventHubSettingsError)) throw err;
    // A name the generic check already refuses (empty) is reported once, by that check.
    if (err.field === "eventHubName" && eventHubName !== undefined && eventHubName.trim() === "")
      return undefined;
    return {
      field: err.field === "eventHubName" ? "eventhub_name" : "connection_string",
      kind: "Invalid",
      reason: err.message,
    };
  }
}

/** A resource path's field in the brief's JSON. */
export function briefField(path: string): string {
  const exact = PATH_TO_FIELD[path];
  if (exact) return exact;
  const header = /^spec\.webhook\.headers\.(.+)$/.exec(path);
  if (header) return `headers.${header[1]}`;
  for (const [prefix, field] of PREFIX_TO_FIELD) if (path.startsWith(prefix)) return field;
  return path.replace(/^spec\./, "");
}

const PATH_TO_FIELD: Readonly<Record<string, string>> = {
  "metadata.name": "name",
  "spec.channel": "channel",
  "spec.description": "description",
  "spec.segments": "segment_ids",
  "spec.segmentql": "segmentql",
  "spec.withBackfill": "withbackfill",
  "spec.events": "events",
  "spec.fields": "fields",
  "spec.webhook": "webhook_url",
  "spec.webhook.url": "webhook_url",
  "spec.webhook.headers": "headers",
  "spec.kinesis.region": "region",
  "spec.kinesis.stream": "stream",
  "spec.kinesis.roleArn": "role_arn",
  "spec.kinesis.identifierField": "identifier_field",
  "spec.kinesis.externalId": "external_id",
  "spec.kinesis.endpoint": "endpoint",
  "spec.eventHub.eventHubName": "eventhub_name",
  "spec.eventHub.partitionKeyField": "partition_key_field",
  "spec.pubsub.projectId": "project_id",
  "spec.pubsub.topic": "topic",
  "spec.pubsub.orderingKeyField": "ordering_key_field",
};

const PREFIX_TO_FIELD: readonly (readonly [string, string])[] = [
  ["spec.segments", "segment_ids"],
  ["spec.webhook.headersFrom", "headers"],
  ["spec.webhook.segmentioWriteKeyRef", "segmentio_writekey"],
  ["spec.eventHub.connectionStringSecretRef", "connection_string"],
  ["spec.pubsub.credentialsSecretRef", "credentials_json"],
  ["spec.kinesis", "channel"],
  ["spec.eventHub", "channel"],
  ["spec.pubsub", "channel"],
];

/** Reasons that speak of resource fields, in the brief's words. */
const REASON_FOR: Readonly<Record<string, string>> = {
  "spec.eventHub.connectionStringSecretRef": "the event hub's connection string is required",
};

function briefProblem(e: FieldError): ProblemDetail {
  const field = briefField(e.path);
  if (e.code === "InvalidSegmentQL") return segmentqlProblem(field, e.reason);
  const reason = (REASON_FOR[e.path] ?? e.reason)
    .replace(/\(segments\)/g, "(segment_ids)")
    .replace(/\bsegments or segmentql\b/g, "segment_ids or segmentql")
    .replace(/\bwithBackfill\b/g, "withbackfill");
  return { field, kind: e.code, reason };
}

// ---- views -------------------------------------------------------------------------------------

export type SubscriptionConfigView = Partial<Record<SubscriptionField, unknown>>;

export interface SubscriptionView {
  id: string;
  segment_ids: string[];
  segmentql: string;
  name: string;
  description: string;
  created: string;
  updated: string;
  user_id: string;
  account_id: string;
  workflow: string;
  resource_name: string;
  config: SubscriptionConfigView;
  status: ReadinessView & {
    delivered: number;
    failed: number;
    dead_lettered: number;
    last_delivery_time: string | null;
    last_error: string | null;
    backfill: string;
  };
}

/** The brief's name of a subscription: as the client gave it, else the resource name. */
export function briefName(sub: Subscription): string {
  return sub.metadata.annotations?.[ANNOTATION.restName] ?? sub.metadata.name;
}

/** Whether the subscription's values live in the Secret the REST API manages for it. */
export function usesCredentialsSecret(sub: Subscription): boolean {
  const secretName = credentialsSecretName(sub.metadata.name);
  const s = sub.spec;
  return (
    (s?.webhook?.headersFrom ?? []).some((h) => h.secretKeyRef?.name === secretName) ||
    s?.webhook?.segmentioWriteKeyRef?.name === secretName ||
    s?.eventHub?.connectionStringSecretRef?.name === secretName ||
    s?.pubsub?.credentialsSecretRef?.name === secretName
  );
}

/** The config as the client would post it again; values from other Secrets are shown as references. */
export function configView(
  sub: Subscription,
  secret: SecretData | undefined,
): SubscriptionConfigView {
  const s = sub.spec ?? ({} as SubscriptionSpec);
  const value = (r: SecretKeyRef | undefined): string | undefined => {
    if (!r) return undefined;
    if (r.name === credentialsSecretName(sub.metadata.name) && secret?.[r.key] !== undefined)
      return secret[r.key];
    return `secret:${r.name}/${r.key}`;
  };
  const c: SubscriptionConfigView = {
    channel: s.channel,
    name: briefName(sub),
    description: s.description,
    segment_ids: s.segments,
    segmentql: s.segmentql,
    withbackfill: s.withBackfill ?? false,
    events: s.events,
    fields: s.fields,
  };
  if (s.webhook) {
    c.webhook_url = s.webhook.url;
    const headers: Record<string, string> = { ...(s.webhook.headers ?? {}) };
    for (const h of s.webhook.headersFrom ?? []) headers[h.name] = value(h.secretKeyRef) ?? "";
    if (Object.keys(headers).length > 0) c.headers = headers;
    c.segmentio_writekey = value(s.webhook.segmentioWriteKeyRef);
  }
  if (s.kinesis) {
    c.region = s.kinesis.region;
    c.stream = s.kinesis.stream;
    c.role_arn = s.kinesis.roleArn;
    c.identifier_field = s.kinesis.identifierField;
    c.external_id = s.kinesis.externalId;
    c.endpoint = s.kinesis.endpoint;
  }
  if (s.eventHub) {
    c.eventhub_name = s.eventHub.eventHubName;
    c.connection_string = value(s.eventHub.connectionStringSecretRef);
    c.partition_key_field = s.eventHub.partitionKeyField;
  }
  if (s.pubsub) {
    c.project_id = s.pubsub.projectId;
    c.topic = s.pubsub.topic;
    c.credentials_json = value(s.pubsub.credentialsSecretRef);
    c.ordering_key_field = s.pubsub.orderingKeyField;
  }
  for (const k of Object.keys(c) as SubscriptionField[]) if (c[k] === undefined) delete c[k];
  return c;
}

/** Ids of the segments a subscription listens to; a reference that resolves to nothing stays as given. */
export function resolvedSegmentIds(sub: Subscription, directory: SegmentDirectory): string[] {
  const refs = sub.spec?.segments;
  if (Array.isArray(refs) && refs.length > 0) {
    const ids: string[] = [];
    for (const r of refs) {
      const s = directory.find(r);
      const id = s ? resourceId(s.metadata) : r;
      if (!ids.includes(id)) ids.push(id);
    }
    return ids;
  }
  if (typeof sub.spec?.segmentql === "string" && sub.spec.segmentql.trim() !== "") {
    const inline = directory.inlineOf(sub.metadata.name);
    if (inline) return [resourceId(inline.metadata)];
  }
  return [...(sub.status?.segmentIds ?? [])];
}

/** Whether the subscription listens to the segment a `?segment_id=` names (id or slug). */
export function listensTo(sub: Subscription, directory: SegmentDirectory, ref: string): boolean {
  const target = directory.find(ref);
  if (!target) return (sub.spec?.segments ?? []).includes(ref);
  const id = resourceId(target.metadata);
  return (
    resolvedSegmentIds(sub, directory).includes(id) || (sub.status?.segmentIds ?? []).includes(id)
  );
}

export function subscriptionView(
  sub: Subscription,
  directory: SegmentDirectory,
  secret: SecretData | undefined,
): SubscriptionView {
  const ids = resolvedSegmentIds(sub, directory);
  const created = sub.metadata.creationTimestamp ?? "";
  let segmentql = sub.spec?.segmentql ?? "";
  if (segmentql === "" && ids.length === 1) {
    const only = directory.find(ids[0]!);
    segmentql = only?.spec?.segmentql ?? "";
  }
  const st = sub.status;
  return {
    id: resourceId(sub.metadata),
    segment_ids: ids,
    segmentql,
    name: briefName(sub),
    description: sub.spec?.description ?? "",
    created,
    updated: sub.metadata.annotations?.[ANNOTATION.updatedAt] ?? created,
    user_id: sub.metadata.annotations?.[ANNOTATION.createdBy] ?? "",
    account_id: sub.metadata.namespace,
    workflow: `${sub.spec?.channel ?? "unknown"}_triggers`,
    resource_name: sub.metadata.name,
    config: configView(sub, secret),
    status: {
      ...readinessView(sub.metadata, st),
      delivered: st?.delivered ?? 0,
      failed: st?.failed ?? 0,
      dead_lettered: st?.deadLettered ?? 0,
      last_delivery_time: st?.lastDeliveryTime ?? null,
      last_error: st?.lastError ?? null,
      backfill: st?.backfill?.state ?? (sub.spec?.withBackfill ? "Pending" : "NotRequested"),
    },
  };
}
