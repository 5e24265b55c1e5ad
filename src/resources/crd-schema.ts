// The one source of the segwatch.io CustomResourceDefinitions: the OpenAPI schemas (with a
// description on every field and the CEL rules), printer columns and names. `npm run gen:crds`
// renders crds/*.yaml from here; crd-files.test.ts fails when those files drift, and the
// compile-time checks at the bottom fail `npm run typecheck` when these schemas and the types of
// types.ts stop describing the same shape. The rules mirror validation.ts (crd-rules.test.ts checks
// both on the same cases), so a manifest the API server accepts is one segwatch accepts too, apart
// from what only segwatch can judge (SegmentQL syntax, segment references).

import { FIELD_TYPE_ALIASES, FIELD_TYPES } from "../segmentql/values.ts";
import { AWS_REGION_RE, KINESIS_STREAM_ARN_RE, KINESIS_STREAM_NAME_RE } from "./aws-names.ts";
import {
  DURATION_PATTERN,
  HEADER_NAME_PATTERN,
  HTTP_URL_PATTERN,
  LIMITS,
  NON_BLANK_PATTERN,
  ROLE_ARN_PATTERN,
  SLUG_PATTERN,
} from "./field-rules.ts";
import { PROJECT_ID_RE, TOPIC_ID_RE } from "./pubsub-names.ts";
import {
  array,
  boolean,
  enumOf,
  integer,
  type JSONSchemaProps,
  nullable,
  object,
  type SameShape,
  type Schema,
  string,
  stringMap,
  type TypeOf,
  type ValidationRule,
} from "./schema-builder.ts";
import {
  API_GROUP,
  type Condition,
  PROFILE_SCHEMA_NAME,
  type ProfileSchemaSpec,
  type ProfileSchemaStatus,
  type ResourceKind,
  type SegmentSpec,
  type SegmentStatus,
  type SubscriptionSpec,
  type SubscriptionStatus,
} from "./types.ts";

export const CRD_VERSION = "v1alpha1";
export const CRD_CATEGORY = "segwatch";

// ---- shared pieces --------------------------------------------------------------------------------

/** A CEL string literal (single-quoted) holding `text`. */
export function celString(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

const nonBlank = (description: string) => string(description, { pattern: NON_BLANK_PATTERN });

const observedGeneration = () =>
  integer("The metadata.generation this status describes.", { format: "int64", minimum: 0 });

const counter = (description: string) => integer(description, { format: "int64", minimum: 0 });

const timestamp = (description: string) => string(description, { format: "date-time" });

const secretKeyRef = (description: string) =>
  object(description, {
    required: {
      name: string(
        "Name of a Secret in the same namespace as this resource (a DNS subdomain name).",
        { pattern: NON_BLANK_PATTERN },
      ),
      key: string("The key within the Secret's data whose value is used.", {
        pattern: NON_BLANK_PATTERN,
      }),
    },
  });

const condition = object(
  "A condition in the standard metav1.Condition shape: one aspect of the resource's state at observedGeneration.",
  {
    required: {
      type: string(
        "The aspect this condition reports on, in CamelCase (Ready, SegmentsResolved, …).",
        {
          maxLength: 316,
          pattern:
            "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
        },
      ),
      status: enumOf("Whether the condition holds: True, False or Unknown.", [
        "True",
        "False",
        "Unknown",
      ] as const),
      reason: string("Why the condition has its status, as a CamelCase identifier for programs.", {
        minLength: 1,
        maxLength: 1024,
        pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
      }),
      message: string("Why the condition has its status, in words for people.", {
        maxLength: 32768,
      }),
      lastTransitionTime: timestamp("When the status last changed."),
      observedGeneration: integer("The metadata.generation the condition was computed from.", {
        format: "int64",
        minimum: 0,
      }),
    },
  },
);

const conditions = (description: string) =>
  array(description, condition, { listType: "map", listMapKeys: ["type"], maxItems: 16 });

/** Printer column JSONPath of a condition's field. */
const conditionPath = (type: string, field: "status" | "message" | "reason") =>
  `.status.conditions[?(@.type=="${type}")].${field}`;

// ---- Segment --------------------------------------------------------------------------------------

export const segmentSpecSchema = object(
  "The desired state of a Segment: its SegmentQL definition.",
  {
    required: {
      segmentql: string(
        "The SegmentQL statement (FILTER … or SELECT … WHERE …, optionally FROM user and ALIAS <slug>) that decides membership. Syntax errors show in the Ready condition with their line:column.",
        {
          minLength: 1,
          pattern: NON_BLANK_PATTERN,
        },
      ),
    },
    optional: {
      description: string("Free text describing the audience, shown by the REST API."),
      slug: string(
        "The name INCLUDE statements and the REST API use for this segment. Defaults to the statement's ALIAS, else metadata.name.",
        { pattern: SLUG_PATTERN },
      ),
    },
  },
);

export const segmentStatusSchema = object(
  "The observed state of a Segment, written by the controller.",
  {
    optional: {
      observedGeneration: observedGeneration(),
      id: string("The segment's id in the REST API (its uid without dashes, 32 hex characters)."),
      slug: string(
        "The slug in effect: spec.slug, else the statement's ALIAS, else metadata.name.",
      ),
      fields: array(
        "The profile fields the segment reads, INCLUDEd segments expanded; events that change none of them skip this segment.",
        string("A profile field name."),
      ),
      timeDependent: boolean(
        'True when membership can change with time alone (date math such as "now-7d", time functions); such segments are re-evaluated on a timer.',
      ),
      members: counter("Current number of members, as reported by the evaluators."),
      conditions: conditions("Ready: the statement compiled and its INCLUDEs resolved."),
    },
  },
);

// ---- Subscription ---------------------------------------------------------------------------------

const webhookSchema = object(
  "Settings of the webhook channel: entries and exits are POSTed as JSON (the v2 array format), signed with Standard Webhooks headers.",
  {
    required: {
      url: string("The http(s) URL the payload is POSTed to.", {
        rules: [
          {
            rule: `self.matches(${celString(HTTP_URL_PATTERN)})`,
            message: "webhook.url must be an http:// or https:// URL with a host",
          },
        ],
      }),
    },
    optional: {
      headers: stringMap(
        "Headers sent with every request, for values that are not secret; put secrets in headersFrom.",
        string("The header's value (a single line).", {
          pattern: "^[^\\r\\n]*$",
        }),
        {
          rules: [
            {
              rule: `self.all(name, name.matches(${celString(HEADER_NAME_PATTERN)}))`,
              message: "header names must be HTTP tokens (letters, digits and !#$%&'*+.^_`|~-)",
            },
          ],
        },
      ),
      headersFrom: array(
        "Headers whose values come from Secrets (an Authorization token, an API key).",
        object("A header whose value is read from a Secret.", {
          required: {
            name: string("The header's name.", { pattern: HEADER_NAME_PATTERN }),
            secretKeyRef: secretKeyRef("The Secret key holding the header's value."),
          },
        }),
      ),
      signingSecretRef: secretKeyRef(
        'The Standard Webhooks signing secret ("whsec_…" or raw bytes). When absent the controller generates one in the Secret <name>-signing.',
      ),
      segmentioWriteKeyRef: secretKeyRef(
        "A Segment (segment.com) write key: when given, each change is also sent as an identify call to Segment's tracking API.",
      ),
    },
  },
);

const kinesisSchema = object(
  "Settings of the AWS Kinesis channel: one record per change.",
  {
    required: {
      region: string("The AWS region of the stream (us-east-1).", {
        pattern: AWS_REGION_RE.source,
      }),
      stream: string("The Kinesis data stream: its name, or its ARN.", {
        pattern: `${KINESIS_STREAM_NAME_RE.source}|${KINESIS_STREAM_ARN_RE.source}`,
      }),
    },
    optional: {
      roleArn: string(
        "An IAM role to assume for writing to the stream (arn:aws:iam::<account>:role/<name>).",
        { pattern: ROLE_ARN_PATTERN },
      ),
      externalId: string("The external id the role's trust policy requires, if any."),
      identifierField: nonBlank(
        "The profile field used as the record's partition key; falls back to the user's identity.",
      ),
      credentialsSecretRef: object(
        "A Secret with AWS credentials (keys AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optionally AWS_SESSION_TOKEN). Without it the delivery process's own AWS identity is used.",
        { required: { name: nonBlank("Name of a Secret in the same namespace.") } },
      ),
      endpoint: string(
        "An endpoint URL overriding AWS's (for Kinesis-compatible servers such as LocalStack).",
        {
          rules: [
            {
              rule: `self.matches(${celString(HTTP_URL_PATTERN)})`,
              message: "kinesis.endpoint must be an http:// or https:// URL with a host",
            },
          ],
        },
      ),
    },
  },
  {
    rules: [
      {
        rule: "!has(self.externalId) || has(self.roleArn)",
        message:
          "kinesis.externalId is only sent when a role is assumed: give kinesis.roleArn as well",
        fieldPath: ".externalId",
      },
    ],
  },
);

const eventHubSchema = object("Settings of the Azure Event Hubs channel: one event per change.", {
  required: {
    connectionStringSecretRef: secretKeyRef(
      "The Secret key holding the namespace's or the hub's connection string (Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…[;EntityPath=<hub>]).",
    ),
  },
  optional: {
    eventHubName: nonBlank(
      "The event hub to send to; may be left out when the connection string has an EntityPath (when both are given they must agree).",
    ),
    partitionKeyField: string(
      "The profile field used as the partition key; falls back to the user's identity.",
    ),
  },
});

const pubsubSchema = object(
  "Settings of the Google Cloud Pub/Sub channel: one message per change.",
  {
    required: {
      projectId: string("The Google Cloud project of the topic.", {
        pattern: PROJECT_ID_RE.source,
      }),
      topic: string(
        "The topic: its id in projectId, or its full name projects/<project>/topics/<id>.",
        {
          pattern: `^(?:projects/${PROJECT_ID_RE.source.slice(1, -1)}/topics/)?${TOPIC_ID_RE.source.slice(1)}`,
          rules: [
            {
              // Google keeps topic ids starting with "goog" (any case) for itself.
              rule: "!self.matches('^(projects/[^/]+/topics/)?[gG][oO][oO][gG]')",
              message: "pubsub.topic: a topic id must not start with goog (Google keeps those)",
            },
          ],
        },
      ),
    },
    optional: {
      credentialsSecretRef: secretKeyRef(
        "The Secret key holding a service account key (JSON). Without it the delivery process's own Google identity is used.",
      ),
      orderingKeyField: nonBlank(
        "The profile field used as the ordering key, so each user's changes arrive in order.",
      ),
    },
  },
);

const duration = (description: string) =>
  string(`${description} A Go duration: 500ms, 1s, 10m, 1h30m.`, {
    pattern: DURATION_PATTERN,
  });

/** CEL: true when the field is not a well-formed duration (the rule then defers to the pattern). */
const notADuration = (field: string) => `!${field}.matches(${celString(DURATION_PATTERN)})`;

const deliverySchema = object(
  "How the channel's delivery process retries; omitted fields take the controller's defaults.",
  {
    optional: {
      maxAttempts: integer(
        "Attempts per message before it goes to the dead-letter queue (SEGWATCH_DLQ).",
        { minimum: 1, maximum: 100 },
      ),
      initialBackoff: duration("Wait before the first retry; doubles with each further attempt."),
      maxBackoff: duration("The longest wait between two attempts."),
      timeout: duration("Time limit of one delivery request."),
      maxInFlight: integer(
        "Requests in flight per subscription; a user's changes are still delivered in order.",
        { minimum: 1, maximum: 1000 },
      ),
    },
  },
  {
    rules: [
      {
        // Malformed durations are left to the pattern's message. A bare "0" is valid Go but not every
        // CEL implementation's duration(), so it is compared as text.
        rule: `!has(self.initialBackoff) || !has(self.maxBackoff) || ${notADuration("self.initialBackoff")} || ${notADuration("self.maxBackoff")} || self.initialBackoff == '0' || (self.maxBackoff != '0' && duration(self.maxBackoff) >= duration(self.initialBackoff))`,
        message: "delivery.maxBackoff must not be shorter than delivery.initialBackoff",
        fieldPath: ".maxBackoff",
      },
      {
        rule: `!has(self.timeout) || ${notADuration("self.timeout")} || (self.timeout != '0' && duration(self.timeout) > duration('0s'))`,
        message: "delivery.timeout must be longer than 0",
        fieldPath: ".timeout",
      },
    ],
  },
);

/** The spec field holding each channel's settings. */
export const CHANNEL_BLOCKS = {
  webhook: "webhook",
  kinesis: "kinesis",
  eventhub: "eventHub",
  pubsub: "pubsub",
} as const;

function channelBlockRules(): ValidationRule[] {
  return Object.entries(CHANNEL_BLOCKS).flatMap(([channel, block]): ValidationRule[] => [
    {
      rule: `self.channel != '${channel}' || has(self.${block})`,
      message: `channel ${channel} needs its settings in spec.${block}`,
      fieldPath: `.${block}`,
      reason: "FieldValueRequired",
    },
    {
      rule: `self.channel == '${channel}' || !has(self.${block})`,
      message: `spec.${block} is only allowed with channel ${channel}`,
      fieldPath: `.${block}`,
      reason: "FieldValueForbidden",
    },
  ]);
}

export const subscriptionSpecSchema = object(
  "The desired state of a Subscription: which segments' entries and exits go where.",
  {
    required: {
      channel: enumOf(
        "Where changes are delivered; the settings block of the same name (webhook, kinesis, eventHub, pubsub) is required and the others are forbidden.",
        ["webhook", "kinesis", "eventhub", "pubsub"] as const,
      ),
    },
    optional: {
      description: string("Free text, shown by the REST API."),
      segments: array(
        "The segments to watch, each by metadata.name, slug or id. Exactly one of segments and segmentql.",
        nonBlank("A segment's metadata.name, slug or id."),
      ),
      segmentql: string(
        "An inline segment: a SegmentQL statement the controller turns into a Segment owned by this subscription. Exactly one of segments and segmentql.",
        { pattern: NON_BLANK_PATTERN },
      ),
      withBackfill: boolean(
        "Send an enter for every current member when the subscription is created, then the live changes (one segment only).",
      ),
      events: array(
        "Which transitions to deliver; both when omitted.",
        enumOf("A transition: enter or exit.", ["enter", "exit"] as const),
        { minItems: 1 },
      ),
      fields: array(
        "The profile fields included in each payload; all fields when omitted or empty.",
        nonBlank("A profile field name."),
      ),
      webhook: webhookSchema,
      kinesis: kinesisSchema,
      eventHub: eventHubSchema,
      pubsub: pubsubSchema,
      delivery: deliverySchema,
    },
  },
  {
    rules: [
      {
        rule: "(has(self.segments) && size(self.segments) > 0) != has(self.segmentql)",
        message: "give exactly one of spec.segments (a non-empty list) and spec.segmentql",
      },
      {
        rule: "!has(self.withBackfill) || !self.withBackfill || !has(self.segments) || size(self.segments) <= 1",
        message: "withBackfill needs exactly one segment: one entry in segments, or segmentql",
        fieldPath: ".withBackfill",
      },
      ...channelBlockRules(),
    ],
  },
);

const backfillSchema = object("Progress of the backfill asked for with spec.withBackfill.", {
  required: {
    state: enumOf("NotRequested, Pending, Running, Complete or Failed.", [
      "NotRequested",
      "Pending",
      "Running",
      "Complete",
      "Failed",
    ] as const),
  },
  optional: {
    requestedAt: timestamp(
      "When the backfill was asked for: it sends the segment's members as of this instant.",
    ),
    startedAt: timestamp("When the evaluators started sending it."),
    completedAt: timestamp("When the last member's enter was published."),
    members: counter("How many members the backfill sent."),
  },
});

export const subscriptionStatusSchema = object(
  "The observed state of a Subscription, written by the controller.",
  {
    optional: {
      observedGeneration: observedGeneration(),
      id: string(
        "The subscription's id in the REST API, also meta.subscription_id in every payload.",
      ),
      segmentIds: array(
        "The ids of the segments spec.segments resolved to.",
        string("A segment id."),
      ),
      delivered: counter("Messages delivered successfully."),
      failed: counter("Delivery attempts that failed (each retry counts)."),
      deadLettered: counter(
        "Messages that went to the dead-letter queue after their last attempt.",
      ),
      lastDeliveryTime: nullable(timestamp("When the last message was delivered.")),
      lastError: nullable(string("The last delivery error, if any.")),
      backfill: backfillSchema,
      conditions: conditions(
        "Ready (the summary), SegmentsResolved, DeliveryReady and Backfilled.",
      ),
    },
  },
);

// ---- ProfileSchema --------------------------------------------------------------------------------

/** Every spelling of a field type that parseFieldType accepts, case aside. */
const FIELD_TYPE_SPELLINGS = [...FIELD_TYPES, ...Object.keys(FIELD_TYPE_ALIASES)];
const FIELD_TYPE_PATTERN = `^\\s*(?i:${FIELD_TYPE_SPELLINGS.map((t) => t.replace(/[[\]]/g, "\\$&")).join("|")})\\s*$`;

export const profileSchemaSpecSchema = object(
  "How a namespace's events become profiles: which fields identify a user, and the types of fields.",
  {
    optional: {
      identityFields: array(
        "Fields that identify a user, in priority order: the first one present in an event keys the profile. Default [user_id].",
        nonBlank("A field name."),
        { minItems: 1 },
      ),
      fields: stringMap(
        "Declared field types; undeclared fields take their type from JSON. A date compares as a date only in a field typed time.",
        string(
          "The field's type: string, int, number, bool, time, []string, []time, []value or map[string]<type>.",
          { maxLength: LIMITS.fieldTypeLength },
        ),
        {
          maxProperties: LIMITS.schemaFields,
          rules: [
            {
              rule: `self.all(f, self[f].matches(${celString(FIELD_TYPE_PATTERN)}))`,
              message:
                "unknown field type; expected string, int, number, bool, time, []string, []time, []value or map[string]<type>",
            },
          ],
        },
      ),
    },
  },
);

export const profileSchemaStatusSchema = object(
  "The observed state of a ProfileSchema, written by the controller.",
  {
    optional: {
      observedGeneration: observedGeneration(),
      conditions: conditions("Ready: the schema is valid and in effect for the namespace."),
    },
  },
);

// ---- the CRDs -------------------------------------------------------------------------------------

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "date" | "boolean" | "number";
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface CrdDefinition {
  kind: ResourceKind;
  plural: string;
  singular: string;
  shortNames: string[];
  /** What a resource of this kind is, for `kubectl explain`. */
  description: string;
  spec: Schema<unknown>;
  status: Schema<unknown>;
  /** Rules on the whole object (they may read metadata.name). */
  rootRules: ValidationRule[];
  columns: PrinterColumn[];
}

const readyColumn: PrinterColumn = {
  name: "Ready",
  type: "string",
  jsonPath: conditionPath("Ready", "status"),
  description: "The Ready condition's status.",
};
const messageColumn: PrinterColumn = {
  name: "Message",
  type: "string",
  jsonPath: conditionPath("Ready", "message"),
  description: "The Ready condition's message.",
  priority: 1,
};
const ageColumn: PrinterColumn = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description: "Time since the resource was created.",
};

export const CRD_DEFINITIONS: readonly CrdDefinition[] = [
  {
    kind: "Segment",
    plural: "segments",
    singular: "segment",
    shortNames: ["seg"],
    description:
      "A Segment is an audience defined in SegmentQL; its members' entries and exits drive Subscriptions.",
    spec: segmentSpecSchema,
    status: segmentStatusSchema,
    rootRules: [],
    columns: [
      readyColumn,
      {
        name: "Slug",
        type: "string",
        jsonPath: ".status.slug",
        description: "The slug in effect.",
      },
      {
        name: "Members",
        type: "integer",
        jsonPath: ".status.members",
        description: "Current number of members.",
      },
      messageColumn,
      ageColumn,
    ],
  },
  {
    kind: "Subscription",
    plural: "subscriptions",
    singular: "subscription",
    // Never "sub"/"subs": OLM, Knative and Open Cluster Management have Subscription kinds too.
    shortNames: ["segsub"],
    description:
      "A Subscription delivers the entries and exits of segments to a webhook, AWS Kinesis, Azure Event Hubs or Google Pub/Sub.",
    spec: subscriptionSpecSchema,
    status: subscriptionStatusSchema,
    rootRules: [],
    columns: [
      readyColumn,
      {
        name: "Channel",
        type: "string",
        jsonPath: ".spec.channel",
        description: "Where changes are delivered.",
      },
      {
        name: "Segments",
        type: "string",
        jsonPath: ".spec.segments",
        description: "The segments watched (empty for an inline segmentql).",
      },
      {
        name: "Delivered",
        type: "integer",
        jsonPath: ".status.delivered",
        description: "Messages delivered successfully.",
      },
      {
        name: "Dead-Lettered",
        type: "integer",
        jsonPath: ".status.deadLettered",
        description: "Messages sent to the dead-letter queue.",
        priority: 1,
      },
      messageColumn,
      ageColumn,
    ],
  },
  {
    kind: "ProfileSchema",
    plural: "profileschemas",
    singular: "profileschema",
    shortNames: [],
    description:
      "A ProfileSchema declares how a namespace's events become profiles: identity fields and field types. One per namespace, named default.",
    spec: profileSchemaSpecSchema,
    status: profileSchemaStatusSchema,
    rootRules: [
      {
        rule: `self.metadata.name == '${PROFILE_SCHEMA_NAME}'`,
        message: `a namespace has one ProfileSchema, and it is named ${PROFILE_SCHEMA_NAME}`,
      },
    ],
    columns: [
      readyColumn,
      {
        name: "Identity",
        type: "string",
        jsonPath: ".spec.identityFields",
        description: "Fields that identify a user, in priority order.",
      },
      messageColumn,
      ageColumn,
    ],
  },
];

/** The OpenAPI schema of a whole resource of `def`'s kind. */
export function resourceSchema(def: CrdDefinition): JSONSchemaProps {
  const root: JSONSchemaProps = {
    type: "object",
    description: def.description,
    required: ["spec"],
    properties: {
      apiVersion: {
        type: "string",
        description: `The versioned schema of this representation of an object: ${API_GROUP}/${CRD_VERSION}.`,
      },
      kind: {
        type: "string",
        description: `The REST resource this object represents: ${def.kind}.`,
      },
      // The API server refuses anything but a type here: metadata's schema is built in.
      metadata: { type: "object" },
      spec: def.spec.json,
      status: def.status.json,
    },
  };
  if (def.rootRules.length > 0) root["x-kubernetes-validations"] = def.rootRules;
  return root;
}

/** The apiextensions.k8s.io/v1 CustomResourceDefinition object for `def`. */
export function customResourceDefinition(def: CrdDefinition): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${def.plural}.${API_GROUP}` },
    spec: {
      group: API_GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        ...(def.shortNames.length > 0 ? { shortNames: def.shortNames } : {}),
        categories: [CRD_CATEGORY],
      },
      scope: "Namespaced",
      versions: [
        {
          name: CRD_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.columns,
          schema: { openAPIV3Schema: resourceSchema(def) },
        },
      ],
    },
  };
}

// ---- compile-time agreement with types.ts ---------------------------------------------------------

type Agrees<Schema, Declared> = SameShape<TypeOf<Schema>, Declared>;
// Each line fails to compile ("Type 'true' is not assignable to type 'false'") when a schema and its
// declared type differ in a field's name, type or optionality.
export const SCHEMAS_MATCH_TYPES: {
  condition: Agrees<typeof condition, Condition>;
  segmentSpec: Agrees<typeof segmentSpecSchema, SegmentSpec>;
  segmentStatus: Agrees<typeof segmentStatusSchema, SegmentStatus>;
  subscriptionSpec: Agrees<typeof subscriptionSpecSchema, SubscriptionSpec>;
  subscriptionStatus: Agrees<typeof subscriptionStatusSchema, SubscriptionStatus>;
  profileSchemaSpec: Agrees<typeof profileSchemaSpecSchema, ProfileSchemaSpec>;
  profileSchemaStatus: Agrees<typeof profileSchemaStatusSchema, ProfileSchemaStatus>;
} = {
  condition: true,
  segmentSpec: true,
  segmentStatus: true,
  subscriptionSpec: true,
  subscriptionStatus: true,
  profileSchemaSpec: true,
  profileSchemaStatus: true,
};
