import { describe, expect, it } from "vitest";
import { ChannelConfigError, TargetRefusedError } from "./errors.ts";
import {
  combineOutcomes,
  errorOutcome,
  isRetryableStatus,
  permanent,
  responseOutcome,
  retry,
  SUCCESS,
} from "./outcome.ts";

const now = Date.parse("2026-03-01T12:00:00Z");

describe("responseOutcome", () => {
  it("takes every 2xx as delivered", () => {
    for (const s of [200, 201, 202, 204, 299]) {
      expect(responseOutcome("webhook", s, undefined, "", now)).toBe(SUCCESS);
    }
  });

  it("retries 408, 429 and 5xx, with Retry-After when given", () => {
    expect(isRetryableStatus(408)).toBe(true);
    expect(responseOutcome("webhook", 503, undefined, "down for maintenance\n", now)).toEqual({
      kind: "retry",
      error: "webhook: HTTP 503: down for maintenance",
    });
    expect(responseOutcome("webhook", 429, "3", "", now)).toEqual({
      kind: "retry",
      error: "webhook: HTTP 429",
      retryAfterMs: 3_000,
    });
    expect(responseOutcome("webhook", 503, "Sun, 01 Mar 2026 12:01:00 GMT", "", now)).toMatchObject(
      { kind: "retry", retryAfterMs: 60_000 },
    );
    expect(responseOutcome("webhook", 500, "garbage", "", now)).not.toHaveProperty("retryAfterMs");
  });

  it("dead-letters other 4xx, redirects and informational answers", () => {
    for (const s of [400, 401, 403, 404, 410, 413, 422, 301, 302, 307, 101]) {
      expect(responseOutcome("webhook", s, "5", "", now).kind).toBe("permanent");
    }
    expect(responseOutcome("webhook", 404, undefined, "no such hook", now)).toEqual({
      kind: "permanent",
      error: "webhook: HTTP 404: no such hook",
    });
  });
});

describe("errorOutcome", () => {
  const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

  it("retries timeouts and connection errors", () => {
    for (const code of [
      "UND_ERR_HEADERS_TIMEOUT",
      "UND_ERR_BODY_TIMEOUT",
      "UND_ERR_CONNECT_TIMEOUT",
      "UND_ERR_SOCKET",
      "ECONNREFUSED",
      "ECONNRESET",
      "ENOTFOUND",
      "EAI_AGAIN",
    ]) {
      expect(errorOutcome("webhook", coded(code, "boom")).kind).toBe("retry");
    }
    expect(errorOutcome("webhook", coded("ECONNREFUSED", "connect ECONNREFUSED"))).toEqual({
      kind: "retry",
      error: "webhook: connect ECONNREFUSED",
    });
  });

  it("dead-letters a refused target, even wrapped", () => {
    const refused = new TargetRefusedError("internal.test", "10.0.0.1", "private");
    const wrapped = new Error("fetch failed", { cause: new AggregateError([refused]) });
    const o = errorOutcome("webhook", wrapped);
    expect(o.kind).toBe("permanent");
    expect(o).toMatchObject({
      error: expect.stringContaining("internal.test (10.0.0.1) refused: private"),
    });
  });

  it("dead-letters invalid requests and broken configs", () => {
    expect(errorOutcome("webhook", coded("UND_ERR_INVALID_ARG", "invalid header")).kind).toBe(
      "permanent",
    );
    expect(errorOutcome("webhook", new ChannelConfigError("s1", "no webhook URL")).kind).toBe(
      "permanent",
    );
  });

  it("describes non-errors", () => {
    expect(errorOutcome("webhook", "weird")).toEqual({ kind: "retry", error: "webhook: weird" });
  });
});

describe("combineOutcomes", () => {
  it("is success only when every part succeeded", () => {
    expect(combineOutcomes([SUCCESS, SUCCESS])).toBe(SUCCESS);
    expect(combineOutcomes([])).toBe(SUCCESS);
  });

  it("retries when a part must, after the longest Retry-After", () => {
    expect(combineOutcomes([SUCCESS, retry("b", 2_000), retry("c", 5_000)])).toEqual({
      kind: "retry",
      error: "b; c",
      retryAfterMs: 5_000,
    });
    expect(combineOutcomes([retry("a"), SUCCESS])).toEqual({ kind: "retry", error: "a" });
  });

  it("is permanent when a part is", () => {
    expect(combineOutcomes([retry("a", 1), permanent("b")])).toEqual(permanent("b"));
  });
});

describe("error text", () => {
  it("names the code when the message does not", () => {
    const err = Object.assign(new Error("Headers Timeout Error"), {
      code: "UND_ERR_HEADERS_TIMEOUT",
    });
    expect(errorOutcome("webhook", err)).toEqual({
      kind: "retry",
      error: "webhook: UND_ERR_HEADERS_TIMEOUT: Headers Timeout Error",
    });
  });
});
