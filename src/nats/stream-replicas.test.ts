import { describe, expect, it } from "vitest";
import {
  STREAM_REPLICAS_ENV,
  StreamReplicasError,
  streamReplicasFromEnv,
  validStreamReplicas,
} from "./stream-replicas.ts";

describe("streamReplicasFromEnv", () => {
  it("is 1 when SEGWATCH_STREAM_REPLICAS is unset or empty", () => {
    expect(streamReplicasFromEnv({})).toBe(1);
    expect(streamReplicasFromEnv({ [STREAM_REPLICAS_ENV]: "" })).toBe(1);
  });

  it("reads 1 to 5", () => {
    for (const n of [1, 2, 3, 4, 5])
      expect(streamReplicasFromEnv({ [STREAM_REPLICAS_ENV]: String(n) })).toBe(n);
    expect(streamReplicasFromEnv({ [STREAM_REPLICAS_ENV]: " 3 " })).toBe(3);
  });

  it("rejects anything else, naming the setting and the value", () => {
    for (const bad of ["0", "6", "-1", "3.0", "2.5", "three", "1e1", "0x3"]) {
      const read = () => streamReplicasFromEnv({ [STREAM_REPLICAS_ENV]: bad });
      expect(read, bad).toThrow(StreamReplicasError);
      expect(read, bad).toThrow(
        `SEGWATCH_STREAM_REPLICAS must be a whole number from 1 to 5 (1 for a single nats-server, 3 for a 3-node JetStream cluster), got "${bad}"`,
      );
    }
  });
});

describe("validStreamReplicas", () => {
  it("passes 1..5 and names the given setting otherwise", () => {
    expect(validStreamReplicas(3)).toBe(3);
    expect(() => validStreamReplicas(0, "bootstrap replicas")).toThrow(
      /^bootstrap replicas must be a whole number from 1 to 5 .* got 0$/,
    );
    expect(() => validStreamReplicas(1.5)).toThrow(/SEGWATCH_STREAM_REPLICAS .* got 1\.5$/);
  });
});
