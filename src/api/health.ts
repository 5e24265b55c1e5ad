// /healthz: the process answers (liveness). /readyz: it can do its job — NATS connected, the registry
// watch alive, not shutting down (readiness: a load balancer stops sending traffic when it fails).

import type { FastifyPluginAsync } from "fastify";
import { type ReadinessCheck, readiness } from "../health/readiness.ts";

export interface HealthOptions {
  readonly checks: readonly ReadinessCheck[];
}

const checksSchema = {
  type: "object",
  properties: {
    status: { type: "string", enum: ["ok", "unavailable"] },
    checks: {
      type: "object",
      additionalProperties: { type: "string" },
      description: 'Each check: "ok" or what is wrong.',
    },
  },
} as const;

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  app.get(
    "/healthz",
    {
      schema: {
        summary: "Liveness",
        tags: ["operations"],
        response: {
          200: { type: "object", properties: { status: { type: "string", enum: ["ok"] } } },
        },
      },
    },
    async () => ({ status: "ok" }),
  );

  app.get(
    "/readyz",
    {
      schema: {
        summary: "Readiness: NATS connected, registry loaded, not shutting down",
        tags: ["operations"],
        response: { 200: checksSchema, 503: checksSchema },
      },
    },
    async (_request, reply) => {
      const { ready, body } = readiness(opts.checks);
      reply.code(ready ? 200 : 503);
      return body;
    },
  );
};
