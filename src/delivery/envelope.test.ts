import { headers, MsgHdrsImpl } from "@nats-io/transport-node";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HEADER } from "../nats/names.ts";
import { envelopeHeaders, readEnvelope, readEnvelopeBlock } from "./envelope.ts";

const decoder = new TextDecoder();

/** The bytes nats.js would send for the headers, as the block a receiver reads. */
function wire(h: ReturnType<typeof headers>): { block: string; bytes: Uint8Array } {
  const bytes = (h as MsgHdrsImpl).encode();
  return { block: decoder.decode(bytes), bytes };
}

describe("readEnvelopeBlock", () => {
  it("reads what envelopeHeaders wrote", () => {
    const envelope = {
      msgId: "ev:42:sub1",
      namespace: "team-a",
      subscriptionId: "sub1",
      userKey: "user_id:ü 名前 with spaces",
      lane: "backfill" as const,
    };
    expect(readEnvelopeBlock(wire(envelopeHeaders(envelope)).block)).toEqual(envelope);
  });

  it("prefers the replay's idempotency key to Nats-Msg-Id", () => {
    const h = envelopeHeaders({
      msgId: "replay-7",
      namespace: "n",
      subscriptionId: "s",
      userKey: "u",
      lane: "live",
    });
    h.set(HEADER.idempotencyKey, "ev:1:s");
    expect(readEnvelopeBlock(wire(h).block)?.msgId).toBe("ev:1:s");
  });

  it("agrees with nats.js's decoder and readEnvelope on any header set", () => {
    const names = [
      HEADER.msgId,
      HEADER.idempotencyKey,
      HEADER.namespace,
      HEADER.subscription,
      HEADER.user,
      HEADER.lane,
      "Segwatch-user",
      "SEGWATCH-LANE",
      "Segwatch-Users",
      "X-Other",
    ];
    const value = fc.oneof(
      fc.constantFrom("live", "backfill", "", " live ", "Live", "a:b", "x y"),
      fc.string({ unit: "grapheme", maxLength: 12 }).filter((v) => !/[\r\n]/.test(v)),
    );
    const complete: [string, string][] = [
      [HEADER.msgId, "ev:1:s"],
      [HEADER.namespace, "n"],
      [HEADER.subscription, "s"],
      [HEADER.user, "u"],
      [HEADER.lane, "live"],
    ];
    const pair = fc.tuple(fc.constantFrom(...names), value);
    fc.assert(
      fc.property(
        fc.array(pair, { maxLength: 8 }),
        fc.constantFrom("none", "before", "after"),
        fc.array(pair, { maxLength: 4 }),
        (pairs, base, more) => {
          const all = [
            ...pairs,
            ...(base === "before" ? complete : []),
            ...more,
            ...(base === "after" ? complete : []),
          ];
          const h = headers();
          for (const [k, v] of all) h.append(k, v);
          const { block, bytes } = wire(h);
          expect(readEnvelopeBlock(block), block).toEqual(readEnvelope(MsgHdrsImpl.decode(bytes)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
