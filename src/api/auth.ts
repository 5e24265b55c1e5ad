// API tokens: each maps to a namespace (an account), and everything a request reads or writes is in
// that namespace. The token comes as `Authorization: <token>`, `Authorization: Bearer <token>` or
// `?key=<token>`, as the brief's curl examples send it.

import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from "fastify";
import fp from "fastify-plugin";
import { tokenFingerprint } from "./config.ts";
import { ApiError } from "./errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The namespace the request's token opens ("" on public routes). */
    namespace: string;
    /** tokenFingerprint of the request's token ("" on public routes). */
    principal: string;
  }
}

/** The OpenAPI security requirement of every authenticated route. */
export const SECURITY: { [scheme: string]: readonly string[] }[] = [
  { apiToken: [] },
  { apiKeyQuery: [] },
];

export const SECURITY_SCHEMES = {
  apiToken: {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "The API token, bare or as `Bearer <token>`.",
  },
  apiKeyQuery: { type: "apiKey", in: "query", name: "key", description: "The API token." },
} as const;

/** The `key` query parameter every authenticated route accepts. */
export const KEY_QUERY_PROPERTY = {
  key: { type: "string", description: "The API token, when not sent in Authorization." },
} as const;

/** The query of a REST route: `key` only; a misspelt parameter is an error, not silently ignored. */
export const REST_QUERY = {
  type: "object",
  additionalProperties: false,
  properties: KEY_QUERY_PROPERTY,
} as const;

interface TokenEntry {
  readonly namespace: string;
  readonly principal: string;
}

/**
 * Tokens are looked up by their hash, so the time a lookup takes says nothing about how much of a
 * guessed token was right.
 */
export class TokenTable {
  private readonly byHash = new Map<string, TokenEntry>();

  constructor(tokens: ReadonlyMap<string, string>) {
    for (const [token, namespace] of tokens)
      this.byHash.set(digest(token), { namespace, principal: tokenFingerprint(token) });
  }

  resolve(token: string | undefined): TokenEntry | undefined {
    return token ? this.byHash.get(digest(token)) : undefined;
  }
}

function digest(token: string): string {
  return createHash("sha256").update(token).digest("base64");
}

/** The token a request carries, if any. */
export function requestToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === "string" && header !== "") {
    const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1] : header.trim();
  }
  const key = (request.query as { key?: unknown } | undefined)?.key;
  return typeof key === "string" && key !== "" ? key : undefined;
}

/** An onRequest hook that lets a request through only with a known token, and records its namespace. */
export function requireToken(table: TokenTable): onRequestHookHandler {
  return (request, _reply, done) => {
    const entry = table.resolve(requestToken(request));
    if (!entry) {
      done(
        new ApiError(
          "unauthorized",
          "a valid API token is required: send it as the Authorization header or the key query parameter",
        ),
      );
      return;
    }
    request.namespace = entry.namespace;
    request.principal = entry.principal;
    done();
  };
}

/** Declares the request properties the auth hook fills (once, for the whole app). */
export const authDecorations = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest("namespace", "");
    app.decorateRequest("principal", "");
  },
  { name: "segwatch-auth-decorations", fastify: "5.x" },
);
