import { describe, expect, it } from "vitest";
import { apiErrorMessage, isConflict, isNotFound, isRetryable, microTime } from "./kube-client.ts";

const apiError = (code: number, message = "m") =>
  Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify({ message }) });

describe("API error helpers", () => {
  it("tell not-found, conflicts and retryable answers apart", () => {
    expect(isNotFound(apiError(404))).toBe(true);
    expect(isConflict(apiError(409))).toBe(true);
    expect(isConflict(apiError(404))).toBe(false);
    for (const code of [429, 500, 503]) expect(isRetryable(apiError(code))).toBe(true);
    expect(isRetryable(new Error("connect ECONNREFUSED"))).toBe(true);
    for (const code of [400, 403, 404, 409, 422]) expect(isRetryable(apiError(code))).toBe(false);
  });

  it("prefers the API server's message", () => {
    expect(apiErrorMessage(apiError(422, "spec.webhook: Required value"))).toBe(
      "spec.webhook: Required value",
    );
    expect(apiErrorMessage(new Error("plain"))).toBe("plain");
  });
});

describe("microTime", () => {
  it("has exactly six fractional digits, as metav1.MicroTime parses", () => {
    expect(microTime(new Date("2026-01-02T03:04:05.678Z"))).toBe("2026-01-02T03:04:05.678000Z");
  });
});
