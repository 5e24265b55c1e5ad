// Manifests that segwatch's validation (src/resources/validation.ts) and the CRD schemas must judge
// alike. The unit tier checks validation.ts and the CEL rules offline (src/resources/crd-rules.test.ts);
// the e2e tier sends each one to a real API server with a server-side dry run
// (test/e2e/crd-validation.test.ts) and checks the verdict and the message.

import type { ResourceKind } from "../../src/resources/types.ts";

export interface CrdCase {
  readonly name: string;
  readonly kind: ResourceKind;
  /** metadata.name; default "case". */
  readonly metadataName?: string;
  readonly spec: Record<string, unknown>;
  /** Whether the API server accepts it, and validation.ts finds nothing but SegmentQL syntax errors. */
  readonly valid: boolean;
  /**
   * Which part of the CRD rejects it: "cel" (x-kubernetes-validations, also checked offline) or
   * "schema" (types, enums, patterns, bounds: checked by the API server only).
   */
  readonly rejectedBy?: "cel" | "schema";
  /** A part of the API server's message for an invalid case. */
  readonly message?: string;
  /** Valid for the API server, yet validation.ts reports a SegmentQL syntax error (Ready=False). */
  readonly segmentqlError?: boolean;
}

const webhook = (extra: Record<string, unknown> = {}) => ({
  channel: "webhook",
  segments: ["demo-segment"],
  webhook: { url: "https://example.com/hook" },
  ...extra,
});

const secretRef = { name: "creds", key: "value" };

export const CRD_CASES: readonly CrdCase[] = [
  // ---- Subscription: accepted ----
  { name: "webhook with one segment", kind: "Subscription", spec: webhook(), valid: true },
  {
    name: "inline segmentql",
    kind: "Subscription",
    spec: {
      channel: "webhook",
      segmentql: 'FILTER plan = "pro"',
      webhook: { url: "http://127.0.0.1:8080/x" },
    },
    valid: true,
  },
  {
    name: "an empty segments list beside segmentql",
    kind: "Subscription",
    spec: {
      channel: "webhook",
      segments: [],
      segmentql: "FILTER x > 1",
      webhook: { url: "https://e.io" },
    },
    valid: true,
  },
  {
    name: "kinesis with the brief's 13-digit role ARN",
    kind: "Subscription",
    spec: {
      channel: "kinesis",
      segments: ["a", "b"],
      kinesis: {
        region: "us-east-1",
        stream: "triggers",
        roleArn: "arn:aws:iam::1234567890123:role/segwatch",
        credentialsSecretRef: { name: "aws" },
        endpoint: "http://127.0.0.1:4566",
      },
    },
    valid: true,
  },
  {
    name: "event hubs with a connection string Secret",
    kind: "Subscription",
    spec: {
      channel: "eventhub",
      segments: ["a"],
      eventHub: { eventHubName: "triggers", connectionStringSecretRef: secretRef },
    },
    valid: true,
  },
  {
    name: "pub/sub",
    kind: "Subscription",
    spec: {
      channel: "pubsub",
      segments: ["a"],
      pubsub: { projectId: "my-project", topic: "triggers", credentialsSecretRef: secretRef },
    },
    valid: true,
  },
  {
    name: "pub/sub with a topic of another project by its full name",
    kind: "Subscription",
    spec: {
      channel: "pubsub",
      segments: ["a"],
      pubsub: { projectId: "my-project", topic: "projects/other-project/topics/triggers" },
    },
    valid: true,
  },
  {
    name: "kinesis with an external id and its role",
    kind: "Subscription",
    spec: {
      channel: "kinesis",
      segments: ["a"],
      kinesis: {
        region: "us-east-1",
        stream: "s",
        roleArn: "arn:aws:iam::123456789012:role/segwatch",
        externalId: "x-1",
      },
    },
    valid: true,
  },
  {
    name: "backfill of one segment",
    kind: "Subscription",
    spec: webhook({ withBackfill: true }),
    valid: true,
  },
  {
    name: "backfill of an inline segment",
    kind: "Subscription",
    spec: {
      channel: "webhook",
      segmentql: "FILTER x > 1",
      withBackfill: true,
      webhook: { url: "https://e.io" },
    },
    valid: true,
  },
  {
    name: "delivery settings",
    kind: "Subscription",
    spec: webhook({
      events: ["exit"],
      fields: ["email"],
      delivery: {
        maxAttempts: 5,
        initialBackoff: "500ms",
        maxBackoff: "1h30m",
        timeout: "15s",
        maxInFlight: 8,
      },
    }),
    valid: true,
  },
  {
    name: "a zero initial backoff",
    kind: "Subscription",
    spec: webhook({ delivery: { initialBackoff: "0", maxBackoff: "1s" } }),
    valid: true,
  },
  {
    name: "headers and headers from Secrets",
    kind: "Subscription",
    spec: webhook({
      webhook: {
        url: "https://example.com/hook?x=1",
        headers: { "X-Api-Version": "2", best_number: "47" },
        headersFrom: [{ name: "Authorization", secretKeyRef: secretRef }],
        signingSecretRef: secretRef,
      },
    }),
    valid: true,
  },
  // ---- Subscription: rejected by CEL rules ----
  {
    name: "the webhook channel without its settings",
    kind: "Subscription",
    spec: { channel: "webhook", segments: ["a"] },
    valid: false,
    rejectedBy: "cel",
    message: "channel webhook needs its settings in spec.webhook",
  },
  {
    name: "another channel's settings",
    kind: "Subscription",
    spec: webhook({ kinesis: { region: "us-east-1", stream: "s" } }),
    valid: false,
    rejectedBy: "cel",
    message: "spec.kinesis is only allowed with channel kinesis",
  },
  {
    name: "kinesis with webhook settings instead",
    kind: "Subscription",
    spec: { channel: "kinesis", segments: ["a"], webhook: { url: "https://e.io" } },
    valid: false,
    rejectedBy: "cel",
    message: "channel kinesis needs its settings in spec.kinesis",
  },
  {
    name: "the event hubs channel without its settings",
    kind: "Subscription",
    spec: { channel: "eventhub", segments: ["a"] },
    valid: false,
    rejectedBy: "cel",
    message: "channel eventhub needs its settings in spec.eventHub",
  },
  {
    name: "event hubs settings on a pub/sub subscription",
    kind: "Subscription",
    spec: {
      channel: "pubsub",
      segments: ["a"],
      pubsub: { projectId: "my-project", topic: "triggers" },
      eventHub: { eventHubName: "h", connectionStringSecretRef: secretRef },
    },
    valid: false,
    rejectedBy: "cel",
    message: "spec.eventHub is only allowed with channel eventhub",
  },
  {
    name: "the pub/sub channel without its settings",
    kind: "Subscription",
    spec: { channel: "pubsub", segments: ["a"] },
    valid: false,
    rejectedBy: "cel",
    message: "channel pubsub needs its settings in spec.pubsub",
  },
  {
    name: "pub/sub settings on a webhook subscription",
    kind: "Subscription",
    spec: webhook({ pubsub: { projectId: "my-project", topic: "triggers" } }),
    valid: false,
    rejectedBy: "cel",
    message: "spec.pubsub is only allowed with channel pubsub",
  },
  {
    name: "both segments and segmentql",
    kind: "Subscription",
    spec: webhook({ segmentql: "FILTER x > 1" }),
    valid: false,
    rejectedBy: "cel",
    message: "give exactly one of spec.segments (a non-empty list) and spec.segmentql",
  },
  {
    name: "neither segments nor segmentql",
    kind: "Subscription",
    spec: { channel: "webhook", webhook: { url: "https://e.io" } },
    valid: false,
    rejectedBy: "cel",
    message: "give exactly one of spec.segments",
  },
  {
    name: "backfill of two segments",
    kind: "Subscription",
    spec: webhook({ segments: ["a", "b"], withBackfill: true }),
    valid: false,
    rejectedBy: "cel",
    message: "withBackfill needs exactly one segment",
  },
  {
    name: "an ftp webhook URL",
    kind: "Subscription",
    spec: webhook({ webhook: { url: "ftp://example.com/hook" } }),
    valid: false,
    rejectedBy: "cel",
    message: "webhook.url must be an http:// or https:// URL with a host",
  },
  {
    name: "a webhook URL that is no URL",
    kind: "Subscription",
    spec: webhook({ webhook: { url: "example.com/hook" } }),
    valid: false,
    rejectedBy: "cel",
    message: "webhook.url must be an http:// or https:// URL",
  },
  {
    name: "a webhook URL without a host",
    kind: "Subscription",
    spec: webhook({ webhook: { url: "https://" } }),
    valid: false,
    rejectedBy: "cel",
    message: "webhook.url must be an http:// or https:// URL",
  },
  {
    name: "a header name with a space",
    kind: "Subscription",
    spec: webhook({ webhook: { url: "https://e.io", headers: { "Bad Header": "x" } } }),
    valid: false,
    rejectedBy: "cel",
    message: "header names must be HTTP tokens",
  },
  {
    name: "a kinesis endpoint without a scheme",
    kind: "Subscription",
    spec: {
      channel: "kinesis",
      segments: ["a"],
      kinesis: { region: "us-east-1", stream: "s", endpoint: "localhost:4566" },
    },
    valid: false,
    rejectedBy: "cel",
    message: "kinesis.endpoint must be an http:// or https:// URL",
  },
  {
    name: "a kinesis external id without a role",
    kind: "Subscription",
    spec: {
      channel: "kinesis",
      segments: ["a"],
      kinesis: { region: "us-east-1", stream: "s", externalId: "x-1" },
    },
    valid: false,
    rejectedBy: "cel",
    message: "kinesis.externalId is only sent when a role is assumed",
  },
  {
    name: "a pub/sub topic id starting with goog",
    kind: "Subscription",
    spec: {
      channel: "pubsub",
      segments: ["a"],
      pubsub: { projectId: "my-project", topic: "projects/my-project/topics/GoogTriggers" },
    },
    valid: false,
    rejectedBy: "cel",
    message: "a topic id must not start with goog",
  },
  {
    name: "a max backoff below the initial one",
    kind: "Subscription",
    spec: webhook({ delivery: { initialBackoff: "1m", maxBackoff: "30s" } }),
    valid: false,
    rejectedBy: "cel",
    message: "delivery.maxBackoff must not be shorter than delivery.initialBackoff",
  },
  {
    name: "a zero timeout",
    kind: "Subscription",
    spec: webhook({ delivery: { timeout: "0s" } }),
    valid: false,
    rejectedBy: "cel",
    message: "delivery.timeout must be longer than 0",
  },
  // ---- Subscription: rejected by the structural schema ----
  {
    name: "a full topic name whose project is not a project id",
    kind: "Subscription",
    spec: {
      channel: "pubsub",
      segments: ["a"],
      pubsub: { projectId: "my-project", topic: "projects/My_Project/topics/triggers" },
    },
    valid: false,
    rejectedBy: "schema",
    message: "spec.pubsub.topic",
  },
  {
    name: "an unknown channel",
    kind: "Subscription",
    spec: webhook({ channel: "email" }),
    valid: false,
    rejectedBy: "schema",
    message: 'Unsupported value: "email"',
  },
  {
    name: "an unknown event",
    kind: "Subscription",
    spec: webhook({ events: ["enter", "bounce"] }),
    valid: false,
    rejectedBy: "schema",
    message: 'Unsupported value: "bounce"',
  },
  {
    name: "zero attempts",
    kind: "Subscription",
    spec: webhook({ delivery: { maxAttempts: 0 } }),
    valid: false,
    rejectedBy: "schema",
    message: "should be greater than or equal to 1",
  },
  {
    name: "attempts as a word",
    kind: "Subscription",
    spec: webhook({ delivery: { maxAttempts: "three" } }),
    valid: false,
    rejectedBy: "schema",
    message: "must be of type integer",
  },
  {
    name: "backfill as a string",
    kind: "Subscription",
    spec: webhook({ withBackfill: "yes" }),
    valid: false,
    rejectedBy: "schema",
    message: "must be of type boolean",
  },
  {
    name: "a duration in words",
    kind: "Subscription",
    spec: webhook({ delivery: { timeout: "10 seconds" } }),
    valid: false,
    rejectedBy: "schema",
    message: "spec.delivery.timeout",
  },
  {
    name: "a malformed role ARN",
    kind: "Subscription",
    spec: {
      channel: "kinesis",
      segments: ["a"],
      kinesis: { region: "us-east-1", stream: "s", roleArn: "segwatch-role" },
    },
    valid: false,
    rejectedBy: "schema",
    message: "spec.kinesis.roleArn",
  },
  {
    name: "a Secret reference without a key",
    kind: "Subscription",
    spec: webhook({ webhook: { url: "https://e.io", signingSecretRef: { name: "s" } } }),
    valid: false,
    rejectedBy: "schema",
    message: "spec.webhook.signingSecretRef.key: Required value",
  },
  {
    name: "event hubs without the connection string Secret",
    kind: "Subscription",
    spec: { channel: "eventhub", segments: ["a"], eventHub: { eventHubName: "h" } },
    valid: false,
    rejectedBy: "schema",
    message: "spec.eventHub.connectionStringSecretRef: Required value",
  },
  {
    name: "a header value with a line break",
    kind: "Subscription",
    spec: webhook({ webhook: { url: "https://e.io", headers: { "X-A": "a\r\nX-B: b" } } }),
    valid: false,
    rejectedBy: "schema",
    message: "spec.webhook.headers.X-A",
  },
  {
    name: "a blank region",
    kind: "Subscription",
    spec: { channel: "kinesis", segments: ["a"], kinesis: { region: " ", stream: "s" } },
    valid: false,
    rejectedBy: "schema",
    message: "spec.kinesis.region",
  },
  // ---- Segment ----
  {
    name: "a segment",
    kind: "Segment",
    spec: {
      description: "Paying users",
      segmentql: 'FILTER paying_user = "t" ALIAS paying',
      slug: "paying",
    },
    valid: true,
  },
  {
    name: "a segment whose SegmentQL does not parse",
    kind: "Segment",
    spec: { segmentql: "FILTER AND (" },
    valid: true,
    segmentqlError: true,
  },
  {
    name: "a blank segment",
    kind: "Segment",
    spec: { segmentql: "   " },
    valid: false,
    rejectedBy: "schema",
    message: "spec.segmentql",
  },
  {
    name: "a slug with a space",
    kind: "Segment",
    spec: { segmentql: "FILTER x > 1", slug: "Bad Slug" },
    valid: false,
    rejectedBy: "schema",
    message: "spec.slug",
  },
  // ---- ProfileSchema ----
  {
    name: "a profile schema",
    kind: "ProfileSchema",
    metadataName: "default",
    spec: {
      identityFields: ["user_id", "email"],
      fields: { last_visit: "time", scores: "map[string]int", n: " Integer " },
    },
    valid: true,
  },
  {
    name: "a profile schema not named default",
    kind: "ProfileSchema",
    metadataName: "other",
    spec: {},
    valid: false,
    rejectedBy: "cel",
    message: "a namespace has one ProfileSchema, and it is named default",
  },
  {
    name: "an unknown field type",
    kind: "ProfileSchema",
    metadataName: "default",
    spec: { fields: { a: "strnig" } },
    valid: false,
    rejectedBy: "cel",
    message: "unknown field type",
  },
  {
    name: "more declared fields than the schema allows",
    kind: "ProfileSchema",
    metadataName: "default",
    spec: {
      fields: Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`f${i}`, "string"])),
    },
    valid: false,
    rejectedBy: "schema",
    message: "spec.fields",
  },
  {
    name: "no identity fields",
    kind: "ProfileSchema",
    metadataName: "default",
    spec: { identityFields: [] },
    valid: false,
    rejectedBy: "schema",
    message: "spec.identityFields",
  },
];

/** The manifest of a case, in `namespace`. */
export function caseManifest(c: CrdCase, namespace: string): Record<string, unknown> {
  return {
    apiVersion: "segwatch.io/v1alpha1",
    kind: c.kind,
    metadata: { name: c.metadataName ?? "case", namespace },
    spec: c.spec,
  };
}
