import { describe, expect, it } from "vitest";
import { readiness, shutdownCheck } from "./readiness.ts";

describe("readiness", () => {
  it("is ready when every check is fine, and names each check's verdict", () => {
    let stopping = false;
    const checks = [shutdownCheck(() => stopping), { name: "nats", problem: () => undefined }];
    expect(readiness(checks)).toEqual({
      ready: true,
      body: { status: "ok", checks: { shutdown: "ok", nats: "ok" } },
    });
    stopping = true;
    expect(readiness(checks)).toEqual({
      ready: false,
      body: { status: "unavailable", checks: { shutdown: "shutting down", nats: "ok" } },
    });
  });

  it("is ready with no checks at all", () => {
    expect(readiness([]).ready).toBe(true);
  });
});
