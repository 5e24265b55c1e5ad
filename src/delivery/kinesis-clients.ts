// The AWS SDK side of the Kinesis channel, imported only when a Kinesis subscription first delivers
// (other commands do not pay for loading the SDK). One KinesisClient per distinct (region, endpoint,
// credentials identity), reused by every subscription that shares them: its keep-alive sockets and
// cached credentials. Assumed-role credentials come from STS and are cached and refreshed by the
// client (5 minutes before they expire). A client unused for a while is closed.

import { createHash } from "node:crypto";
import {
  KinesisClient,
  type KinesisClientConfig,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { KinesisRecord } from "../controller/records.ts";
import { describeError } from "./errors.ts";
import type { PutRecordsResultEntry } from "./kinesis-outcome.ts";
import type { KinesisEntry } from "./kinesis-records.ts";

export interface KinesisClientsOptions {
  readonly connectTimeoutMs: number;
  readonly idleMs: number;
  readonly roleSessionName: string;
  readonly assumeRoleDurationSeconds: number;
  /** Bound on one STS call (assume-role). */
  readonly stsRequestTimeoutMs: number;
  readonly now?: () => number;
}

/** Assuming the subscription's role failed (STS refused, or the base credentials are missing). */
export class AssumeRoleError extends Error {
  readonly roleArn: string;

  constructor(roleArn: string, message: string, options?: ErrorOptions) {
    super(`assuming role ${roleArn}: ${message}`, options);
    this.name = "AssumeRoleError";
    this.roleArn = roleArn;
  }
}

/** A client bound to one identity: what the channel's targets call. */
export interface KinesisPutter {
  putRecords(
    stream: string,
    entries: readonly KinesisEntry[],
    signal: AbortSignal,
  ): Promise<readonly PutRecordsResultEntry[] | undefined>;
}

interface Entry {
  readonly client: KinesisClient;
  /** The STS client's connections, when a role is assumed. */
  readonly stsHandler: NodeHttpHandler | undefined;
  readonly putter: KinesisPutter;
  lastUsed: number;
  inFlight: number;
}

export class KinesisClients {
  readonly #opts: KinesisClientsOptions;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(opts: KinesisClientsOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** Clients open right now (tests, metrics). */
  get size(): number {
    return this.#entries.size;
  }

  /** The client for these settings, made on first use. */
  get(settings: KinesisRecord): KinesisPutter {
    const now = this.#now();
    this.#sweep(now);
    const key = identityKey(settings);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = this.#create(settings);
      this.#entries.set(key, entry);
    }
    entry.lastUsed = now;
    return entry.putter;
  }

  /** Closes every client (their sockets; requests in flight fail). */
  close(): void {
    for (const e of this.#entries.values()) destroyEntry(e);
    this.#entries.clear();
  }

  #sweep(now: number): void {
    for (const [key, e] of this.#entries) {
      if (e.inFlight === 0 && now - e.lastUsed > this.#opts.idleMs) {
        destroyEntry(e);
        this.#entries.delete(key);
      }
    }
  }

  #create(settings: KinesisRecord): Entry {
    const requestHandler = new NodeHttpHandler({
      connectionTimeout: this.#opts.connectTimeoutMs,
    });
    const config: KinesisClientConfig = {
      region: settings.region,
      // HTTP/1.1 with keep-alive: the SDK's default HTTP/2 handler (for SubscribeToShard) opens a
      // session per concurrent request, and local servers speak HTTP/1.1 only.
      requestHandler,
      // The worker retries, with the subscription's backoff, and counts the attempts.
      maxAttempts: 1,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    };
    const stsHandler = settings.roleArn
      ? new NodeHttpHandler({
          connectionTimeout: this.#opts.connectTimeoutMs,
          // The subscription's timeout bounds the PutRecords request, not this call it waits for.
          requestTimeout: this.#opts.stsRequestTimeoutMs,
        })
      : undefined;
    const credentials = credentialsFor(settings, this.#opts, stsHandler);
    if (credentials) config.credentials = credentials;
    const client = new KinesisClient(config);
    const entry: Entry = {
      client,
      stsHandler,
      lastUsed: this.#now(),
      inFlight: 0,
      putter: {
        putRecords: async (stream, entries, signal) => {
          entry.inFlight++;
          try {
            const out = await client.send(
              new PutRecordsCommand({
                ...(stream.startsWith("arn:") ? { StreamARN: stream } : { StreamName: stream }),
                Records: entries.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey })),
              }),
              { abortSignal: signal },
            );
            return out.Records;
          } finally {
            entry.inFlight--;
            entry.lastUsed = this.#now();
          }
        },
      },
    };
    return entry;
  }
}

/**
 * The credentials of a client: static ones from the Secret, assumed-role ones on top of the Secret's
 * or the default chain's, or undefined for the default chain itself (the SDK's own default).
 */
function credentialsFor(
  settings: KinesisRecord,
  opts: KinesisClientsOptions,
  stsHandler: NodeHttpHandler | undefined,
): KinesisClientConfig["credentials"] {
  const base = settings.credentials;
  if (!settings.roleArn) return base;
  const roleArn = settings.roleArn;
  const assume = fromTemporaryCredentials({
    ...(base ? { masterCredentials: base } : {}),
    params: {
      RoleArn: roleArn,
      RoleSessionName: opts.roleSessionName,
      DurationSeconds: opts.assumeRoleDurationSeconds,
      ...(settings.externalId ? { ExternalId: settings.externalId } : {}),
    },
    // STS in the stream's region; a local server (endpoint override) serves STS too.
    clientConfig: {
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(stsHandler ? { requestHandler: stsHandler } : {}),
    },
  });
  const provider: typeof assume = async (props) => {
    try {
      return await assume(props);
    } catch (err) {
      throw new AssumeRoleError(roleArn, describeError(err), { cause: err });
    }
  };
  return provider;
}

function destroyEntry(e: Entry): void {
  e.client.destroy();
  e.stsHandler?.destroy();
}

/** What makes two subscriptions' clients interchangeable. Secrets enter only as a digest. */
export function identityKey(s: KinesisRecord): string {
  const c = s.credentials;
  const base = c
    ? `${c.accessKeyId}:${createHash("sha256")
        .update(`${c.secretAccessKey}\0${c.sessionToken ?? ""}`)
        .digest("hex")}`
    : "default-chain";
  return JSON.stringify([s.region, s.endpoint ?? "", base, s.roleArn ?? "", s.externalId ?? ""]);
}
