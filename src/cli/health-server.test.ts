import { afterEach, describe, expect, it } from "vitest";
import { type HealthServer, probeAnswer, startHealthServer } from "./health-server.ts";

const failing = { name: "nats", problem: () => "NATS is disconnected (reconnecting)" };
const fine = { name: "server", problem: () => undefined };

describe("probeAnswer", () => {
  it("is live regardless of the checks", () => {
    expect(probeAnswer("/healthz", [failing])).toEqual({ code: 200, body: { status: "ok" } });
  });

  it("is ready only when every check passes, and says which failed", () => {
    expect(probeAnswer("/readyz", [fine]).code).toBe(200);
    expect(probeAnswer("/readyz", [fine, failing])).toEqual({
      code: 503,
      body: {
        status: "unavailable",
        checks: { server: "ok", nats: "NATS is disconnected (reconnecting)" },
      },
    });
  });

  it("answers 404 elsewhere", () => {
    expect(probeAnswer("/metrics", []).code).toBe(404);
  });
});

describe("startHealthServer", () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("serves the probes over HTTP on loopback", async () => {
    let problem: string | undefined;
    server = await startHealthServer("127.0.0.1", 0, [{ name: "nats", problem: () => problem }]);
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    problem = "the NATS connection is closed";
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ checks: { nats: "the NATS connection is closed" } });
  });

  it("reports a port it cannot open with a typed error", async () => {
    server = await startHealthServer("127.0.0.1", 0, []);
    await expect(startHealthServer("127.0.0.1", server.port, [])).rejects.toThrow(
      /health port 127.0.0.1:\d+ cannot be opened/,
    );
  });
});
