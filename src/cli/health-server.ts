// A small HTTP listener with /healthz and /readyz for the processes that serve no HTTP API of their own
// (controller, evaluator), so that Kubernetes probes check the same things as the API's probes do.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type ReadinessCheck, readiness } from "../health/readiness.ts";

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export class HealthServerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HealthServerError";
  }
}

/** The answer of a probe path: status code and JSON body (pure, for the tests). */
export function probeAnswer(
  path: string,
  checks: readonly ReadinessCheck[],
): { code: number; body: unknown } {
  if (path === "/healthz") return { code: 200, body: { status: "ok" } };
  if (path === "/readyz") {
    const { ready, body } = readiness(checks);
    return { code: ready ? 200 : 503, body };
  }
  return { code: 404, body: { error: "not found", paths: ["/healthz", "/readyz"] } };
}

export async function startHealthServer(
  host: string,
  port: number,
  checks: readonly ReadinessCheck[],
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const { code, body } =
      req.method === "GET" || req.method === "HEAD"
        ? probeAnswer(path, checks)
        : { code: 405, body: { error: "method not allowed" } };
    res.writeHead(code, { "content-type": "application/json" });
    res.end(req.method === "HEAD" ? undefined : JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(new HealthServerError(`health port ${host}:${port} cannot be opened`, { cause: err })),
    );
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
