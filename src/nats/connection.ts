// Connecting to NATS the same way from every process: settings from options, else the environment
// (NATS_URL, NATS_CREDS, NATS_TOKEN, NATS_USER / NATS_PASSWORD), always with `noAsyncTraces` — without
// it every JetStream publish and ack builds an Error for a stack trace (shared notes/performance.md).

import { readFile } from "node:fs/promises";
import {
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
} from "@nats-io/transport-node";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

export interface NatsSettings {
  /** Comma-separated server URLs. */
  readonly url?: string;
  /** A .creds file (JWT + nkey seed). */
  readonly credsFile?: string;
  readonly token?: string;
  readonly user?: string;
  readonly password?: string;
}

/** Settings from the environment, for processes started without flags. */
export function natsSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): NatsSettings {
  return {
    ...(env.NATS_URL ? { url: env.NATS_URL } : {}),
    ...(env.NATS_CREDS ? { credsFile: env.NATS_CREDS } : {}),
    ...(env.NATS_TOKEN ? { token: env.NATS_TOKEN } : {}),
    ...(env.NATS_USER ? { user: env.NATS_USER } : {}),
    ...(env.NATS_PASSWORD ? { password: env.NATS_PASSWORD } : {}),
  };
}

export async function connectNats(
  name: string,
  settings: NatsSettings = natsSettingsFromEnv(),
): Promise<NatsConnection> {
  const opts: ConnectionOptions = {
    name,
    servers: (settings.url ?? DEFAULT_NATS_URL).split(",").map((s) => s.trim()),
    noAsyncTraces: true,
    maxReconnectAttempts: -1,
  };
  if (settings.credsFile)
    opts.authenticator = credsAuthenticator(await readFile(settings.credsFile));
  if (settings.token) opts.token = settings.token;
  if (settings.user) {
    opts.user = settings.user;
    if (settings.password) opts.pass = settings.password;
  }
  return connect(opts);
}
