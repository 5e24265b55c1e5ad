import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DirectorySource } from "../resources/directory-source.ts";
import { buildApi, redactKey } from "./app.ts";
import { API_ERRORS } from "./errors.ts";
import {
  auth,
  FakeRegistry,
  RecordingPublisher,
  type TestApi,
  TOKEN,
  testApi,
} from "./test-support.ts";

let t: TestApi;
beforeEach(async () => {
  t = await testApi();
});
afterEach(async () => {
  await t.close();
});

describe("operational routes (public)", () => {
  it("/healthz answers", async () => {
    const res = await t.app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
  });

  it("/readyz reports each check, 503 when one fails", async () => {
    expect((await t.app.inject({ method: "GET", url: "/readyz" })).json()).toEqual({
      status: "ok",
      checks: {},
    });
    let down = true;
    const app = buildApi({
      source: t.source,
      publisher: new RecordingPublisher(),
      registry: new FakeRegistry(),
      readiness: [{ name: "nats", problem: () => (down ? "NATS is disconnected" : undefined) }],
    });
    const res = await app.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: "unavailable",
      checks: { nats: "NATS is disconnected" },
    });
    down = false;
    expect((await app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
    await app.close();
  });

  it("/metrics counts requests by route pattern and status", async () => {
    await t.app.inject({ method: "GET", url: "/api/segment", headers: auth });
    await t.app.inject({ method: "GET", url: "/api/segment" });
    await t.app.inject({ method: "GET", url: "/nowhere" });
    const res = await t.app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toMatch(
      /segwatch_api_requests_total\{method="GET",route="\/api\/segment",status="200"\} 1/,
    );
    expect(res.body).toMatch(
      /segwatch_api_requests_total\{method="GET",route="\/api\/segment",status="401"\} 1/,
    );
    expect(res.body).toMatch(
      /segwatch_api_requests_total\{method="GET",route="unmatched",status="404"\} 1/,
    );
    expect(res.body).toMatch(
      /segwatch_api_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/segment",status="200"\}/,
    );
    expect(res.body).toMatch(/segwatch_collect_publishes_in_flight 0/);
  });

  it("an unknown route is a 404 in the catalogue's shape, without echoing the query", async () => {
    const res = await t.app.inject({ method: "GET", url: `/api/nothing?key=${TOKEN}` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      status: 404,
      code: "route_not_found",
      message: "no route GET /api/nothing",
    });
  });
});

describe("/openapi.json", () => {
  it("documents every route from its schemas, with the shared error body and the token schemes", async () => {
    const res = await t.app.inject({ method: "GET", url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.components.schemas).sort()).toEqual([
      "ApiError",
      "Segment",
      "Subscription",
    ]);
    expect(doc.components.schemas.ApiError.properties.code.enum).toEqual(Object.keys(API_ERRORS));
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["apiKeyQuery", "apiToken"]);
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(
      ([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );
    expect(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual([
      "DELETE /api/segment/{id}",
      "DELETE /api/subscription/{id}",
      "GET /api/segment",
      "GET /api/segment/{id}",
      "GET /api/subscription",
      "GET /api/subscription/{id}",
      "GET /api/subscription/{id}/deadletters",
      "GET /healthz",
      "GET /metrics",
      "GET /readyz",
      "POST /api/segment",
      "POST /api/subscription",
      "POST /api/subscription/{id}/deadletters/replay",
      "POST /collect/json/{stream}",
    ]);
    for (const { path, op } of operations) {
      expect(op.summary, path).toEqual(expect.any(String));
      expect(op.responses["200"], path).toBeDefined();
      if (path.startsWith("/api") || path.startsWith("/collect")) {
        expect(op.security, path).toEqual([{ apiToken: [] }, { apiKeyQuery: [] }]);
        expect(op.responses["401"].content["application/json"].schema).toEqual({
          $ref: "#/components/schemas/ApiError",
        });
      }
    }
    const collect = doc.paths["/collect/json/{stream}"].post;
    expect(Object.keys(collect.requestBody.content)).toContain("application/x-ndjson");
    expect(collect.requestBody.content["application/json"].schema.oneOf).toHaveLength(2);
    expect(collect.responses["413"]).toBeDefined();
    expect(Object.keys(doc.paths["/api/segment"].post.requestBody.content)).toEqual(["text/plain"]);
    const subBody =
      doc.paths["/api/subscription"].post.requestBody.content["application/json"].schema;
    expect(subBody.additionalProperties).toBe(false);
    expect(subBody.required).toEqual(["channel", "name"]);
    for (const f of [
      "webhook_url",
      "segment_ids",
      "withbackfill",
      "role_arn",
      "identifier_field",
      "segmentio_writekey",
    ])
      expect(subBody.properties[f], f).toBeDefined();
  });
});

describe("buildApi", () => {
  it("needs somewhere to publish", () => {
    const source = new DirectorySource({ dir: "/nonexistent" });
    expect(() => buildApi({ source, registry: new FakeRegistry() })).toThrow(
      /publisher or a NATS connection/,
    );
  });

  it("answers 401 everywhere but the public routes when no token is configured", async () => {
    const app = buildApi({
      source: t.source,
      publisher: new RecordingPublisher(),
      registry: new FakeRegistry(),
    });
    expect(
      (await app.inject({ method: "GET", url: "/api/segment", headers: auth })).statusCode,
    ).toBe(401);
    expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    await app.close();
  });
});

describe("redactKey", () => {
  it("hides the token in logged URLs", () => {
    expect(redactKey("/api/segment?key=secret&x=1")).toBe("/api/segment?key=[redacted]&x=1");
    expect(redactKey("/a?b=1&key=s")).toBe("/a?b=1&key=[redacted]");
  });
});

describe("publicRoutes", () => {
  it("serves extra route plugins without a token, with the shared error catalogue", async () => {
    const app = buildApi({
      source: t.source,
      publisher: new RecordingPublisher(),
      registry: new FakeRegistry(),
      publicRoutes: [
        async (a) => {
          a.get("/dev/ping", { schema: { summary: "ping" } }, async () => ({ pong: true }));
        },
      ],
    });
    expect((await app.inject({ method: "GET", url: "/dev/ping" })).json()).toEqual({ pong: true });
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(doc.paths["/dev/ping"]).toBeDefined();
    await app.close();
  });
});
