// The JSON schemas of the REST bodies: one definition validates requests, serialises responses and
// becomes the OpenAPI document. Shared schemas are registered once (addSchema) and referenced by $id.

import { CHANNELS } from "../resources/types.ts";

/** The brief's success envelope: `{"status": 200, "message": "success", "data": …}`. */
export function envelope(data: object, description: string) {
  return {
    type: "object",
    description,
    required: ["status", "message", "data"],
    properties: {
      status: { type: "integer", description: "The HTTP status, repeated (the brief's style)." },
      message: { type: "string" },
      data,
    },
  } as const;
}

const condition = {
  type: "object",
  properties: {
    type: { type: "string" },
    status: { type: "string", enum: ["True", "False", "Unknown"] },
    reason: { type: "string" },
    message: { type: "string" },
    last_transition_time: { type: "string" },
  },
} as const;

/** Ready and its message, as the controller last reported it; "Pending" until it has seen this generation. */
const readiness = {
  ready: { type: "boolean" },
  state: {
    type: "string",
    enum: ["Ready", "NotReady", "Pending"],
    description: "Pending: the controller has not yet processed the latest change.",
  },
  reason: { type: "string" },
  message: { type: "string" },
  generation: { type: "integer" },
  observed_generation: { type: "integer" },
  conditions: { type: "array", items: condition },
} as const;

export const SEGMENT_SCHEMA_ID = "Segment";
export const SUBSCRIPTION_SCHEMA_ID = "Subscription";

export const segmentSchema = {
  $id: SEGMENT_SCHEMA_ID,
  type: "object",
  description: "A segment (a Segment resource).",
  properties: {
    id: { type: "string", description: "Stable id (32 hex digits)." },
    name: {
      type: "string",
      description: "The segment's slug: its ALIAS unless spec.slug says otherwise.",
    },
    slug: { type: "string" },
    segmentql: { type: "string" },
    description: { type: "string" },
    resource_name: { type: "string", description: "metadata.name of the Segment resource." },
    account_id: { type: "string", description: "The namespace." },
    created: { type: "string" },
    updated: { type: "string" },
    status: {
      type: "object",
      properties: {
        ...readiness,
        members: { type: "integer" },
        fields: { type: "array", items: { type: "string" } },
        time_dependent: { type: "boolean" },
      },
    },
  },
} as const;

const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;
const stringList = { type: "array", items: { type: "string" } } as const;

/** The brief's subscription fields, plus the settings of the channels it does not show. */
const subscriptionFields = {
  channel: { type: "string", description: `One of ${CHANNELS.join(", ")}.` },
  name: { type: "string", description: "Upsert key; stored as a resource name made from it." },
  description: { type: "string" },
  segment_ids: { ...stringList, description: "Segments by id, slug or name." },
  segmentql: { type: "string", description: "An inline segment (instead of segment_ids)." },
  withbackfill: {
    type: "boolean",
    description: "Fire enter for every current member at submission (one segment only).",
  },
  events: {
    type: "array",
    items: { type: "string", enum: ["enter", "exit"] },
    description: "Transitions to deliver (default both).",
  },
  fields: { ...stringList, description: "Profile fields in the payload (default all)." },
  webhook_url: { type: "string", description: "webhook: the URL to POST to." },
  headers: { ...stringMap, description: "webhook: headers sent with every request." },
  segmentio_writekey: {
    type: "string",
    description: "webhook: also send an identify call to Segment with this write key.",
  },
  region: { type: "string", description: "kinesis: AWS region." },
  stream: { type: "string", description: "kinesis: stream name." },
  role_arn: { type: "string", description: "kinesis: IAM role to assume." },
  identifier_field: {
    type: "string",
    description: "kinesis: profile field used as partition key.",
  },
  external_id: { type: "string", description: "kinesis: external id for the assume-role call." },
  endpoint: { type: "string", description: "kinesis: endpoint override (local servers)." },
  eventhub_name: {
    type: "string",
    description:
      "eventhub: the event hub (may be left out when the connection string has an EntityPath).",
  },
  connection_string: {
    type: "string",
    description: "eventhub: the namespace's or hub's connection string (stored in a Secret).",
  },
  partition_key_field: {
    type: "string",
    description: "eventhub: profile field used as partition key (default: the user's identity).",
  },
  project_id: { type: "string", description: "pubsub: Google Cloud project." },
  topic: { type: "string", description: "pubsub: topic." },
  credentials_json: { type: "string", description: "pubsub: service account key (JSON)." },
  ordering_key_field: {
    type: "string",
    description: "pubsub: profile field used as ordering key.",
  },
} as const;

export type SubscriptionField = keyof typeof subscriptionFields;
export const SUBSCRIPTION_FIELDS = Object.keys(subscriptionFields) as SubscriptionField[];

export const subscriptionBodySchema = {
  type: "object",
  description:
    "The brief's subscription JSON. Unknown fields are rejected, so that a typo cannot silently do nothing.",
  required: ["channel", "name"],
  additionalProperties: false,
  properties: subscriptionFields,
} as const;

export const subscriptionSchema = {
  $id: SUBSCRIPTION_SCHEMA_ID,
  type: "object",
  description: "A subscription (a Subscription resource), in the brief's shape plus its status.",
  properties: {
    id: {
      type: "string",
      description: "Stable id (32 hex digits); meta.subscription_id in payloads.",
    },
    segment_ids: {
      ...stringList,
      description: "Resolved segment ids (a reference that resolves to nothing stays as given).",
    },
    segmentql: { type: "string" },
    name: { type: "string" },
    description: { type: "string" },
    created: { type: "string" },
    updated: { type: "string" },
    user_id: { type: "string", description: "Fingerprint of the API token that created it." },
    account_id: { type: "string", description: "The namespace." },
    workflow: { type: "string" },
    resource_name: { type: "string", description: "metadata.name of the Subscription resource." },
    config: { type: "object", properties: subscriptionFields },
    status: {
      type: "object",
      properties: {
        ...readiness,
        delivered: { type: "integer" },
        failed: { type: "integer" },
        dead_lettered: { type: "integer" },
        last_delivery_time: { type: ["string", "null"] },
        last_error: { type: ["string", "null"] },
        backfill: {
          type: "string",
          description: "NotRequested, Pending, Running, Complete or Failed.",
        },
      },
    },
  },
} as const;

export const segmentRef = { $ref: `${SEGMENT_SCHEMA_ID}#` } as const;
export const subscriptionRef = { $ref: `${SUBSCRIPTION_SCHEMA_ID}#` } as const;

/** Path parameter `:id` of the single-resource routes. */
export const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, description: "Id, slug or name." } },
} as const;
