import { headers as natsHeaders } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { HEADER } from "../nats/names.ts";
import { deadLetterHeaders } from "./dead-letter.ts";
import { envelopeHeaders, readEnvelope } from "./envelope.ts";
import { readDeadLetter, replayMessage, replayMsgId } from "./replay.ts";

const envelope = {
  msgId: "tr:sub1:u1:7",
  namespace: "acme",
  subscriptionId: "sub1",
  userKey: "u1",
  lane: "backfill" as const,
};

function dlqHeaders(error = "HTTP 410 Gone", attempts = 3) {
  return deadLetterHeaders(envelopeHeaders(envelope), error, attempts);
}

describe("readDeadLetter", () => {
  it("reads channel, subscription, envelope, error and attempts", () => {
    const r = readDeadLetter({
      seq: 9,
      subject: "segwatch.dlq.webhook.sub1",
      headers: dlqHeaders(),
    });
    expect(r).toEqual({
      ok: true,
      deadLetter: {
        seq: 9,
        channel: "webhook",
        subscriptionId: "sub1",
        namespace: "acme",
        userKey: "u1",
        lane: "backfill",
        idempotencyKey: "tr:sub1:u1:7",
        error: "HTTP 410 Gone",
        attempts: 3,
      },
    });
  });

  it("refuses a message without its envelope, with the reason", () => {
    const r = readDeadLetter({
      seq: 2,
      subject: "segwatch.dlq.webhook.sub1",
      headers: natsHeaders(),
    });
    expect(r).toMatchObject({ ok: false, seq: 2, reason: expect.stringContaining("envelope") });
  });

  it("refuses a subject that disagrees with the headers or is malformed", () => {
    expect(
      readDeadLetter({ seq: 3, subject: "segwatch.dlq.webhook.other", headers: dlqHeaders() }),
    ).toMatchObject({ ok: false, reason: expect.stringContaining("other") });
    expect(
      readDeadLetter({ seq: 4, subject: "segwatch.dlq.webhook.sub1.x", headers: dlqHeaders() }),
    ).toMatchObject({ ok: false, reason: expect.stringContaining("malformed") });
  });
});

describe("replayMessage", () => {
  it("goes back to the original lane with the same idempotency key and a replay-specific msg id", () => {
    const h = dlqHeaders();
    const r = readDeadLetter({ seq: 9, subject: "segwatch.dlq.webhook.sub1", headers: h });
    if (!r.ok) throw new Error(r.reason);
    const replay = replayMessage(r.deadLetter, h);
    expect(replay.subject).toBe("segwatch.deliver.webhook.sub1.backfill");
    expect(replay.headers.get(HEADER.msgId)).toBe(replayMsgId("tr:sub1:u1:7", 9));
    expect(replay.headers.get(HEADER.error)).toBe("");
    expect(replay.headers.get(HEADER.attempts)).toBe("");
    expect(replay.headers.get(HEADER.replayOf)).toBe("9");
    // The worker reads the original key back as the envelope's idempotency key.
    expect(readEnvelope(replay.headers)).toEqual(envelope);
  });

  it("keeps the first key when a replay is dead-lettered and replayed again", () => {
    const first = readDeadLetter({
      seq: 9,
      subject: "segwatch.dlq.webhook.sub1",
      headers: dlqHeaders(),
    });
    if (!first.ok) throw new Error(first.reason);
    const replayed = replayMessage(first.deadLetter, dlqHeaders());
    const again = deadLetterHeaders(replayed.headers, "HTTP 500", 12);
    const second = readDeadLetter({
      seq: 20,
      subject: "segwatch.dlq.webhook.sub1",
      headers: again,
    });
    if (!second.ok) throw new Error(second.reason);
    expect(second.deadLetter.idempotencyKey).toBe("tr:sub1:u1:7");
    const replay2 = replayMessage(second.deadLetter, again);
    expect(replay2.headers.get(HEADER.msgId)).toBe("tr:sub1:u1:7:replay:20");
    expect(replay2.headers.values(HEADER.idempotencyKey)).toEqual(["tr:sub1:u1:7"]);
  });
});
