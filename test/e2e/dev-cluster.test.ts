// `segwatch dev --cluster` as a newcomer runs it: with no control plane in its state folder it starts
// one (`segwatch cluster up`), applies the samples to namespace default, and runs the whole stack on
// it; the brief's events then reach the dev inbox through the sample subscription. `segwatch cluster
// down` stops the control plane afterwards.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/free-port.ts";
import { ownControlPlane } from "./cluster-access.ts";
import { kubectlAt, until } from "./operator-support.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const TOKEN = "dev-cluster-token";
const run = promisify(execFile);

let child: ChildProcess | undefined;
let exited: Promise<number | null>;
let state = "";
let api = "";
let output = "";

// Skipped only when SEGWATCH_E2E_KUBECONFIG points this tier at an existing cluster: this test needs
// the control plane the run started itself. .ci/run never sets it, so CI always runs it.
describe.skipIf(!ownControlPlane())("segwatch dev --cluster", () => {
  beforeAll(async () => {
    const port = await freePort();
    state = mkdtempSync(join(tmpdir(), "segwatch-dev-cluster-"));
    api = `http://127.0.0.1:${port}`;
    child = spawn(
      process.execPath,
      [
        join(ROOT, "src", "cli", "main.ts"),
        "dev",
        "--cluster",
        "--state",
        state,
        "--port",
        String(port),
      ],
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
    exited = new Promise((resolve) => child!.on("exit", (code) => resolve(code)));
    // Running, or exited (a start-up failure reported at once, with its output), within a bound.
    const started = until(
      "segwatch dev --cluster is running",
      () => output.includes("segwatch dev is running") || undefined,
      100_000,
    );
    const result = await Promise.race([
      started.then(
        () => "running",
        () => "timed out",
      ),
      exited.then(() => "exited"),
    ]);
    if (result !== "running" || child.exitCode !== null)
      throw new Error(
        `segwatch dev --cluster did not start (${result})\n--- output ---\n${output}`,
      );
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    if (state) {
      await run(
        process.execPath,
        [join(ROOT, "src", "cli", "main.ts"), "cluster", "down", "--state", state],
        {
          cwd: ROOT,
          timeout: 60_000,
        },
      ).catch(() => {});
      rmSync(state, { recursive: true, force: true });
    }
  });

  it("runs the samples from the cluster and delivers the brief's entry to the dev inbox", async () => {
    const kubeconfig = join(state, "kubeconfig");
    await kubectlAt(kubeconfig, [
      "wait",
      "-n",
      "default",
      "--for=condition=Ready",
      "--timeout=60s",
      "segments.segwatch.io/demo-segment",
      "subscriptions.segwatch.io/webhooktest1",
    ]);
    const url = await kubectlAt(kubeconfig, [
      "get",
      "subscriptions.segwatch.io/webhooktest1",
      "-n",
      "default",
      "-o",
      "jsonpath={.spec.webhook.url}",
    ]);
    expect(url).toBe(`${api}/dev/inbox/demo`);
    for (const paying of ["f", "t"]) {
      const r = await fetch(`${api}/collect/json/demo`, {
        method: "POST",
        headers: { authorization: TOKEN, "content-type": "application/json" },
        body: JSON.stringify({ user_id: "user123", paying_user: paying }),
      });
      expect(r.status).toBe(200);
    }
    const got = await until("the entry in the dev inbox", async () => {
      const r = (await (await fetch(`${api}/dev/inbox/demo`)).json()) as {
        data: { body: { data: { segment_events: { event: string; slug: string }[] } } }[];
      };
      return r.data.find((d) => d.body.data.segment_events.some((e) => e.event === "enter"));
    });
    expect(got.body.data.segment_events).toEqual([
      expect.objectContaining({ event: "enter", slug: "demo_segment" }),
    ]);
    child!.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
