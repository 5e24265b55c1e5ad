import { describe, expect, it } from "vitest";
import { ChannelConfigError } from "./errors.ts";
import {
  describeSdkError,
  kinesisErrorOutcome,
  putRecordsOutcomes,
  recordErrorOutcome,
} from "./kinesis-outcome.ts";
import { SUCCESS } from "./outcome.ts";

/** An error shaped like the SDK's service exceptions. */
function sdkError(name: string, status: number | undefined, message = `${name} happened`): Error {
  const e = new Error(message);
  e.name = name;
  Object.assign(e, { $metadata: status === undefined ? {} : { httpStatusCode: status } });
  return e;
}

// The partial failure example of the PutRecords API reference.
const PARTIAL = {
  FailedRecordCount: 2,
  Records: [
    {
      SequenceNumber: "49543463076548007577105092703039560359975228518395012686",
      ShardId: "shardId-000000000000",
    },
    {
      ErrorCode: "ProvisionedThroughputExceededException",
      ErrorMessage:
        "Rate exceeded for shard shardId-000000000001 in stream exampleStreamName under account 111111111111.",
    },
    { ErrorCode: "InternalFailure", ErrorMessage: "Internal service failure." },
  ],
};

describe("putRecordsOutcomes", () => {
  it("retries only the failed records of a partial failure", () => {
    const out = putRecordsOutcomes("kinesis PutRecords", 3, PARTIAL.Records);
    expect(out[0]).toBe(SUCCESS);
    expect(out[1]).toEqual({
      kind: "retry",
      error: expect.stringContaining("ProvisionedThroughputExceededException: Rate exceeded"),
    });
    expect(out[2]).toEqual({
      kind: "retry",
      error: "kinesis PutRecords: InternalFailure: Internal service failure.",
    });
  });

  it("dead-letters records failed for good, retries unknown codes", () => {
    const out = putRecordsOutcomes("k", 3, [
      { ErrorCode: "KMSAccessDeniedException", ErrorMessage: "no" },
      { ErrorCode: "SomethingNew" },
      { SequenceNumber: "1" },
    ]);
    expect(out.map((o) => o.kind)).toEqual(["permanent", "retry", "success"]);
  });

  it("retries everything when the answer does not match the request", () => {
    expect(putRecordsOutcomes("k", 2, undefined).map((o) => o.kind)).toEqual(["retry", "retry"]);
    expect(putRecordsOutcomes("k", 2, [{ SequenceNumber: "1" }])[1]).toEqual({
      kind: "retry",
      error: "k: answer has 1 results for 2 records",
    });
    expect(putRecordsOutcomes("k", 1, [{}])[0]!.kind).toBe("retry");
  });
});

describe("kinesisErrorOutcome", () => {
  it.each([
    ["ProvisionedThroughputExceededException", 400],
    ["LimitExceededException", 400],
    ["KMSThrottlingException", 400],
    ["InternalFailure", 500],
    ["ServiceUnavailable", 503],
    ["ResourceNotFoundException", 400],
    ["ResourceInUseException", 400],
    ["ExpiredTokenException", 400],
    ["SomeNewServerError", 502],
    ["SomeThrottle", 429],
  ])("retries %s (HTTP %s)", (name, status) => {
    expect(kinesisErrorOutcome("k", sdkError(name, status)).kind).toBe("retry");
  });

  it.each([
    ["AccessDeniedException", 400],
    ["UnrecognizedClientException", 400],
    ["InvalidSignatureException", 400],
    ["ValidationException", 400],
    ["InvalidArgumentException", 400],
    ["KMSDisabledException", 400],
    ["AccessDenied", 403],
    ["SomeNewClientError", 400],
  ])("dead-letters %s (HTTP %s)", (name, status) => {
    expect(kinesisErrorOutcome("k", sdkError(name, status)).kind).toBe("permanent");
  });

  it("retries network errors, timeouts, aborts and missing default credentials", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
      code: "ECONNREFUSED",
    });
    expect(kinesisErrorOutcome("k", refused)).toEqual({
      kind: "retry",
      error: "k: connect ECONNREFUSED 127.0.0.1:1",
    });
    for (const name of ["TimeoutError", "AbortError", "CredentialsProviderError"]) {
      expect(kinesisErrorOutcome("k", sdkError(name, undefined)).kind).toBe("retry");
    }
  });

  it("finds the service's answer behind a wrapper, and keeps the wrapper's words", () => {
    const sts = sdkError("AccessDenied", 403, "not authorized to perform sts:AssumeRole");
    const wrapped = new Error("assuming role arn:aws:iam::1:role/r: denied", { cause: sts });
    expect(kinesisErrorOutcome("k", wrapped)).toEqual({
      kind: "permanent",
      error:
        "k: assuming role arn:aws:iam::1:role/r: denied (HTTP 403: AccessDenied: not authorized to perform sts:AssumeRole)",
    });
    const sts5xx = new Error("assuming role r", { cause: sdkError("InternalFailure", 500) });
    expect(kinesisErrorOutcome("k", sts5xx).kind).toBe("retry");
  });

  it("dead-letters config errors, and reads an unparsable error answer by its status", () => {
    expect(kinesisErrorOutcome("k", new ChannelConfigError("s1", "bad")).kind).toBe("permanent");
    const unparsed = sdkError("SyntaxError", 403, "Unexpected token '<' … Deserialization error");
    expect(kinesisErrorOutcome("k", unparsed)).toEqual({
      kind: "permanent",
      error: "k: HTTP 403: unreadable error answer",
    });
    expect(describeSdkError(sdkError("InternalFailure", 500, "boom"))).toBe(
      "HTTP 500: InternalFailure: boom",
    );
  });

  it("reads per-record codes with the same lists", () => {
    expect(recordErrorOutcome("k", "AccessDeniedException", undefined)).toEqual({
      kind: "permanent",
      error: "k: AccessDeniedException",
    });
  });
});
