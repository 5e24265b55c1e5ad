// Shared by the API's integration tests: a real nats-server, a DirectorySource on a temporary folder,
// `segwatch api` (runApi) listening on 127.0.0.1, and a reader of what landed in SEGWATCH_EVENTS.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeliverPolicy,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type RunApiOptions, type RunningApi, runApi } from "../../src/api/app.ts";
import { bootstrap } from "../../src/nats/bootstrap.ts";
import { EVENTS_STREAM } from "../../src/nats/names.ts";
import { DirectorySource } from "../../src/resources/directory-source.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";

export interface ApiEnv {
  readonly server: NatsServer;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly root: string;
  readonly dir: string;
  readonly source: DirectorySource;
  start(options?: Partial<RunApiOptions>): Promise<RunningApi>;
  close(): Promise<void>;
}

export async function apiEnv(): Promise<ApiEnv> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url, noAsyncTraces: true });
  await bootstrap(nc);
  const jsm = await jetstreamManager(nc);
  const root = mkdtempSync(join(tmpdir(), "segwatch-api-it-"));
  const dir = join(root, "manifests");
  mkdirSync(dir);
  const source = new DirectorySource({ dir, stateDir: join(root, "state"), rescanMs: 60_000 });
  const running: RunningApi[] = [];
  return {
    server,
    nc,
    jsm,
    root,
    dir,
    source,
    start: async (options = {}) => {
      const api = await runApi({
        source,
        nats: { url: server.url },
        env: {},
        listen: { host: "127.0.0.1", port: 0 },
        logger: false,
        processMetrics: false,
        ...options,
      });
      running.push(api);
      return api;
    },
    close: async () => {
      for (const api of running) await api.stop();
      await source.close();
      await nc.close();
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface StoredEvent {
  readonly seq: number;
  readonly subject: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** Every event stored under `segwatch.events.<namespace>.>`, in stream order. */
export async function storedEvents(
  nc: NatsConnection,
  jsm: JetStreamManager,
  namespace: string,
): Promise<StoredEvent[]> {
  const filter = `segwatch.events.${namespace}.>`;
  const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: filter });
  const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, {
    filter_subjects: [filter],
    deliver_policy: DeliverPolicy.All,
  });
  const out: StoredEvent[] = [];
  while (out.length < total) {
    const batch = await consumer.fetch({ max_messages: total - out.length, expires: 2_000 });
    for await (const m of batch) {
      const headers: Record<string, string> = {};
      for (const k of m.headers?.keys() ?? []) headers[k] = m.headers!.get(k);
      out.push({ seq: m.seq, subject: m.subject, headers, body: m.json() });
    }
  }
  return out;
}

/** Messages stored right now under the namespace's subjects (no waiting). */
export async function storedCount(jsm: JetStreamManager, namespace: string): Promise<number> {
  const info = await jsm.streams.info(EVENTS_STREAM, {
    subjects_filter: `segwatch.events.${namespace}.>`,
  });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}
