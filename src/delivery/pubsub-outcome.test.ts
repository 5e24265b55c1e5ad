import { describe, expect, it } from "vitest";
import { GRPC_STATUS, grpcStatusName, publishErrorOutcome } from "./pubsub-outcome.ts";

const TOPIC = "projects/p-123456/topics/triggers";

/** An error as google-gax raises it: a numeric gRPC code and "<code> <NAME>: details". */
function grpcError(name: (typeof GRPC_STATUS)[number], details: string): Error {
  const code = GRPC_STATUS.indexOf(name);
  return Object.assign(new Error(`${code} ${name}: ${details}`), { code, details });
}

describe("publishErrorOutcome", () => {
  it("retries throttling, server errors and connection failures", () => {
    for (const name of [
      "UNAVAILABLE",
      "DEADLINE_EXCEEDED",
      "RESOURCE_EXHAUSTED",
      "ABORTED",
      "INTERNAL",
      "CANCELLED",
      "UNKNOWN",
    ] as const) {
      expect(publishErrorOutcome(TOPIC, grpcError(name, "busy")).kind, name).toBe("retry");
    }
  });

  it("dead-letters auth, missing topics and invalid messages, naming the topic", () => {
    for (const name of [
      "NOT_FOUND",
      "PERMISSION_DENIED",
      "INVALID_ARGUMENT",
      "UNAUTHENTICATED",
      "FAILED_PRECONDITION",
    ] as const) {
      expect(publishErrorOutcome(TOPIC, grpcError(name, "no")).kind, name).toBe("permanent");
    }
    expect(publishErrorOutcome(TOPIC, grpcError("NOT_FOUND", "Topic not found"))).toEqual({
      kind: "permanent",
      error: `pubsub: ${TOPIC}: 5 NOT_FOUND: Topic not found`,
    });
  });

  it("dead-letters a token request the identity provider refused", () => {
    const err = grpcError(
      "UNAVAILABLE",
      "Getting metadata from plugin failed with error: invalid_grant: Invalid JWT Signature.",
    );
    expect(publishErrorOutcome(TOPIC, err).kind).toBe("permanent");
    const flaky = grpcError(
      "UNAVAILABLE",
      "Getting metadata from plugin failed with error: connect ECONNREFUSED",
    );
    expect(publishErrorOutcome(TOPIC, flaky).kind).toBe("retry");
  });

  it("classifies errors without a gRPC code by HTTP status, argument errors, else retries", () => {
    const http = (status: number) =>
      Object.assign(new Error(`token request: ${status}`), { response: { status } });
    expect(publishErrorOutcome(TOPIC, http(401)).kind).toBe("permanent");
    expect(publishErrorOutcome(TOPIC, http(503)).kind).toBe("retry");
    expect(publishErrorOutcome(TOPIC, http(429)).kind).toBe("retry");
    expect(publishErrorOutcome(TOPIC, new TypeError("Data must be a Buffer")).kind).toBe(
      "permanent",
    );
    const net = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
      code: "ECONNREFUSED",
    });
    expect(publishErrorOutcome(TOPIC, net)).toEqual({
      kind: "retry",
      error: `pubsub: ${TOPIC}: connect ECONNREFUSED 127.0.0.1:1`,
    });
  });

  it("names gRPC codes only when an error carries a numeric one", () => {
    expect(grpcStatusName({ code: 14 })).toBe("UNAVAILABLE");
    expect(grpcStatusName({ code: "ECONNRESET" })).toBeUndefined();
    expect(grpcStatusName({ code: 99 })).toBeUndefined();
    expect(grpcStatusName(null)).toBeUndefined();
  });
});
