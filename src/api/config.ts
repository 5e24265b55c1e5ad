// Settings of `segwatch api`: which tokens open which namespace (a namespace is an account), limits,
// and the partition count, which must equal the evaluators' (an event's partition is a hash of its
// user modulo the count). From the environment for the CLI; tests and `segwatch dev` pass them.

import { createHash } from "node:crypto";
import { DEFAULT_PARTITIONS } from "../profile/identity.ts";
import { validateName } from "../resources/validation.ts";
import {
  DEFAULT_API_HOST,
  DEFAULT_API_PORT,
  DEFAULT_BODY_LIMIT,
  DEFAULT_PUBLISH_WINDOW,
  DEFAULT_TOKEN_NAMESPACE,
} from "./defaults.ts";

export interface ApiConfig {
  /** API token → namespace. */
  readonly tokens: ReadonlyMap<string, string>;
  /** Largest request body, in bytes (413 above). */
  readonly bodyLimit: number;
  /** Event partitions (must match the evaluators'). */
  readonly partitions: number;
  /** JetStream publishes awaiting their ack across all requests. */
  readonly publishWindow: number;
}

export interface ListenConfig {
  readonly host: string;
  readonly port: number;
}

export class ApiConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApiConfigError";
  }
}

/** Fills in defaults and checks the values. */
export function apiConfig(partial: Partial<ApiConfig> = {}): ApiConfig {
  const config: ApiConfig = {
    tokens: partial.tokens ?? new Map(),
    bodyLimit: partial.bodyLimit ?? DEFAULT_BODY_LIMIT,
    partitions: partial.partitions ?? DEFAULT_PARTITIONS,
    publishWindow: partial.publishWindow ?? DEFAULT_PUBLISH_WINDOW,
  };
  positiveInteger("bodyLimit", config.bodyLimit);
  positiveInteger("partitions", config.partitions);
  positiveInteger("publishWindow", config.publishWindow);
  for (const [token, namespace] of config.tokens) checkToken(token, namespace);
  return config;
}

/**
 * SEGWATCH_API_TOKENS ("tok1=acme,tok2=beta") and/or SEGWATCH_API_TOKEN (one token for namespace
 * "default"); SEGWATCH_API_BODY_LIMIT (bytes); SEGWATCH_PARTITIONS; SEGWATCH_API_HOST and
 * SEGWATCH_API_PORT.
 */
export function apiConfigFromEnv(env: NodeJS.ProcessEnv = process.env): {
  config: ApiConfig;
  listen: ListenConfig;
} {
  const tokens = parseTokens(env.SEGWATCH_API_TOKENS ?? "");
  const single = env.SEGWATCH_API_TOKEN?.trim();
  if (single) {
    const other = tokens.get(single);
    if (other !== undefined && other !== DEFAULT_TOKEN_NAMESPACE)
      throw new ApiConfigError(
        `SEGWATCH_API_TOKEN is also in SEGWATCH_API_TOKENS for namespace "${other}"`,
      );
    tokens.set(single, DEFAULT_TOKEN_NAMESPACE);
  }
  const config = apiConfig({
    tokens,
    ...optionalInt(env, "SEGWATCH_API_BODY_LIMIT", "bodyLimit"),
    ...optionalInt(env, "SEGWATCH_PARTITIONS", "partitions"),
  });
  const port = env.SEGWATCH_API_PORT ? integer("SEGWATCH_API_PORT", env.SEGWATCH_API_PORT) : null;
  if (port !== null && (port < 0 || port > 65_535))
    throw new ApiConfigError(`SEGWATCH_API_PORT must be a port number, got ${port}`);
  return {
    config,
    listen: { host: env.SEGWATCH_API_HOST || DEFAULT_API_HOST, port: port ?? DEFAULT_API_PORT },
  };
}

/** "tok1=acme, tok2=beta" → Map. Whitespace around entries is ignored; empty entries are skipped. */
export function parseTokens(text: string): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const entry of text.split(",")) {
    const trimmed = entry.trim();
    if (trimmed === "") continue;
    const eq = trimmed.lastIndexOf("=");
    if (eq <= 0 || eq === trimmed.length - 1)
      throw new ApiConfigError(
        `SEGWATCH_API_TOKENS: "${redact(trimmed)}" is not token=namespace (e.g. "tok1=acme,tok2=beta")`,
      );
    const token = trimmed.slice(0, eq).trim();
    const namespace = trimmed.slice(eq + 1).trim();
    checkToken(token, namespace);
    const before = tokens.get(token);
    if (before !== undefined && before !== namespace)
      throw new ApiConfigError(
        `SEGWATCH_API_TOKENS: a token is listed for both "${before}" and "${namespace}"`,
      );
    tokens.set(token, namespace);
  }
  return tokens;
}

/**
 * A short, stable, non-reversible name for a token: what logs and the brief's `user_id` show instead
 * of the token itself.
 */
export function tokenFingerprint(token: string): string {
  return createHash("sha256")
    .update("segwatch-api-token\u0000")
    .update(token)
    .digest("hex")
    .slice(0, 32);
}

function checkToken(token: string, namespace: string): void {
  if (token === "" || /[\s,]/.test(token))
    throw new ApiConfigError("an API token must be non-empty, without spaces or commas");
  const problems = validateName(namespace, "namespace");
  if (problems.length > 0) throw new ApiConfigError(`API token namespace: ${problems[0]!.reason}`);
}

function redact(entry: string): string {
  const eq = entry.indexOf("=");
  return eq > 0 ? `***${entry.slice(eq)}` : "***";
}

function optionalInt<K extends "bodyLimit" | "partitions">(
  env: NodeJS.ProcessEnv,
  name: string,
  key: K,
): Partial<Record<K, number>> {
  const v = env[name];
  if (v === undefined || v.trim() === "") return {};
  return { [key]: integer(name, v) } as Partial<Record<K, number>>;
}

function integer(name: string, text: string): number {
  const n = Number(text.trim());
  if (!Number.isInteger(n))
    throw new ApiConfigError(`${name} must be a whole number, got "${text}"`);
  return n;
}

function positiveInteger(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1)
    throw new ApiConfigError(`${name} must be a whole number of at least 1, got ${n}`);
}
