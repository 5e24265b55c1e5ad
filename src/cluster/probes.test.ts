import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpOk, probe, WaitFailedError, waitFor } from "./probes.ts";

describe("waitFor", () => {
  it("resolves once the check passes", async () => {
    let calls = 0;
    await waitFor(
      "third time",
      async () => (++calls >= 3 ? { ok: true } : { ok: false, last: `call ${calls}` }),
      { timeoutMs: 10_000, intervalMs: 1 },
    );
    expect(calls).toBe(3);
  });

  it("gives up after the bound, quoting the last complaint", async () => {
    const failing = waitFor("never", async () => ({ ok: false, last: "HTTP 503: not ready" }), {
      timeoutMs: 20,
      intervalMs: 5,
    });
    await expect(failing).rejects.toThrow(WaitFailedError);
    await expect(failing).rejects.toThrow(
      /never not reached after 20 ms \(last: HTTP 503: not ready\)/,
    );
  });

  it("stops early when the abort reason appears", async () => {
    let calls = 0;
    const aborted = waitFor("x", async () => ({ ok: false, last: `call ${++calls}` }), {
      timeoutMs: 60_000,
      intervalMs: 1,
      abortReason: () => (calls >= 2 ? "etcd exited" : undefined),
    });
    await expect(aborted).rejects.toThrow(/etcd exited while waiting for x/);
    expect(calls).toBe(2);
  });
});

describe("probe and httpOk", () => {
  let server: Server;
  let base = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/readyz" && req.headers.authorization === "Bearer t") res.end("ok");
      else {
        res.statusCode = 503;
        res.end("[-]poststarthook/x failed");
      }
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it("passes on 200 with the bearer token", async () => {
    expect(await httpOk(`${base}/readyz`, { bearerToken: "t" })()).toEqual({ ok: true });
  });

  it("reports the status and body otherwise", async () => {
    expect(await httpOk(`${base}/readyz`)()).toEqual({
      ok: false,
      last: "HTTP 503: [-]poststarthook/x failed",
    });
  });

  it("reports a connection error as text", async () => {
    server.closeAllConnections();
    const answer = await probe("http://127.0.0.1:1/", { timeoutMs: 1000 });
    expect(typeof answer).toBe("string");
  });
});
