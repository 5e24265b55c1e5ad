// `segwatch dev` as a newcomer runs it — a real process with its own nats-server — driven with the
// brief's curl sequence (over HTTP with only the host changed): a segment by text/plain, its id
// looked up by name, a webhook subscription by JSON pointed at the dev inbox, a kinesis subscription,
// and paying_user toggled f → t → f, which must arrive in the inbox as enter then exit.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/free-port.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const TOKEN = "test-token";
const WAIT_MS = 60_000;

let child: ChildProcess;
let api: string;
let output = "";

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out: ${what}\n--- segwatch dev output ---\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "segwatch-dev-"));
  child = spawn(
    process.execPath,
    [join(ROOT, "src", "cli", "main.ts"), "dev", "--state", state, "--port", String(port)],
    {
      cwd: ROOT,
      env: { ...process.env, SEGWATCH_API_TOKEN: TOKEN, NATS_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    output += d;
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    output += d;
  });
  api = `http://127.0.0.1:${port}`;
  await until("the API answers /readyz", async () =>
    (await fetch(`${api}/readyz`)).ok ? true : undefined,
  );
}, WAIT_MS + 10_000);

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGINT");
  await exited;
});

const auth = { Authorization: TOKEN };

describe("segwatch dev", () => {
  it("prints the address, the token and a curl demo", () => {
    expect(output).toContain(api);
    expect(output).toContain(`token: ${TOKEN}`);
    expect(output).toContain("/collect/json/demo");
  });

  it("runs the brief's scenario end to end into the dev inbox", async () => {
    // UPSERT Segment uses "ALIAS" as id for create/update
    const seg = await fetch(`${api}/api/segment`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "text/plain" },
      body: '\n-- Paying Users Segment\nFILTER AND (\npaying_user = "t"\n)\nFROM user\nALIAS demo_segment\n',
    });
    expect(seg.status).toBe(200);
    // get that Segment ID (the brief uses ?key= here)
    const list = (await (await fetch(`${api}/api/segment?key=${TOKEN}`)).json()) as {
      data: { id: string; name: string }[];
    };
    const segId = list.data.find((s) => s.name === "demo_segment")!.id;
    expect(segId).toMatch(/^[0-9a-f]{32}$/);

    const sub = await fetch(`${api}/api/subscription`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({
        webhook_url: `${api}/dev/inbox/brief`,
        segment_ids: [segId],
        withbackfill: false,
        channel: "webhook",
        name: "webhooktest1",
        description: "What is this subscription for?",
      }),
    });
    expect(sub.status).toBe(200);
    const subBody = (await sub.json()) as {
      data: { id: string; workflow: string; config: Record<string, unknown> };
    };
    expect(subBody.data.config).toMatchObject({
      channel: "webhook",
      webhook_url: `${api}/dev/inbox/brief`,
    });

    const kinesis = await fetch(`${api}/api/subscription`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({
        channel: "kinesis",
        segment_ids: ["1234abcd", "abc345"],
        name: "test2",
        description: "hello world",
        stream: "lytics_triggers_stream",
        region: "us-east-1",
        identifier_field: "user_id",
        role_arn: "arn:aws:iam::4444444444444:role/LyticsWriteToKinesis",
      }),
    });
    expect(kinesis.status).toBe(200);

    // The subscription is live once the controller has registered it.
    await until("subscription Ready", async () => {
      const r = (await (
        await fetch(`${api}/api/subscription/${subBody.data.id}`, { headers: auth })
      ).json()) as {
        data: { status?: { ready?: boolean } };
      };
      return r.data.status?.ready === true ? true : undefined;
    });

    // toggling these should move user in/out of segment causing trigger
    for (const paying of ["f", "t", "f"]) {
      const r = await fetch(`${api}/collect/json/demo`, {
        method: "POST",
        headers: { ...auth, "Content-type": "application/json" },
        body: JSON.stringify({ paying_user: paying, user_id: "user123" }),
      });
      expect(r.status).toBe(200);
    }
    const got = await until("enter and exit in the inbox", async () => {
      const r = (await (await fetch(`${api}/dev/inbox/brief`)).json()) as {
        data: {
          headers: Record<string, string>;
          body: { data: { segment_events: { event: string; slug: string }[] }; meta: unknown };
        }[];
      };
      return r.data.length >= 2 ? r.data : undefined;
    });
    expect(got.map((d) => d.body.data.segment_events.map((e) => `${e.slug}:${e.event}`))).toEqual([
      ["demo_segment:enter"],
      ["demo_segment:exit"],
    ]);
    expect(got[0]!.body.meta).toEqual({
      object: "user",
      source: "subscription",
      subscription_id: subBody.data.id,
    });
    expect(got[0]!.body.data).toMatchObject({ user_id: "user123", paying_user: "t" });
    expect(got[0]!.headers["webhook-id"]).toEqual(expect.any(String));
    expect(got[0]!.headers["webhook-signature"]).toMatch(/^v1,/);
  }, 120_000);

  it("lists a dead letter over REST and replays it to the fixed webhook", async () => {
    const upsert = (url: string) =>
      fetch(`${api}/api/subscription`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({
          webhook_url: url,
          segment_ids: ["demo_segment"],
          channel: "webhook",
          name: "dlqtest",
        }),
      });
    // An inbox name the route refuses: every delivery gets a 400, which is permanent.
    expect((await upsert(`${api}/dev/inbox/bad!name`)).status).toBe(200);
    await until("subscription Ready", async () => {
      const r = (await (
        await fetch(`${api}/api/subscription/dlqtest`, { headers: auth })
      ).json()) as {
        data: { status?: { ready?: boolean } };
      };
      return r.data.status?.ready === true ? true : undefined;
    });
    const collect = await fetch(`${api}/collect/json/demo`, {
      method: "POST",
      headers: { ...auth, "Content-type": "application/json" },
      body: JSON.stringify({ paying_user: "t", user_id: "user456" }),
    });
    expect(collect.status).toBe(200);
    type Letters = {
      data: { payload: { data: { user_id: string } }; error: string; idempotency_key: string }[];
    };
    const letters = await until("a dead letter", async () => {
      const r = await fetch(`${api}/api/subscription/dlqtest/deadletters`, { headers: auth });
      const body = (await r.json()) as Letters;
      return body.data.length > 0 ? body.data : undefined;
    });
    expect(letters).toEqual([
      expect.objectContaining({
        payload: expect.objectContaining({ data: expect.objectContaining({ user_id: "user456" }) }),
        error: expect.stringContaining("400"),
      }),
    ]);

    // A second one, to page through them: `after` continues from the last seq of a page.
    const second = await fetch(`${api}/collect/json/demo`, {
      method: "POST",
      headers: { ...auth, "Content-type": "application/json" },
      body: JSON.stringify({ paying_user: "t", user_id: "user789" }),
    });
    expect(second.status).toBe(200);
    await until("two dead letters", async () => {
      const r = await fetch(`${api}/api/subscription/dlqtest/deadletters`, { headers: auth });
      return ((await r.json()) as Letters).data.length === 2 ? true : undefined;
    });
    type Page = { data: { seq: number; payload: { data: { user_id: string } } }[] };
    const page = async (query: string) =>
      (await (
        await fetch(`${api}/api/subscription/dlqtest/deadletters?${query}`, { headers: auth })
      ).json()) as Page;
    const first = await page("limit=1");
    expect(first.data.map((d) => d.payload.data.user_id)).toEqual(["user456"]);
    const next = await page(`limit=1&after=${first.data[0]!.seq}`);
    expect(next.data.map((d) => d.payload.data.user_id)).toEqual(["user789"]);
    expect((await page(`limit=1&after=${next.data[0]!.seq}`)).data).toEqual([]);
    const badCursor = await fetch(`${api}/api/subscription/dlqtest/deadletters?after=-1`, {
      headers: auth,
    });
    expect(badCursor.status).toBe(400);

    expect((await upsert(`${api}/dev/inbox/fixed`)).status).toBe(200);
    // Replays until the worker delivers with the new URL (a replay before it saw the change fails
    // again and comes back to the DLQ).
    const got = await until("the replay in the fixed inbox", async () => {
      const inbox = (await (await fetch(`${api}/dev/inbox/fixed`)).json()) as {
        data: { headers: Record<string, string>; body: { data: { user_id: string } } }[];
      };
      if (inbox.data.length >= 2) return inbox.data;
      const r = await fetch(`${api}/api/subscription/dlqtest/deadletters/replay`, {
        method: "POST",
        headers: auth,
      });
      expect(r.status).toBe(200);
      await new Promise((res) => setTimeout(res, 300));
      return undefined;
    });
    expect(got.map((g) => g.body.data.user_id).sort()).toEqual(["user456", "user789"]);
    const replayed = got.find((g) => g.body.data.user_id === "user456")!;
    expect(replayed.headers["webhook-id"]).toBe(letters[0]!.idempotency_key);
    await until("the DLQ emptied", async () => {
      const r = await fetch(`${api}/api/subscription/dlqtest/deadletters`, { headers: auth });
      return ((await r.json()) as Letters).data.length === 0 ? true : undefined;
    });
    const missing = await fetch(`${api}/api/subscription/nosuch/deadletters`, { headers: auth });
    expect(missing.status).toBe(404);
  }, 120_000);

  it("stops cleanly on Ctrl-C", async () => {
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  }, 30_000);
});
