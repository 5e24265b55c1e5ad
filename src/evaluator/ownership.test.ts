import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OwnershipError, partitionsOfReplica, replicaOrdinal } from "./ownership.ts";

describe("replicaOrdinal", () => {
  it("reads a number or the ordinal at the end of a StatefulSet pod name", () => {
    expect(replicaOrdinal("3")).toBe(3);
    expect(replicaOrdinal("segwatch-evaluator-12")).toBe(12);
    expect(replicaOrdinal("rel-1-segwatch-evaluator-0")).toBe(0);
  });

  it("names the field when the text carries no ordinal", () => {
    expect(() => replicaOrdinal("segwatch-evaluator")).toThrow(OwnershipError);
    expect(() => replicaOrdinal("")).toThrow(/replica: expected a number/);
  });
});

describe("partitionsOfReplica", () => {
  it("splits 16 partitions over 3 replicas into contiguous ranges", () => {
    expect(partitionsOfReplica(0, 3, 16)).toEqual([0, 1, 2, 3, 4]);
    expect(partitionsOfReplica(1, 3, 16)).toEqual([5, 6, 7, 8, 9]);
    expect(partitionsOfReplica(2, 3, 16)).toEqual([10, 11, 12, 13, 14, 15]);
  });

  it("gives every partition to exactly one replica, and each replica at least one", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 256 })
          .chain((partitions) =>
            fc.tuple(fc.constant(partitions), fc.integer({ min: 1, max: partitions })),
          ),
        ([partitions, replicas]) => {
          const all: number[] = [];
          for (let i = 0; i < replicas; i++) {
            const owned = partitionsOfReplica(i, replicas, partitions);
            expect(owned.length).toBeGreaterThan(0);
            all.push(...owned);
          }
          expect(all).toEqual(Array.from({ length: partitions }, (_, p) => p));
        },
      ),
    );
  });

  it("rejects more replicas than partitions and ordinals out of range", () => {
    expect(() => partitionsOfReplica(0, 17, 16)).toThrow(/17 replicas for 16 partitions/);
    expect(() => partitionsOfReplica(3, 3, 16)).toThrow(/ordinal 3 is outside 0..2/);
  });
});
