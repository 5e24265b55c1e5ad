import { describe, expect, it } from "vitest";
import { isNdjson, parseCollectBody } from "./collect-body.ts";
import { MAX_REPORTED_PROBLEMS } from "./defaults.ts";
import { ApiError } from "./errors.ts";

const buf = (s: string) => Buffer.from(s);

function rejects(body: string | undefined, contentType?: string): ApiError {
  try {
    parseCollectBody(body === undefined ? undefined : buf(body), contentType);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("expected a rejection");
}

describe("parseCollectBody", () => {
  it("publishes a single object's own bytes", () => {
    const body = buf('{ "paying_user":"f", "user_id":"user123"}');
    const [e, ...rest] = parseCollectBody(body, "application/json");
    expect(rest).toEqual([]);
    expect(e!.value).toEqual({ paying_user: "f", user_id: "user123" });
    expect(e!.json).toBe(body);
  });

  it("accepts a pretty-printed object spread over lines", () => {
    const events = parseCollectBody(buf('{\n  "user_id": "u1",\n  "a": 1\n}\n'), undefined);
    expect(events.map((e) => e.value)).toEqual([{ user_id: "u1", a: 1 }]);
  });

  it("splits an array into events, each serialised on its own", () => {
    const events = parseCollectBody(buf('[{"user_id":"a"},{"user_id":"b","n":[1]}]'), undefined);
    expect(events.map((e) => e.json)).toEqual(['{"user_id":"a"}', '{"user_id":"b","n":[1]}']);
  });

  it("reads NDJSON by its content type, even a single line", () => {
    const events = parseCollectBody(
      buf('{"user_id":"a"}\r\n\n{"user_id":"b"}\n'),
      "application/x-ndjson; charset=utf-8",
    );
    expect(events.map((e) => e.json)).toEqual(['{"user_id":"a"}', '{"user_id":"b"}']);
    expect(parseCollectBody(buf('{"user_id":"a"}'), "application/x-ndjson")).toHaveLength(1);
  });

  it("reads several lines of JSON as NDJSON whatever the content type", () => {
    const events = parseCollectBody(buf('{"user_id":"a"}\n{"user_id":"b"}'), "application/json");
    expect(events.map((e) => e.value)).toEqual([{ user_id: "a" }, { user_id: "b" }]);
  });

  it("drops a byte-order mark", () => {
    const events = parseCollectBody(
      Buffer.concat([buf("\ufeff"), buf('{"user_id":"a"}')]),
      undefined,
    );
    expect(events[0]!.value).toEqual({ user_id: "a" });
    expect(events[0]!.json).toBe('{"user_id":"a"}');
  });

  it("refuses an empty body, an empty array and blank NDJSON", () => {
    expect(rejects(undefined).code).toBe("empty_body");
    expect(rejects("  \n").code).toBe("empty_body");
    expect(rejects("[]").code).toBe("empty_body");
    expect(rejects("\n\n", "application/x-ndjson").code).toBe("empty_body");
  });

  it("says where the JSON is broken", () => {
    const err = rejects('{\n  "user_id": "u1",\n  "paying_user": t\n}');
    expect(err.code).toBe("invalid_json");
    expect(err.statusCode).toBe(400);
    expect(err.message).toMatch(/line 3, column 18/);
    expect(err.details[0]).toMatchObject({ line: 3, column: 18 });
  });

  it("names each bad NDJSON line", () => {
    const err = rejects('{"user_id":"a"}\n{"user_id": }\n\n"text"\n', "application/x-ndjson");
    expect(err.code).toBe("invalid_json");
    expect(err.details).toEqual([
      expect.objectContaining({ event: 1, line: 2, column: 13 }),
      expect.objectContaining({ event: 2, line: 4, kind: "NotAnObject" }),
    ]);
    expect(err.message).toMatch(/^event 1 \(line 2\) invalid JSON at column 13/);
    expect(err.message).toMatch(/and 1 more of 3 events/);
  });

  it("refuses non-objects, naming the event", () => {
    expect(rejects('"hello"').message).toMatch(/the body is a string, not a JSON object/);
    const err = rejects('[{"user_id":"a"}, 3, null]');
    expect(err.code).toBe("invalid_event");
    expect(err.details.map((d) => d.event)).toEqual([1, 2]);
    expect(err.message).toMatch(/^event 1 is a number, not a JSON object/);
  });

  it("lists a bounded number of problems", () => {
    const err = rejects(JSON.stringify(Array.from({ length: 100 }, () => 1)));
    expect(err.details).toHaveLength(MAX_REPORTED_PROBLEMS);
    expect(err.message).toMatch(/and 99 more of 100 events/);
  });
});

describe("isNdjson", () => {
  it("matches the NDJSON media types, case and parameters aside", () => {
    expect(isNdjson("Application/X-NDJSON; charset=utf-8")).toBe(true);
    expect(isNdjson("application/jsonl")).toBe(true);
    expect(isNdjson("application/json")).toBe(false);
    expect(isNdjson(undefined)).toBe(false);
  });
});
