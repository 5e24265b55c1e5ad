// The OpenAPI document, generated from the route schemas (the same schemas validate requests and
// serialise responses), served at /openapi.json.

import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { SECURITY_SCHEMES } from "./auth.ts";

export const OPENAPI_PATH = "/openapi.json";

export interface OpenApiOptions {
  readonly version: string;
}

/** Registers the generator; must come before the routes (it collects them as they are added). */
export const openApiPlugin = fp(
  async (app: FastifyInstance, opts: OpenApiOptions) => {
    await app.register(swagger, {
      openapi: {
        openapi: "3.1.0",
        info: {
          title: "segwatch API",
          version: opts.version,
          description:
            "Real-time segment entry/exit triggers: collect events, manage segments and subscriptions (the Lytics-style REST dialect). Every error has the body `{status, code, message, errors?}`; branch on `code`.",
        },
        tags: [
          { name: "collect", description: "Event ingestion." },
          { name: "segments", description: "SegmentQL audiences (Segment resources)." },
          {
            name: "subscriptions",
            description: "Triggers on segment entry/exit (Subscription resources).",
          },
          { name: "operations", description: "Health, readiness, metrics, this document." },
        ],
        components: { securitySchemes: SECURITY_SCHEMES },
      },
      refResolver: {
        // Shared schemas keep their $id as their component name (ApiError, Segment, Subscription).
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === "string" ? json.$id : `def-${i}`,
      },
    });
    app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
  },
  { name: "segwatch-openapi", fastify: "5.x" },
);
