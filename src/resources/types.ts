// The segwatch.io/v1alpha1 resources: Segment, Subscription, ProfileSchema. The same documents are
// YAML manifests in a folder (`segwatch dev`) and custom resources on a cluster; the REST API maps the
// brief's JSON onto them. Field documentation here is the contract (the CRDs repeat it).

export const API_GROUP = "segwatch.io";
export const API_VERSION = "segwatch.io/v1alpha1";

export type ResourceKind = "Segment" | "Subscription" | "ProfileSchema";
export const RESOURCE_KINDS: readonly ResourceKind[] = ["Segment", "Subscription", "ProfileSchema"];

/** The namespace used when a manifest names none (a Kubernetes namespace is an account). */
export const DEFAULT_NAMESPACE = "default";
/** The one ProfileSchema of a namespace has this name. */
export const PROFILE_SCHEMA_NAME = "default";

export interface ObjectMeta {
  name: string;
  namespace: string;
  /** Stable identity; the REST API's id is this without dashes. */
  uid?: string;
  /** Increments whenever the spec changes. */
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  /** CamelCase, machine-readable. */
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration: number;
}

// ---- Segment ------------------------------------------------------------------------------------

export interface SegmentSpec {
  /** Free text. */
  description?: string;
  /** The SegmentQL statement (FILTER or SELECT … WHERE). */
  segmentql: string;
  /** The slug INCLUDE and the REST API use; defaults to the statement's ALIAS, else metadata.name. */
  slug?: string;
}

export interface SegmentStatus {
  observedGeneration?: number;
  /** The id the REST API shows (32 hex characters). */
  id?: string;
  slug?: string;
  /** Profile fields the segment reads, INCLUDEs expanded. */
  fields?: string[];
  /** True when membership can change with time alone (date math, time functions). */
  timeDependent?: boolean;
  /** Current members, from the evaluators. */
  members?: number;
  /** Ready. */
  conditions?: Condition[];
}

export interface Segment {
  apiVersion: typeof API_VERSION;
  kind: "Segment";
  metadata: ObjectMeta;
  spec: SegmentSpec;
  status?: SegmentStatus;
}

// ---- Subscription -------------------------------------------------------------------------------

export type Channel = "webhook" | "kinesis" | "eventhub" | "pubsub";
export const CHANNELS: readonly Channel[] = ["webhook", "kinesis", "eventhub", "pubsub"];

export type TriggerEvent = "enter" | "exit";

export interface SecretKeyRef {
  /** A Secret in the subscription's namespace. */
  name: string;
  key: string;
}

export interface WebhookConfig {
  /** http(s) URL the payload is POSTed to. */
  url: string;
  /** Headers sent with every request (non-secret values). */
  headers?: Record<string, string>;
  /** Headers whose values come from Secrets. */
  headersFrom?: { name: string; secretKeyRef: SecretKeyRef }[];
  /** The Standard Webhooks signing secret ("whsec_…" or raw); generated when absent. */
  signingSecretRef?: SecretKeyRef;
  /** Also send an identify call to Segment's tracking API with this write key. */
  segmentioWriteKeyRef?: SecretKeyRef;
}

export interface KinesisConfig {
  region: string;
  stream: string;
  roleArn?: string;
  externalId?: string;
  /** Profile field used as the partition key; falls back to the user's identity. */
  identifierField?: string;
  credentialsSecretRef?: { name: string };
  /** Endpoint override (local Kinesis-compatible servers). */
  endpoint?: string;
}

export interface EventHubConfig {
  /** The hub; may be left out when the connection string carries an EntityPath (they must agree). */
  eventHubName?: string;
  connectionStringSecretRef: SecretKeyRef;
  partitionKeyField?: string;
}

export interface PubSubConfig {
  projectId: string;
  topic: string;
  credentialsSecretRef?: SecretKeyRef;
  orderingKeyField?: string;
}

export interface DeliverySettings {
  /** Attempts before a message goes to the dead-letter queue. */
  maxAttempts?: number;
  /** Go-style durations: "1s", "10m". */
  initialBackoff?: string;
  maxBackoff?: string;
  /** Per-request timeout. */
  timeout?: string;
  /** Requests in flight per subscription (per-user order is kept regardless). */
  maxInFlight?: number;
}

export interface SubscriptionSpec {
  channel: Channel;
  description?: string;
  /** Segments by name, slug or id. Exactly one of segments / segmentql. */
  segments?: string[];
  /** An inline segment, owned by this subscription. */
  segmentql?: string;
  /** Fire `enter` for every current member when the subscription is created (one segment only). */
  withBackfill?: boolean;
  /** Which transitions to deliver (default both). */
  events?: TriggerEvent[];
  /** Profile fields in the payload; empty means all. */
  fields?: string[];
  webhook?: WebhookConfig;
  kinesis?: KinesisConfig;
  eventHub?: EventHubConfig;
  pubsub?: PubSubConfig;
  delivery?: DeliverySettings;
}

export type BackfillState = "NotRequested" | "Pending" | "Running" | "Complete" | "Failed";

export interface SubscriptionStatus {
  observedGeneration?: number;
  /** The REST API's id, also meta.subscription_id in payloads. */
  id?: string;
  /** Resolved segment ids. */
  segmentIds?: string[];
  delivered?: number;
  failed?: number;
  deadLettered?: number;
  lastDeliveryTime?: string | null;
  lastError?: string | null;
  backfill?: {
    state: BackfillState;
    /** When the backfill was asked for: "current members" means members at this instant. */
    requestedAt?: string;
    startedAt?: string;
    completedAt?: string;
    members?: number;
  };
  /** Ready, SegmentsResolved, DeliveryReady, Backfilled. */
  conditions?: Condition[];
}

export interface Subscription {
  apiVersion: typeof API_VERSION;
  kind: "Subscription";
  metadata: ObjectMeta;
  spec: SubscriptionSpec;
  status?: SubscriptionStatus;
}

// ---- ProfileSchema ------------------------------------------------------------------------------

export interface ProfileSchemaSpec {
  /** Fields that identify a user, in priority order: the first present one keys the profile. */
  identityFields?: string[];
  /** Declared field types (SegmentQL types); undeclared fields take their type from JSON. */
  fields?: Record<string, string>;
}

export interface ProfileSchemaStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface ProfileSchema {
  apiVersion: typeof API_VERSION;
  kind: "ProfileSchema";
  metadata: ObjectMeta;
  spec: ProfileSchemaSpec;
  status?: ProfileSchemaStatus;
}

export const DEFAULT_IDENTITY_FIELDS: readonly string[] = ["user_id"];

// ---- common -------------------------------------------------------------------------------------

export type Resource = Segment | Subscription | ProfileSchema;
export type ResourceOf<K extends ResourceKind> = Extract<Resource, { kind: K }>;
export type StatusOf<K extends ResourceKind> = NonNullable<ResourceOf<K>["status"]>;

/** A Secret as the directory source reads it (kind: Secret manifests with data or stringData). */
export interface SecretData {
  readonly [key: string]: string;
}

export interface ResourceKey {
  readonly kind: ResourceKind;
  readonly namespace: string;
  readonly name: string;
}

export function keyOf(r: Resource): ResourceKey {
  return { kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name };
}

export function keyString(k: ResourceKey): string {
  return `${k.kind}/${k.namespace}/${k.name}`;
}

/** The id the REST API shows for a resource: its uid without dashes. */
export function resourceId(meta: ObjectMeta): string {
  return (meta.uid ?? "").replaceAll("-", "");
}
