// Shared by the API's unit tests: an app over a DirectorySource in a temporary folder, a publisher
// that records what it was given (and can be told to fail), and a registry with chosen schemas.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { DirectorySource } from "../resources/directory-source.ts";
import { buildApi } from "./app.ts";
import type { SchemaLookup } from "./collect.ts";
import type { ApiConfig } from "./config.ts";
import { ApiMetrics } from "./metrics.ts";
import type { EventMessage, EventPublisher } from "./publisher.ts";
import { EventsNotStoredError } from "./publisher.ts";

export const TOKEN = "tok-acme";
export const OTHER_TOKEN = "tok-beta";
export const TOKENS = new Map([
  [TOKEN, "acme"],
  [OTHER_TOKEN, "beta"],
]);
export const NOW = new Date("2026-03-01T12:00:00.000Z");

export class RecordingPublisher implements EventPublisher {
  readonly published: EventMessage[] = [];
  failNext = false;
  async publish(messages: readonly EventMessage[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new EventsNotStoredError(messages.length, messages.length, new Error("no responders"));
    }
    this.published.push(...messages);
  }
  inFlight(): number {
    return 0;
  }
  async close(): Promise<void> {}
}

export class FakeRegistry implements SchemaLookup {
  readonly identity = new Map<string, string[]>();
  schema(namespace: string) {
    const fields = this.identity.get(namespace);
    return fields ? { identityFields: fields } : undefined;
  }
}

export interface TestApi {
  readonly app: FastifyInstance;
  readonly source: DirectorySource;
  readonly publisher: RecordingPublisher;
  readonly registry: FakeRegistry;
  readonly metrics: ApiMetrics;
  readonly dir: string;
  close(): Promise<void>;
}

export async function testApi(config: Partial<ApiConfig> = {}): Promise<TestApi> {
  const root = mkdtempSync(join(tmpdir(), "segwatch-api-"));
  const dir = join(root, "manifests");
  mkdirSync(dir);
  const source = new DirectorySource({ dir, stateDir: join(root, "state"), rescanMs: 60_000 });
  const publisher = new RecordingPublisher();
  const registry = new FakeRegistry();
  const metrics = new ApiMetrics();
  const app = buildApi({
    source,
    publisher,
    registry,
    metrics,
    config: { tokens: TOKENS, ...config },
    clock: () => NOW,
  });
  await app.ready();
  return {
    app,
    source,
    publisher,
    registry,
    metrics,
    dir,
    close: async () => {
      await app.close();
      await source.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export const auth = { authorization: TOKEN };
