// The directory resource source: a folder of YAML manifests (segwatch.io/v1alpha1 Segment,
// Subscription, ProfileSchema, and v1 Secret), like Dapr's self-hosted mode. Users edit the files;
// the REST API writes files (one per resource it creates). What Kubernetes keeps beside the spec —
// uid, generation, creation time, status — lives in a state folder, so it survives restarts and is
// shared by every process on the machine.

import { createHash } from "node:crypto";
import { type FSWatcher, watch as fsWatch, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { dump as dumpYaml, loadAll } from "js-yaml";
import { ResourceNotFoundError, type ResourceSource, ResourceSourceError } from "./source.ts";
import {
  API_VERSION,
  DEFAULT_NAMESPACE,
  keyOf,
  keyString,
  RESOURCE_KINDS,
  type Resource,
  type ResourceKey,
  type ResourceKind,
  type ResourceOf,
  type SecretData,
  type StatusOf,
} from "./types.ts";

/** How often the folder is rescanned besides file-system notifications (which can miss events). */
export const DIRECTORY_RESCAN_MS = 2_000;

export interface DirectorySourceOptions {
  /** The folder of manifests (read recursively). */
  readonly dir: string;
  /** Where uids, generations and status are kept (default `<dir>/../.segwatch/state`). */
  readonly stateDir?: string;
  /** Told about files or documents that cannot be read; they are skipped. */
  readonly onError?: (error: Error) => void;
  readonly rescanMs?: number;
}

interface Loaded {
  readonly resource: Resource;
  readonly file: string;
  readonly specHash: string;
}

interface LoadedSecret {
  readonly data: SecretData;
  readonly file: string;
}

/** What is remembered per resource across restarts. */
interface Meta {
  generation: number;
  specHash: string;
  creationTimestamp: string;
}

const KIND_FILE_PREFIX: Readonly<Record<ResourceKind | "Secret", string>> = {
  Segment: "segment",
  Subscription: "subscription",
  ProfileSchema: "profileschema",
  Secret: "secret",
};

export class DirectorySource implements ResourceSource {
  readonly dir: string;
  readonly stateDir: string;
  private readonly onError: (error: Error) => void;
  private readonly rescanMs: number;
  private resources = new Map<string, Loaded>();
  private secrets = new Map<string, LoadedSecret>();
  private meta: Record<string, Meta> = {};
  private readonly listeners = new Set<(key: ResourceKey) => void>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescanQueued = false;
  /** Serialises writes so read-modify-write of a file never interleaves. */
  private writes: Promise<unknown> = Promise.resolve();
  private loaded: Promise<void> | undefined;
  /** Watchers learn of existing resources when they subscribe; scans report changes after that. */
  private firstScanDone = false;
  /**
   * Parsed manifests and statuses by file, with the stamp they were read at. A scan (every few
   * seconds, and after every change it is told of) reads again only what changed, and listing
   * costs no I/O: the controller lists a namespace on every reconcile.
   */
  private readonly parsed = new Map<string, { stamp: string; docs: unknown[] }>();
  private readonly statuses = new Map<string, { stamp: string; status: unknown }>();

  constructor(opts: DirectorySourceOptions) {
    this.dir = opts.dir;
    this.stateDir = opts.stateDir ?? join(opts.dir, "..", ".segwatch", "state");
    this.onError = opts.onError ?? (() => {});
    this.rescanMs = opts.rescanMs ?? DIRECTORY_RESCAN_MS;
  }

  // ---- reading ---------------------------------------------------------------------------------

  async list<K extends ResourceKind>(kind: K, namespace?: string): Promise<ResourceOf<K>[]> {
    await this.ready();
    const out: ResourceOf<K>[] = [];
    for (const l of this.resources.values()) {
      const r = l.resource;
      if (r.kind === kind && (namespace === undefined || r.metadata.namespace === namespace)) {
        out.push(await this.withStatus(r as ResourceOf<K>));
      }
    }
    return out.sort((a, b) => keyString(keyOf(a)).localeCompare(keyString(keyOf(b))));
  }

  async get<K extends ResourceKind>(
    kind: K,
    namespace: string,
    name: string,
  ): Promise<ResourceOf<K> | undefined> {
    await this.ready();
    const l = this.resources.get(keyString({ kind, namespace, name }));
    return l ? this.withStatus(l.resource as ResourceOf<K>) : undefined;
  }

  async readSecret(namespace: string, name: string): Promise<SecretData | undefined> {
    await this.ready();
    return this.secrets.get(`${namespace}/${name}`)?.data;
  }

  // ---- writing ---------------------------------------------------------------------------------

  apply<K extends ResourceKind>(resource: ResourceOf<K>): Promise<ResourceOf<K>> {
    return this.serialized(async () => {
      await this.ready();
      const namespace = resource.metadata.namespace || DEFAULT_NAMESPACE;
      const key: ResourceKey = { kind: resource.kind, namespace, name: resource.metadata.name };
      const doc = manifestOf(resource, namespace);
      const existing = this.resources.get(keyString(key));
      const file =
        existing?.file ??
        join(this.dir, namespace, `${KIND_FILE_PREFIX[resource.kind]}-${key.name}.yaml`);
      await this.replaceDocument(file, key.kind, namespace, key.name, doc);
      await this.rescan();
      const stored = await this.get(resource.kind, namespace, key.name);
      if (!stored)
        throw new ResourceSourceError(
          `wrote ${relative(this.dir, file)} but cannot read ${keyString(key)} back`,
          key,
        );
      return stored as ResourceOf<K>;
    });
  }

  delete(kind: ResourceKind, namespace: string, name: string): Promise<boolean> {
    return this.serialized(async () => {
      await this.ready();
      const key = { kind, namespace, name };
      const existing = this.resources.get(keyString(key));
      if (!existing) return false;
      await this.replaceDocument(existing.file, kind, namespace, name, undefined);
      await rm(this.statusFile(key), { force: true });
      await this.rescan();
      return true;
    });
  }

  async updateStatus<K extends ResourceKind>(
    kind: K,
    namespace: string,
    name: string,
    status: StatusOf<K>,
  ): Promise<void> {
    await this.ready();
    const key = { kind, namespace, name };
    if (!this.resources.has(keyString(key))) {
      throw new ResourceNotFoundError(key);
    }
    const file = this.statusFile(key);
    await writeAtomic(file, `${JSON.stringify(status, null, 2)}\n`);
    // Written through: what this process wrote it reads back at once, without waiting for a scan.
    this.statuses.set(keyString(key), {
      stamp: stampOf(await stat(file)),
      status: JSON.parse(JSON.stringify(status)),
    });
  }

  writeSecret(namespace: string, name: string, data: SecretData): Promise<void> {
    return this.serialized(async () => {
      await this.ready();
      const existing = this.secrets.get(`${namespace}/${name}`);
      const file =
        existing?.file ?? join(this.dir, namespace, `${KIND_FILE_PREFIX.Secret}-${name}.yaml`);
      const doc = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace },
        type: "Opaque",
        stringData: { ...data },
      };
      await this.replaceDocument(file, "Secret", namespace, name, doc);
      await this.rescan();
    });
  }

  /** Deletion is immediate here: the controller cleans up when it sees the resource gone. */
  async addFinalizer(): Promise<void> {}

  async removeFinalizer(): Promise<void> {}

  /** No event store beside the files; the controller's log has the transitions. */
  async recordEvent(): Promise<void> {}

  // ---- watching --------------------------------------------------------------------------------

  watch(onChange: (key: ResourceKey) => void): () => void {
    this.listeners.add(onChange);
    void this.ready().then(() => {
      if (!this.listeners.has(onChange)) return;
      for (const l of this.resources.values()) onChange(keyOf(l.resource));
    });
    this.startWatching();
    return () => {
      this.listeners.delete(onChange);
      if (this.listeners.size === 0) this.stopWatching();
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.stopWatching();
    await this.writes.catch(() => {});
    await this.scanning?.catch(() => {});
  }

  private startWatching(): void {
    if (this.watcher || this.timer) return;
    const trigger = () => void this.rescan().catch((err) => this.onError(asError(err)));
    try {
      this.watcher = fsWatch(this.dir, { recursive: true }, trigger);
      this.watcher.on("error", (err) => this.onError(asError(err)));
    } catch (err) {
      this.onError(
        new Error(`cannot watch ${this.dir} (falling back to rescans): ${asError(err).message}`),
      );
    }
    this.timer = setInterval(trigger, this.rescanMs);
    this.timer.unref();
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  // ---- internals -------------------------------------------------------------------------------

  private ready(): Promise<void> {
    this.loaded ??= this.rescan();
    return this.loaded;
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writes.then(fn, fn);
    this.writes = run.catch(() => {});
    return run;
  }

  /** Re-reads the folder; concurrent calls coalesce into at most one more scan. */
  private rescan(): Promise<void> {
    if (this.scanning) {
      this.rescanQueued = true;
      // Every waiter needs a scan that started after its call: the first one to wake starts it, the
      // others wait for that one.
      return this.scanning.then(() => (this.rescanQueued ? this.rescan() : this.scanning));
    }
    this.rescanQueued = false;
    this.scanning = this.scan().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scan(): Promise<void> {
    this.meta = await readMeta(this.metaFile());
    const files = await yamlFiles(this.dir);
    const resources = new Map<string, Loaded>();
    const secrets = new Map<string, LoadedSecret>();
    const seen = new Set(files);
    for (const file of this.parsed.keys()) if (!seen.has(file)) this.parsed.delete(file);
    for (const [n, file] of files.entries()) {
      if (n % SCAN_YIELD_EVERY === SCAN_YIELD_EVERY - 1) await yieldToLoop();
      let docs: unknown[];
      try {
        docs = await this.documents(file);
      } catch (err) {
        // Removed between listing and reading: simply gone.
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        this.onError(new Error(`${relative(this.dir, file)}: ${asError(err).message}`));
        continue;
      }
      for (const [i, doc] of docs.entries()) {
        try {
          this.index(doc, file, resources, secrets);
        } catch (err) {
          this.onError(
            new Error(`${relative(this.dir, file)}: document ${i + 1}: ${asError(err).message}`),
          );
        }
      }
    }
    const changed: ResourceKey[] = [];
    let metaChanged = false;
    const now = new Date().toISOString();
    for (const [k, l] of resources) {
      const m = this.meta[k];
      if (!m) {
        this.meta[k] = { generation: 1, specHash: l.specHash, creationTimestamp: now };
        metaChanged = true;
      } else if (m.specHash !== l.specHash) {
        m.generation++;
        m.specHash = l.specHash;
        metaChanged = true;
      }
      const before = this.resources.get(k);
      if (
        !before ||
        before.specHash !== l.specHash ||
        metaJson(before.resource) !== metaJson(l.resource)
      ) {
        changed.push(keyOf(l.resource));
      }
    }
    for (const [k, l] of this.resources) {
      if (!resources.has(k)) {
        changed.push(keyOf(l.resource));
        if (this.meta[k]) {
          delete this.meta[k];
          metaChanged = true;
        }
      }
    }
    if (metaChanged) await writeAtomic(this.metaFile(), `${JSON.stringify(this.meta, null, 2)}\n`);
    this.resources = new Map(
      [...resources].map(([k, l]) => [k, { ...l, resource: this.withMeta(l.resource) }]),
    );
    this.secrets = secrets;
    await this.refreshStatuses();
    if (this.firstScanDone) for (const key of changed) for (const fn of this.listeners) fn(key);
    this.firstScanDone = true;
  }

  private index(
    doc: unknown,
    file: string,
    resources: Map<string, Loaded>,
    secrets: Map<string, LoadedSecret>,
  ): void {
    if (doc === null || doc === undefined) return;
    if (typeof doc !== "object" || Array.isArray(doc))
      throw new Error("a manifest must be a mapping");
    const d = doc as {
      apiVersion?: unknown;
      kind?: unknown;
      metadata?: { name?: unknown; namespace?: unknown };
    };
    const name = d.metadata?.name;
    const namespace = d.metadata?.namespace ?? DEFAULT_NAMESPACE;
    if (d.kind === "Secret" && d.apiVersion === "v1") {
      if (typeof name !== "string" || typeof namespace !== "string")
        throw new Error("a Secret needs metadata.name");
      secrets.set(`${namespace}/${name}`, { data: secretData(doc as SecretDoc), file });
      return;
    }
    if (d.apiVersion !== API_VERSION || !RESOURCE_KINDS.includes(d.kind as ResourceKind)) return;
    if (typeof name !== "string" || name === "")
      throw new Error(`${String(d.kind)} needs metadata.name`);
    if (typeof namespace !== "string") throw new Error("metadata.namespace must be a string");
    const r = doc as Resource;
    const resource = { ...r, metadata: { ...r.metadata, name, namespace } } as Resource;
    delete (resource as { status?: unknown }).status;
    const key = keyString(keyOf(resource));
    if (resources.has(key))
      throw new Error(
        `${key} is defined twice (also in ${relative(this.dir, resources.get(key)!.file)})`,
      );
    resources.set(key, { resource, file, specHash: hash(JSON.stringify(resource.spec ?? null)) });
  }

  private withMeta<R extends Resource>(r: R): R {
    const k = keyString(keyOf(r));
    const m = this.meta[k];
    return {
      ...r,
      metadata: {
        ...r.metadata,
        uid: uidFor(k),
        generation: m?.generation ?? 1,
        resourceVersion: String(m?.generation ?? 1),
        creationTimestamp: m?.creationTimestamp ?? new Date().toISOString(),
      },
    };
  }

  private async withStatus<R extends Resource>(r: R): Promise<R> {
    const cached = this.statuses.get(keyString(keyOf(r)));
    return cached ? { ...r, status: cached.status } : r;
  }

  /** A file's documents, parsed again only when the file changed since the last read. */
  private async documents(file: string): Promise<unknown[]> {
    const stamp = stampOf(statSync(file));
    const cached = this.parsed.get(file);
    if (cached?.stamp === stamp) return cached.docs;
    const docs = loadAll(await readFile(file, "utf8"));
    this.parsed.set(file, { stamp, docs });
    return docs;
  }

  /** Reads the status files that changed (another process may write them, e.g. the controller). */
  private async refreshStatuses(): Promise<void> {
    for (const k of this.statuses.keys()) if (!this.resources.has(k)) this.statuses.delete(k);
    let n = 0;
    for (const [k, l] of this.resources) {
      if (++n % SCAN_YIELD_EVERY === 0) await yieldToLoop();
      const before = this.statuses.get(k);
      let fresh: { stamp: string; status: unknown } | undefined;
      try {
        const file = this.statusFile(keyOf(l.resource));
        const stamp = stampOf(statSync(file));
        fresh =
          before?.stamp === stamp
            ? before
            : { stamp, status: JSON.parse(await readFile(file, "utf8")) };
      } catch {
        // No status yet (or half gone): the resource shows without one.
      }
      // A status written through meanwhile is newer than what this scan read.
      if (this.statuses.get(k) !== before) continue;
      if (fresh) this.statuses.set(k, fresh);
      else this.statuses.delete(k);
    }
  }

  private statusFile(k: ResourceKey): string {
    return join(this.stateDir, "status", k.namespace, k.kind, `${k.name}.json`);
  }

  private metaFile(): string {
    return join(this.stateDir, "resources.json");
  }

  /** Replaces (or removes, when doc is undefined) one document of a file, keeping the others. */
  private async replaceDocument(
    file: string,
    kind: ResourceKind | "Secret",
    namespace: string,
    name: string,
    doc: object | undefined,
  ): Promise<void> {
    let docs: unknown[] = [];
    try {
      docs = loadAll(await readFile(file, "utf8")).filter((d) => d !== null && d !== undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const same = (d: unknown) => {
      const x = d as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
      return (
        x?.kind === kind &&
        x.metadata?.name === name &&
        (x.metadata?.namespace ?? DEFAULT_NAMESPACE) === namespace
      );
    };
    const at = docs.findIndex(same);
    if (doc === undefined) {
      if (at >= 0) docs.splice(at, 1);
    } else if (at >= 0) docs[at] = doc;
    else docs.push(doc);
    if (docs.length === 0) {
      await rm(file, { force: true });
      return;
    }
    await writeAtomic(
      file,
      docs.map((d) => dumpYaml(d, { lineWidth: 120, noRefs: true })).join("---\n"),
    );
  }
}

type SecretDoc = { data?: Record<string, unknown>; stringData?: Record<string, unknown> };

function secretData(doc: SecretDoc): SecretData {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.data ?? {})) {
    if (typeof v !== "string") throw new Error(`Secret data.${k} must be a base64 string`);
    out[k] = Buffer.from(v, "base64").toString("utf8");
  }
  for (const [k, v] of Object.entries(doc.stringData ?? {})) {
    if (typeof v !== "string") throw new Error(`Secret stringData.${k} must be a string`);
    out[k] = v;
  }
  return out;
}

/** The manifest written for a resource: spec and the metadata a user would write, no status. */
function manifestOf(r: Resource, namespace: string): object {
  const metadata: Record<string, unknown> = { name: r.metadata.name, namespace };
  if (r.metadata.labels && Object.keys(r.metadata.labels).length > 0)
    metadata.labels = r.metadata.labels;
  if (r.metadata.annotations && Object.keys(r.metadata.annotations).length > 0)
    metadata.annotations = r.metadata.annotations;
  if (r.metadata.ownerReferences?.length) metadata.ownerReferences = r.metadata.ownerReferences;
  return { apiVersion: API_VERSION, kind: r.kind, metadata, spec: r.spec };
}

function metaJson(r: Resource): string {
  const { labels, annotations, ownerReferences } = r.metadata;
  return JSON.stringify([labels ?? null, annotations ?? null, ownerReferences ?? null]);
}

function hash(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/** A deterministic uid per kind/namespace/name, in UUID form: the same resource keeps its id across restarts. */
export function uidFor(key: string): string {
  const h = hash(`segwatch/${key}`).slice(0, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return out;
    throw err;
  }
  for (const e of entries) {
    if (!e.isFile() || !/\.ya?ml$/.test(e.name) || e.name.startsWith(".")) continue;
    out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}

async function readMeta(file: string): Promise<Record<string, Meta>> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as Record<string, Meta>;
  } catch {
    return {};
  }
}

// A scan looks at every manifest and status file every few seconds: a synchronous stat costs
// microseconds where a promise round trip through the thread pool costs ten times more CPU. Every
// SCAN_YIELD_EVERY files the scan lets other work run, so a large folder never blocks for long.
const SCAN_YIELD_EVERY = 64;

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Identifies a version of a file: atomic writes replace the inode, edits change mtime or size. */
function stampOf(st: import("node:fs").Stats): string {
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

let tmpCounter = 0;

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${tmpCounter++}.tmp`;
  try {
    await writeFile(tmp, text);
  } catch (err) {
    // The folder is made on first use only: status writes come in bursts into the same few folders.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    await mkdir(dirname(file), { recursive: true });
    await writeFile(tmp, text);
  }
  await rename(tmp, file);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
