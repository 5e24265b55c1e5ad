// POST /collect/json/:stream against a real nats-server: exactly the events sent land in
// SEGWATCH_EVENTS, on their partition's subject, with the stream, time and user headers, and are
// stored by the time the 200 arrives; every kind of bad input is refused with nothing stored.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApi } from "../../src/api/app.ts";
import { EVENTS_STREAM, eventSubject, HEADER } from "../../src/nats/names.ts";
import { identityOf, partitionOf } from "../../src/profile/identity.ts";
import { type ApiEnv, apiEnv, storedCount, storedEvents } from "./api-support.ts";

const PARTITIONS = 4;
const TOKENS = new Map([
  ["tok-acme", "acme"],
  ["tok-beta", "beta"],
  ["tok-gamma", "gamma"],
  ["tok-big", "big"],
  ["tok-bad", "bad"],
]);

let env: ApiEnv;
let api: RunningApi;

beforeAll(async () => {
  env = await apiEnv();
  api = await env.start({
    config: { tokens: TOKENS, partitions: PARTITIONS, bodyLimit: 64 * 1024 },
  });
});
afterAll(async () => {
  await env?.close();
});

const collect = (
  body: string,
  opts: { token?: string; type?: string; stream?: string; query?: string } = {},
) =>
  fetch(`${api.url}/collect/json/${opts.stream ?? "demo"}${opts.query ?? ""}`, {
    method: "POST",
    headers: {
      ...(opts.token === "" ? {} : { authorization: opts.token ?? "tok-acme" }),
      ...(opts.type === "" ? {} : { "content-type": opts.type ?? "application/json" }),
    },
    body,
  });

const userKey = (id: string) => identityOf({ user_id: id }, ["user_id"])!.key;

describe("collect on a real nats-server", () => {
  it("stores the event, acked before the 200, on its partition with the headers", async () => {
    const body = '{ "paying_user":"f", "user_id":"user123"}';
    const before = Date.now();
    const res = await collect(body);
    // The 200 comes after the PubAck: the event is stored when the answer arrives.
    expect(await storedCount(env.jsm, "acme")).toBe(1);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 200,
      message: "success",
      data: { accepted: 1, stream: "demo" },
    });
    const [e] = await storedEvents(env.nc, env.jsm, "acme");
    expect(e!.subject).toBe(eventSubject("acme", partitionOf(userKey("user123"), PARTITIONS)));
    expect(e!.body).toEqual({ paying_user: "f", user_id: "user123" });
    expect(e!.headers[HEADER.stream]).toBe("demo");
    expect(e!.headers[HEADER.user]).toBe(userKey("user123"));
    const at = Date.parse(e!.headers[HEADER.receivedAt]!);
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it("stores exactly a batch's events (array and NDJSON), a user's events in order", async () => {
    const users = ["a", "b", "c", "d", "e", "f", "g", "h"];
    const events = Array.from({ length: 1_000 }, (_, i) => ({
      user_id: users[i % users.length],
      n: i,
    }));
    const half = events.length / 2;
    const arrayRes = await collect(JSON.stringify(events.slice(0, half)), { token: "tok-beta" });
    expect(((await arrayRes.json()) as any).data.accepted).toBe(half);
    const ndjson = events
      .slice(half)
      .map((e) => JSON.stringify(e))
      .join("\n");
    const ndRes = await collect(ndjson, {
      token: "tok-beta",
      type: "application/x-ndjson",
      stream: "web",
    });
    expect(((await ndRes.json()) as any).data.accepted).toBe(half);

    const stored = await storedEvents(env.nc, env.jsm, "beta");
    expect(stored).toHaveLength(events.length);
    expect(stored.map((s) => s.body).sort((x: any, y: any) => x.n - y.n)).toEqual(events);
    const partitionsUsed = new Set(stored.map((s) => s.subject));
    expect(partitionsUsed.size).toBeGreaterThan(1);
    for (const u of users) {
      const mine = stored.filter((s) => (s.body as { user_id: string }).user_id === u);
      expect(new Set(mine.map((s) => s.subject))).toEqual(
        new Set([eventSubject("beta", partitionOf(userKey(u), PARTITIONS))]),
      );
      const ns = mine.map((s) => (s.body as { n: number }).n);
      expect(ns).toEqual([...ns].sort((x, y) => x - y));
    }
    expect(stored.filter((s) => s.headers[HEADER.stream] === "web")).toHaveLength(half);
  });

  it("accepts the token as Bearer and as ?key=, and curl's default content type", async () => {
    expect((await collect('{"user_id":"k1"}', { token: "Bearer tok-gamma" })).status).toBe(200);
    expect(
      (
        await collect('{"user_id":"k2"}', {
          token: "",
          query: "?key=tok-gamma",
          type: "application/x-www-form-urlencoded",
        })
      ).status,
    ).toBe(200);
    expect((await collect('{"user_id":"k3"}', { token: "tok-gamma", type: "" })).status).toBe(200);
    expect(await storedCount(env.jsm, "gamma")).toBe(3);
  });

  it.each([
    ["no token", { token: "" }, '{"user_id":"x"}', 401, "unauthorized", undefined],
    ["a wrong token", { token: "nope" }, '{"user_id":"x"}', 401, "unauthorized", undefined],
    ["bad JSON", {}, '{"user_id": "x",, }', 400, "invalid_json", /line 1, column 17/],
    [
      "a bad NDJSON line",
      { type: "application/x-ndjson" },
      '{"user_id":"x"}\n{oops}',
      400,
      "invalid_json",
      /event 1 \(line 2\)/,
    ],
    ["a string", {}, '"user_id"', 400, "invalid_event", /a string, not a JSON object/],
    [
      "an array with a non-object",
      {},
      '[{"user_id":"x"}, []]',
      400,
      "invalid_event",
      /^event 1 is an array/,
    ],
    [
      "an event without identity",
      {},
      '[{"user_id":"x"},{"email":"y@example.com"}]',
      400,
      "missing_identity",
      /^event 1 has no identity: looked for user_id/,
    ],
    ["an empty body", {}, "", 400, "empty_body", undefined],
    [
      "a body above the limit",
      {},
      JSON.stringify({ user_id: "x", pad: "p".repeat(70_000) }),
      413,
      "payload_too_large",
      /65536 bytes/,
    ],
    [
      "a bad stream name",
      { stream: "a%20b" },
      '{"user_id":"x"}',
      400,
      "validation_failed",
      /stream/,
    ],
  ] as const)(
    "refuses %s (%i) and stores nothing",
    async (_what, opts, body, status, code, message) => {
      const res = await collect(body, { ...opts, token: "token" in opts ? opts.token : "tok-bad" });
      expect(res.status).toBe(status);
      const answer = (await res.json()) as any;
      expect(answer).toMatchObject({ status, code });
      if (message) expect(answer.message).toMatch(message);
      expect(await storedCount(env.jsm, "bad")).toBe(0);
    },
  );

  it("counts what it accepted in /metrics and is ready", async () => {
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/segwatch_collect_events_accepted_total\{namespace="beta"\} 1000/);
    expect(metrics).toMatch(
      /segwatch_collect_events_rejected_total\{namespace="bad",reason="missing_identity"\} 2/,
    );
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "ok",
      checks: { nats: "ok", "registry-watch": "ok", server: "ok" },
    });
  });

  it("answers 503 publish_failed when no stream stores the events, and recovers", async () => {
    const config = await env.jsm.streams.info(EVENTS_STREAM);
    await env.jsm.streams.delete(EVENTS_STREAM);
    try {
      const res = await collect('[{"user_id":"x"},{"user_id":"y"}]', { token: "tok-big" });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        code: "publish_failed",
        message: expect.stringMatching(/did not acknowledge 2 of 2 events/),
      });
    } finally {
      await env.jsm.streams.add(config.config);
    }
    expect((await collect('{"user_id":"x"}', { token: "tok-big" })).status).toBe(200);
  });
});

describe("stop()", () => {
  it("finishes the request in flight (its events stored), then refuses new connections", async () => {
    const second = await env.start({
      config: { tokens: new Map([["tok-stop", "stopping"]]), partitions: PARTITIONS },
    });
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ user_id: `s${i}`, i }));
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    const answer = fetch(`${second.url}/collect/json/demo`, {
      method: "POST",
      headers: { authorization: "tok-stop", "content-type": "application/x-ndjson" },
      body: readable,
      duplex: "half",
    } as RequestInit);
    await writer.write(encoder.encode(`${lines.slice(0, 100).join("\n")}\n`));
    await new Promise((r) => setTimeout(r, 200));
    const stopped = second.stop();
    await new Promise((r) => setTimeout(r, 100));
    await writer.write(encoder.encode(lines.slice(100).join("\n")));
    await writer.close();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data.accepted).toBe(200);
    await stopped;
    expect(await storedCount(env.jsm, "stopping")).toBe(200);
    await expect(fetch(`${second.url}/healthz`)).rejects.toThrow();
  });
});
