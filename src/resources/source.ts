// Where resources live. One interface, two implementations: a folder of YAML manifests (`segwatch
// dev`, like Dapr's self-hosted mode) and the Kubernetes API (custom resources). The controller
// reconciles from it, the REST API reads and writes through it, status goes back through it — never
// a second store.

import {
  keyString,
  type ResourceKey,
  type ResourceKind,
  type ResourceOf,
  type SecretData,
  type StatusOf,
} from "./types.ts";

export interface ResourceSource {
  /** Resources of a kind, in one namespace or all. */
  list<K extends ResourceKind>(kind: K, namespace?: string): Promise<ResourceOf<K>[]>;
  get<K extends ResourceKind>(
    kind: K,
    namespace: string,
    name: string,
  ): Promise<ResourceOf<K> | undefined>;
  /**
   * Creates the resource, or replaces the spec (and labels and annotations) of an existing one. The
   * source sets uid and creationTimestamp on creation and increments generation when the spec
   * changes. Status in the argument is ignored.
   */
  apply<K extends ResourceKind>(resource: ResourceOf<K>): Promise<ResourceOf<K>>;
  /** Deletes; false when there was nothing to delete. */
  delete(kind: ResourceKind, namespace: string, name: string): Promise<boolean>;
  /** Replaces the status only (the status subresource). */
  updateStatus<K extends ResourceKind>(
    kind: K,
    namespace: string,
    name: string,
    status: StatusOf<K>,
  ): Promise<void>;
  /** A Secret's data, decoded; undefined when it does not exist. */
  readSecret(namespace: string, name: string): Promise<SecretData | undefined>;
  /** Creates or replaces a Secret (used by the REST API for sensitive values it receives). */
  writeSecret(namespace: string, name: string, data: SecretData): Promise<void>;
  /**
   * Adds a finalizer unless the resource has it: its deletion then waits until the finalizer is
   * removed. A source that deletes at once (a folder of manifests) keeps none: a no-op there.
   */
  addFinalizer(
    kind: ResourceKind,
    namespace: string,
    name: string,
    finalizer: string,
  ): Promise<void>;
  /** Removes a finalizer (no-op when absent or gone); the last one going completes a deletion. */
  removeFinalizer(
    kind: ResourceKind,
    namespace: string,
    name: string,
    finalizer: string,
  ): Promise<void>;
  /**
   * Records an event about a resource for its users (`kubectl describe`, `kubectl events`): a
   * Kubernetes Event, where there is an API server. Best effort: a failure is reported, not thrown.
   */
  recordEvent(event: ResourceEvent): Promise<void>;
  /**
   * Calls onChange with the key of every resource that is added, changed or deleted (and of every
   * resource once at the start). Keys only: the receiver reads the current state. Returns a stop
   * function.
   */
  watch(onChange: (key: ResourceKey) => void): () => void;
  close(): Promise<void>;
}

/** Something users should know about a resource (events.k8s.io/v1 Event). */
export interface ResourceEvent {
  readonly regarding: ResourceKey & { readonly uid?: string; readonly resourceVersion?: string };
  readonly type: "Normal" | "Warning";
  /** CamelCase, machine-readable (a condition reason). */
  readonly reason: string;
  /** What the controller was doing: "Reconcile", "Delete". */
  readonly action: string;
  /** Human-readable (at most 1 kB on a cluster). */
  readonly note: string;
}

/** Thrown by a source for a write that conflicts with the stored state (e.g. an invalid manifest). */
export class ResourceSourceError extends Error {
  readonly key: ResourceKey | undefined;
  constructor(message: string, key?: ResourceKey, options?: ErrorOptions) {
    super(message, options);
    this.name = "ResourceSourceError";
    this.key = key;
  }
}

/**
 * A write to a resource that is gone: deleted after it was read. Not a failure of the reconcile that
 * read it — the next one sees the deletion (controller-runtime's IgnoreNotFound on status writes).
 */
export class ResourceNotFoundError extends ResourceSourceError {
  declare readonly key: ResourceKey;
  constructor(key: ResourceKey, options?: ErrorOptions) {
    super(`${keyString(key)} does not exist`, key, options);
    this.name = "ResourceNotFoundError";
  }
}
