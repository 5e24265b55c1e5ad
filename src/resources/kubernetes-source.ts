// The Kubernetes resource source: Segments, Subscriptions and ProfileSchemas are custom resources
// (segwatch.io/v1alpha1), Secrets are core v1 Secrets. Reads go to the API server (a reconcile always
// sees current state); writes are guarded by the resourceVersion they were based on, and a 409
// Conflict is retried after a fresh read, a bounded number of times — never forced. Status goes
// through the status subresource as a JSON merge patch. watch() runs one ResilientWatch per kind (and
// namespace, when limited to a set) and reports keys only.

import { hostname } from "node:os";
import {
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type KubeConfig,
  Watch,
} from "@kubernetes/client-node";
import { KUBE_FIELD_MANAGER, KUBE_SOURCE_DEFAULTS, type KubeSourceSettings } from "./defaults.ts";
import { apiErrorMessage, isConflict, isNotFound, mergePatch, microTime } from "./kube-client.ts";
import { type Listing, ResilientWatch } from "./resilient-watch.ts";
import {
  type ResourceEvent,
  ResourceNotFoundError,
  type ResourceSource,
  ResourceSourceError,
} from "./source.ts";
import { buildStatusPatch, storedForm } from "./status-patch.ts";
import {
  API_GROUP,
  API_VERSION,
  DEFAULT_NAMESPACE,
  keyString,
  type ObjectMeta,
  RESOURCE_KINDS,
  type Resource,
  type ResourceKey,
  type ResourceKind,
  type ResourceOf,
  type SecretData,
  type StatusOf,
} from "./types.ts";

const VERSION = API_VERSION.slice(API_GROUP.length + 1);

/** The plural of each kind: its resource name in API paths (`kubectl get segments.segwatch.io`). */
export const KIND_PLURALS: Readonly<Record<ResourceKind, string>> = {
  Segment: "segments",
  Subscription: "subscriptions",
  ProfileSchema: "profileschemas",
};

/** A note longer than this is cut (events.k8s.io/v1 rejects notes above 1 kB). */
const EVENT_NOTE_MAX = 1000;

export interface KubernetesSourceOptions {
  readonly kubeConfig: KubeConfig;
  /** Watch and list only these namespaces (default: all). */
  readonly namespaces?: readonly string[];
  readonly settings?: Partial<KubeSourceSettings>;
  /** Told about watch restarts and failed event writes. */
  readonly onError?: (error: Error) => void;
  /** Who reports Events (default: $POD_NAME or the host name). */
  readonly reportingInstance?: string;
}

type RawObject = {
  apiVersion?: string;
  kind?: string;
  metadata: Record<string, unknown> & {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: unknown[];
  };
  spec?: unknown;
  status?: Record<string, unknown>;
};

export class KubernetesSource implements ResourceSource {
  readonly namespaces: readonly string[] | undefined;
  readonly settings: KubeSourceSettings;
  private readonly kc: KubeConfig;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly events: EventsV1Api;
  private readonly onError: (error: Error) => void;
  private readonly reportingInstance: string;
  private readonly watches = new Set<ResilientWatch>();
  /**
   * Per resource: the status last asked for and what the API server stored for it. The server may
   * normalise a status (prune fields its schema lacks, drop nulls); asking for the same status again
   * while that stored form is unchanged is not a change, so it writes nothing (no write → watch
   * event → reconcile → write loop).
   */
  private readonly lastStatus = new Map<string, { requested: string; stored: string }>();

  constructor(opts: KubernetesSourceOptions) {
    this.kc = opts.kubeConfig;
    this.namespaces =
      opts.namespaces && opts.namespaces.length > 0 ? [...new Set(opts.namespaces)] : undefined;
    this.settings = { ...KUBE_SOURCE_DEFAULTS, ...opts.settings };
    this.custom = this.kc.makeApiClient(CustomObjectsApi);
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.events = this.kc.makeApiClient(EventsV1Api);
    this.onError = opts.onError ?? (() => {});
    this.reportingInstance = opts.reportingInstance ?? process.env.POD_NAME ?? hostname();
  }

  // ---- reading ---------------------------------------------------------------------------------

  async list<K extends ResourceKind>(kind: K, namespace?: string): Promise<ResourceOf<K>[]> {
    const namespaces = namespace === undefined ? this.namespaces : [namespace];
    const raw: RawObject[] = [];
    if (namespaces === undefined) {
      raw.push(...(await this.listRaw(kind)).items);
    } else {
      for (const ns of namespaces) {
        if (!this.inScope(ns)) continue;
        raw.push(...(await this.listRaw(kind, ns)).items);
      }
    }
    return raw.map((o) => toResource(kind, o)).sort(byKey) as ResourceOf<K>[];
  }

  async get<K extends ResourceKind>(
    kind: K,
    namespace: string,
    name: string,
  ): Promise<ResourceOf<K> | undefined> {
    const raw = await this.getRaw(kind, namespace, name);
    return raw ? (toResource(kind, raw) as ResourceOf<K>) : undefined;
  }

  async readSecret(namespace: string, name: string): Promise<SecretData | undefined> {
    try {
      const secret = await this.core.readNamespacedSecret({ name, namespace });
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(secret.data ?? {}))
        out[k] = Buffer.from(v, "base64").toString("utf8");
      return out;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw wrap(`reading Secret ${namespace}/${name}`, err);
    }
  }

  // ---- writing ---------------------------------------------------------------------------------

  async apply<K extends ResourceKind>(resource: ResourceOf<K>): Promise<ResourceOf<K>> {
    const namespace = resource.metadata.namespace || DEFAULT_NAMESPACE;
    const { name } = resource.metadata;
    const kind = resource.kind as K;
    const key: ResourceKey = { kind, namespace, name };
    return this.retryingConflicts(key, "apply", async () => {
      const existing = await this.getRaw(kind, namespace, name);
      if (!existing) {
        const body = {
          apiVersion: API_VERSION,
          kind,
          metadata: userMetadata(resource.metadata, { name, namespace }),
          spec: resource.spec,
        };
        const created = (await this.custom.createNamespacedCustomObject({
          ...this.path(kind, namespace),
          body,
          fieldManager: KUBE_FIELD_MANAGER,
        })) as RawObject;
        return toResource(kind, created) as ResourceOf<K>;
      }
      const body: RawObject = {
        ...existing,
        metadata: userMetadata(resource.metadata, existing.metadata),
        spec: resource.spec,
      };
      const replaced = (await this.custom.replaceNamespacedCustomObject({
        ...this.path(kind, namespace),
        name,
        body,
        fieldManager: KUBE_FIELD_MANAGER,
      })) as RawObject;
      return toResource(kind, replaced) as ResourceOf<K>;
    });
  }

  async delete(kind: ResourceKind, namespace: string, name: string): Promise<boolean> {
    this.lastStatus.delete(keyString({ kind, namespace, name }));
    try {
      await this.custom.deleteNamespacedCustomObject({
        ...this.path(kind, namespace),
        name,
        propagationPolicy: "Background",
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw wrap(`deleting ${keyString({ kind, namespace, name })}`, err);
    }
  }

  async updateStatus<K extends ResourceKind>(
    kind: K,
    namespace: string,
    name: string,
    status: StatusOf<K>,
  ): Promise<void> {
    const key: ResourceKey = { kind, namespace, name };
    await this.retryingConflicts(key, "update the status of", async () => {
      const current = await this.getRaw(kind, namespace, name);
      if (!current) throw new ResourceNotFoundError(key);
      const requested = storedForm(status);
      const stored = storedForm(current.status);
      const memo = this.lastStatus.get(keyString(key));
      if (requested === stored || (memo?.requested === requested && memo.stored === stored)) return;
      const body = buildStatusPatch(
        current.status,
        status as Record<string, unknown>,
        current.metadata.resourceVersion ?? "",
      );
      const written = (await this.custom
        .patchNamespacedCustomObjectStatus(
          { ...this.path(kind, namespace), name, body, fieldManager: KUBE_FIELD_MANAGER },
          mergePatch(),
        )
        .catch(async (err) => {
          // Deleted since the read above — unless it is still there (a CRD without the status
          // subresource answers 404 too): then it is a failure like any other.
          if (isNotFound(err) && !(await this.getRaw(kind, namespace, name)))
            throw new ResourceNotFoundError(key, { cause: err });
          throw err;
        })) as RawObject;
      this.lastStatus.set(keyString(key), { requested, stored: storedForm(written.status) });
    });
  }

  async writeSecret(namespace: string, name: string, data: SecretData): Promise<void> {
    const key = `Secret ${namespace}/${name}`;
    for (let attempt = 0; ; attempt++) {
      try {
        const existing = await this.core.readNamespacedSecret({ name, namespace }).catch((err) => {
          if (isNotFound(err)) return undefined;
          throw err;
        });
        if (!existing) {
          await this.core.createNamespacedSecret({
            namespace,
            body: { metadata: { name, namespace }, type: "Opaque", stringData: { ...data } },
            fieldManager: KUBE_FIELD_MANAGER,
          });
        } else {
          await this.core.replaceNamespacedSecret({
            name,
            namespace,
            body: {
              ...existing,
              data: {},
              stringData: { ...data },
            },
            fieldManager: KUBE_FIELD_MANAGER,
          });
        }
        return;
      } catch (err) {
        if (isConflict(err) && attempt < this.settings.conflictRetries) continue;
        throw wrap(`writing ${key}`, err);
      }
    }
  }

  async addFinalizer(
    kind: ResourceKind,
    namespace: string,
    name: string,
    finalizer: string,
  ): Promise<void> {
    await this.editFinalizers({ kind, namespace, name }, (list) =>
      list.includes(finalizer) ? undefined : [...list, finalizer],
    );
  }

  async removeFinalizer(
    kind: ResourceKind,
    namespace: string,
    name: string,
    finalizer: string,
  ): Promise<void> {
    await this.editFinalizers({ kind, namespace, name }, (list) =>
      list.includes(finalizer) ? list.filter((f) => f !== finalizer) : undefined,
    );
  }

  async recordEvent(event: ResourceEvent): Promise<void> {
    const { regarding } = event;
    const now = new Date();
    try {
      await this.events.createNamespacedEvent({
        namespace: regarding.namespace,
        body: {
          metadata: {
            name: `${regarding.name}.${eventSuffix(now)}`,
            namespace: regarding.namespace,
          },
          // MicroTime: the generated client passes strings through unchanged.
          eventTime: microTime(now) as unknown as Date,
          type: event.type,
          reason: event.reason,
          action: event.action,
          note: truncate(event.note, EVENT_NOTE_MAX),
          reportingController: `${API_GROUP}/controller`,
          reportingInstance: this.reportingInstance,
          regarding: {
            apiVersion: API_VERSION,
            kind: regarding.kind,
            namespace: regarding.namespace,
            name: regarding.name,
            ...(regarding.uid ? { uid: regarding.uid } : {}),
            ...(regarding.resourceVersion ? { resourceVersion: regarding.resourceVersion } : {}),
          },
        },
      });
    } catch (err) {
      this.onError(wrap(`recording event ${event.reason} for ${keyString(regarding)}`, err));
    }
  }

  // ---- watching --------------------------------------------------------------------------------

  watch(onChange: (key: ResourceKey) => void): () => void {
    const started: ResilientWatch[] = [];
    const scopes: (string | undefined)[] = this.namespaces ? [...this.namespaces] : [undefined];
    for (const kind of RESOURCE_KINDS) {
      for (const ns of scopes) {
        const w = this.watchOne(kind, ns, (key) => {
          const at = key.indexOf("/");
          onChange({ kind, namespace: key.slice(0, at), name: key.slice(at + 1) });
        });
        started.push(w);
      }
    }
    return () => {
      for (const w of started) {
        this.watches.delete(w);
        void w.stop();
      }
    };
  }

  /** Starts one resilient list/watch loop (also used by tests to observe restarts). */
  watchOne(kind: ResourceKind, namespace: string | undefined, onKey: (key: string) => void) {
    const plural = KIND_PLURALS[kind];
    const path =
      namespace === undefined
        ? `/apis/${API_GROUP}/${VERSION}/${plural}`
        : `/apis/${API_GROUP}/${VERSION}/namespaces/${namespace}/${plural}`;
    const watcher = new Watch(this.kc);
    const w = new ResilientWatch({
      name: `${plural} in ${namespace === undefined ? "all namespaces" : `namespace ${namespace}`}`,
      list: () => this.listRaw(kind, namespace),
      watch: (resourceVersion, timeoutSeconds, onEvent, done) =>
        watcher.watch(
          path,
          { resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
          (type, object) => onEvent(type, object),
          done,
        ),
      onKey,
      onError: this.onError,
      settings: this.settings,
    });
    this.watches.add(w);
    w.start();
    return w;
  }

  async close(): Promise<void> {
    const all = [...this.watches];
    this.watches.clear();
    await Promise.all(all.map((w) => w.stop()));
  }

  // ---- internals -------------------------------------------------------------------------------

  private inScope(namespace: string): boolean {
    return this.namespaces === undefined || this.namespaces.includes(namespace);
  }

  private path(kind: ResourceKind, namespace: string) {
    return { group: API_GROUP, version: VERSION, namespace, plural: KIND_PLURALS[kind] };
  }

  private async getRaw(
    kind: ResourceKind,
    namespace: string,
    name: string,
  ): Promise<RawObject | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        ...this.path(kind, namespace),
        name,
      })) as RawObject;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw wrap(`reading ${keyString({ kind, namespace, name })}`, err);
    }
  }

  private async listRaw(
    kind: ResourceKind,
    namespace?: string,
  ): Promise<Listing & { items: RawObject[] }> {
    const plural = KIND_PLURALS[kind];
    try {
      const list = (
        namespace === undefined
          ? await this.custom.listClusterCustomObject({
              group: API_GROUP,
              version: VERSION,
              plural,
            })
          : await this.custom.listNamespacedCustomObject({ ...this.path(kind, namespace) })
      ) as { items?: RawObject[]; metadata?: { resourceVersion?: string } };
      return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? "" };
    } catch (err) {
      throw wrap(`listing ${plural}${namespace ? ` in ${namespace}` : ""}`, err);
    }
  }

  /** Runs a read-modify-write; a 409 Conflict runs it again (it reads afresh), a bounded number of times. */
  private async retryingConflicts<T>(
    key: ResourceKey,
    what: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (isConflict(err) && attempt < this.settings.conflictRetries) continue;
        if (err instanceof ResourceSourceError) throw err;
        throw new ResourceSourceError(
          `cannot ${what} ${keyString(key)}: ${apiErrorMessage(err)}`,
          key,
          { cause: err },
        );
      }
    }
  }

  private async editFinalizers(
    key: ResourceKey,
    edit: (current: string[]) => string[] | undefined,
  ): Promise<void> {
    await this.retryingConflicts(key, "edit the finalizers of", async () => {
      const current = await this.getRaw(key.kind, key.namespace, key.name);
      if (!current) return;
      const next = edit(current.metadata.finalizers ?? []);
      if (!next) return;
      try {
        await this.custom.patchNamespacedCustomObject(
          {
            ...this.path(key.kind, key.namespace),
            name: key.name,
            // A merge patch replaces the whole list: the resourceVersion makes that safe.
            body: {
              metadata: { resourceVersion: current.metadata.resourceVersion, finalizers: next },
            },
            fieldManager: KUBE_FIELD_MANAGER,
          },
          mergePatch(),
        );
      } catch (err) {
        // Removing the last finalizer of a deleting resource may race its removal.
        if (!isNotFound(err)) throw err;
      }
    });
  }
}

/** The metadata a user controls: labels, annotations and ownerReferences over `base`. */
function userMetadata(meta: ObjectMeta, base: Record<string, unknown>): RawObject["metadata"] {
  const out = { ...base } as RawObject["metadata"];
  if (meta.labels !== undefined) out.labels = meta.labels;
  if (meta.annotations !== undefined) out.annotations = meta.annotations;
  if (meta.ownerReferences !== undefined) out.ownerReferences = meta.ownerReferences;
  return out;
}

/** A custom object as a Resource: the metadata fields segwatch uses (not managedFields and such). */
export function toResource(kind: ResourceKind, o: RawObject): Resource {
  const m = o.metadata;
  const metadata: ObjectMeta = { name: m.name, namespace: m.namespace ?? DEFAULT_NAMESPACE };
  const copy = <F extends keyof ObjectMeta>(field: F) => {
    const v = m[field];
    if (v !== undefined && v !== null) (metadata as unknown as Record<string, unknown>)[field] = v;
  };
  for (const f of [
    "uid",
    "generation",
    "resourceVersion",
    "creationTimestamp",
    "labels",
    "annotations",
    "deletionTimestamp",
    "finalizers",
    "ownerReferences",
  ] as const)
    copy(f);
  const r: Record<string, unknown> = {
    apiVersion: API_VERSION,
    kind,
    metadata,
    spec: o.spec ?? {},
  };
  if (o.status !== undefined && o.status !== null) r.status = o.status;
  return r as unknown as Resource;
}

function byKey(a: Resource, b: Resource): number {
  return `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
    `${b.metadata.namespace}/${b.metadata.name}`,
  );
}

function wrap(what: string, err: unknown): Error {
  if (err instanceof ResourceSourceError) return err;
  return new ResourceSourceError(`${what}: ${apiErrorMessage(err)}`, undefined, { cause: err });
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** client-go names events `<object>.<unix nanoseconds in hex>`; unique enough per object. */
function eventSuffix(at: Date): string {
  const nanos = BigInt(at.getTime()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000));
  return nanos.toString(16);
}
