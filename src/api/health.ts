// /healthz: the process answers (liveness). /readyz: it can do its job — NATS connected, the registry
// watch alive, not shutting down (readiness: a load balancer stops sending traffic when it fails).

import type { NatsConnection } from "@nats-io/transport-node";
import type { FastifyPluginAsync } from "fastify";

export interface ReadinessCheck {
  readonly name: string;
  /** undefined when fine; otherwise what is wrong. */
  readonly problem: () => string | undefined;
}

export interface HealthOptions {
  readonly checks: readonly ReadinessCheck[];
}

/** Follows a NATS connection's status events: ready only while connected. */
export function natsConnectivity(nc: NatsConnection): ReadinessCheck & { stop(): void } {
  let connected = !nc.isClosed();
  const events = nc.status();
  void (async () => {
    try {
      for await (const s of events) {
        if (s.type === "disconnect" || s.type === "close") connected = false;
        else if (s.type === "reconnect") connected = true;
      }
    } catch {
      connected = false;
    }
  })();
  return {
    name: "nats",
    problem: () => {
      if (nc.isClosed()) return "the NATS connection is closed";
      if (!connected) return "NATS is disconnected (reconnecting)";
      return undefined;
    },
    stop: () => (events as { stop?: () => void }).stop?.(),
  };
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
      const checks: Record<string, string> = {};
      let ready = true;
      for (const c of opts.checks) {
        const problem = c.problem();
        checks[c.name] = problem ?? "ok";
        if (problem) ready = false;
      }
      reply.code(ready ? 200 : 503);
      return { status: ready ? "ok" : "unavailable", checks };
    },
  );
};
