import { MessagingError } from "@azure/event-hubs";
import { describe, expect, it } from "vitest";
import { ChannelConfigError } from "./errors.ts";
import { EventPayloadError } from "./eventhub-events.ts";
import { eventHubErrorOutcome } from "./eventhub-outcome.ts";
import { EventHubSettingsError } from "./eventhub-settings.ts";

/** An error as the SDK's translate() makes it: a MessagingError whose code names the condition. */
function sdkError(code: string, message = `${code} happened`, extra: Record<string, unknown> = {}) {
  const e = new MessagingError(message);
  e.code = code;
  Object.assign(e, extra);
  return e;
}

const BUSY_MS = 4_000;

describe("eventHubErrorOutcome", () => {
  it.each(["ServerBusyError", "QuotaExceededError"])(
    "retries %s after the throttling wait",
    (code) => {
      expect(eventHubErrorOutcome(sdkError(code, "the namespace is throttled"), BUSY_MS)).toEqual({
        kind: "retry",
        error: `eventhub: ${code}: the namespace is throttled`,
        retryAfterMs: BUSY_MS,
      });
    },
  );

  it.each([
    "ServiceUnavailableError",
    "OperationTimeoutError",
    "InternalServerError",
    "ConnectionForcedError",
    "DetachForcedError",
    "SenderBusyError",
    "SomethingNewError",
  ])("retries %s with the usual backoff", (code) => {
    const o = eventHubErrorOutcome(sdkError(code), BUSY_MS);
    expect(o).toMatchObject({ kind: "retry" });
    expect(o).not.toHaveProperty("retryAfterMs");
  });

  it.each([
    "UnauthorizedError",
    "MessagingEntityNotFoundError",
    "MessagingEntityDisabledError",
    "MessageTooLargeError",
    "ArgumentError",
    "ArgumentOutOfRangeError",
  ])("dead-letters %s", (code) => {
    expect(eventHubErrorOutcome(sdkError(code), BUSY_MS)).toMatchObject({ kind: "permanent" });
  });

  it("retries a host name that does not resolve, but not the service's not-found", () => {
    const dns = sdkError("ServiceCommunicationError", "getaddrinfo ENOTFOUND ns", {
      syscall: "getaddrinfo",
    });
    expect(eventHubErrorOutcome(dns, BUSY_MS).kind).toBe("retry");
    expect(eventHubErrorOutcome(sdkError("ServiceCommunicationError"), BUSY_MS).kind).toBe(
      "permanent",
    );
  });

  it("retries timeouts and connection errors without an SDK code", () => {
    const abort = new Error("The operation was aborted.");
    abort.name = "AbortError";
    expect(eventHubErrorOutcome(abort, BUSY_MS).kind).toBe("retry");
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    expect(eventHubErrorOutcome(reset, BUSY_MS).kind).toBe("retry");
  });

  it("dead-letters the SDK's argument checks and this channel's own refusals", () => {
    expect(eventHubErrorOutcome(new TypeError("Missing Endpoint"), BUSY_MS).kind).toBe("permanent");
    for (const e of [
      new EventPayloadError("the payload is not JSON"),
      new EventHubSettingsError("connectionString", "no connection string"),
      new ChannelConfigError("s1", "no eventHub settings"),
    ])
      expect(eventHubErrorOutcome(e, BUSY_MS)).toEqual({
        kind: "permanent",
        error: `eventhub: ${e.message}`,
      });
  });

  it("dead-letters an AggregateError only when every member is permanent", () => {
    const permanentOnly = new AggregateError([sdkError("UnauthorizedError")], "all failed");
    expect(eventHubErrorOutcome(permanentOnly, BUSY_MS).kind).toBe("permanent");
    const mixed = new AggregateError(
      [sdkError("UnauthorizedError"), sdkError("ServerBusyError")],
      "some failed",
    );
    expect(eventHubErrorOutcome(mixed, BUSY_MS).kind).toBe("retry");
  });

  it("masks keys the SDK quotes in its messages", () => {
    const e = new TypeError(
      'The entity path "a" in connectionString: "Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=hunter2;EntityPath=a" doesn\'t match',
    );
    const o = eventHubErrorOutcome(e, BUSY_MS);
    expect(o.kind === "permanent" && o.error).not.toContain("hunter2");
  });
});
