// Leader election on a real coordination.k8s.io/v1 Lease: of two controller replicas exactly one
// leads (and holds the Lease), the other stays ready and takes over when the leader stops; the
// `segwatch controller` process releases its Lease on SIGTERM.

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { e2eKubeconfigPath } from "./cluster-access.ts";
import {
  createNamespace,
  deleteNamespace,
  kubeConfig,
  kubectl,
  type Stack,
  startStack,
  until,
} from "./operator-support.ts";

const ROOT = join(import.meta.dirname, "..", "..");
/** Short timings so that a takeover without release happens within the test's bounds. */
const ELECTION = { leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 300 };

let ns = "";
let stack: Stack;

beforeAll(async () => {
  ns = await createNamespace("e2e-leader");
  stack = await startStack([ns]);
});

afterAll(async () => {
  await stack?.close();
  if (ns) await deleteNamespace(ns);
});

const leaseHolder = async (name: string) =>
  (
    await kubectl([
      "get",
      "leases.coordination.k8s.io",
      name,
      "-n",
      ns,
      "-o",
      "jsonpath={.spec.holderIdentity}",
    ]).catch(() => "")
  ).trim();

describe("leader election", () => {
  it("lets exactly one of two replicas lead, and the other take over when it stops", async () => {
    const replica = (identity: string) =>
      stack.startController({
        leaderElection: {
          kubeConfig: kubeConfig(),
          namespace: ns,
          identity,
          settings: { ...ELECTION, leaseName: "two-replicas" },
        },
        health: { host: "127.0.0.1", port: 0 },
      });
    const a = await replica("replica-a");
    const b = await replica("replica-b");
    const leader = await until("one replica leads", () =>
      a.isLeader() ? a : b.isLeader() ? b : undefined,
    );
    const follower = leader === a ? b : a;
    // Over several renew periods, never both.
    for (let i = 0; i < 10; i++) {
      expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
      await sleep(ELECTION.retryPeriodMs);
    }
    expect(await leaseHolder("two-replicas")).toBe(leader.elector!.identity);
    expect(leader.controller).toBeDefined();
    expect(follower.controller).toBeUndefined();
    // Readiness does not depend on leading.
    for (const p of [a, b]) {
      const r = await fetch(`${p.healthUrl}/readyz`);
      expect(r.status).toBe(200);
    }
    const followerReady = (await (await fetch(`${follower.healthUrl}/readyz`)).json()) as {
      leader: boolean;
      checks: Record<string, string>;
    };
    expect(followerReady.leader).toBe(false);
    expect(followerReady.checks).toEqual({ shutdown: "ok", nats: "ok" });

    await leader.stop();
    await until("the follower takes over", () => follower.isLeader());
    expect(await leaseHolder("two-replicas")).toBe(follower.elector!.identity);

    // The new leader reconciles.
    await kubectl(
      ["apply", "-n", ns, "-f", "-"],
      `apiVersion: segwatch.io/v1alpha1
kind: Segment
metadata: {name: after-takeover}
spec:
  segmentql: FILTER plan = "pro"
`,
    );
    await kubectl([
      "wait",
      "-n",
      ns,
      "--for=condition=Ready",
      "--timeout=60s",
      "segments.segwatch.io/after-takeover",
    ]);
    await follower.stop();
  });

  it("`segwatch controller --source kube` holds the Lease and releases it on SIGTERM", async () => {
    let output = "";
    const child: ChildProcess = spawn(
      process.execPath,
      [
        join(ROOT, "src", "cli", "main.ts"),
        "controller",
        "--source",
        "kube",
        "--kubeconfig",
        e2eKubeconfigPath(),
        "--namespaces",
        ns,
        "--lease-namespace",
        ns,
        "--nats",
        stack.server.url,
        "--health-addr",
        "127.0.0.1:0",
      ],
      {
        cwd: ROOT,
        env: { ...process.env, POD_NAME: "cli-replica" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      output += d;
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      output += d;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    try {
      const holder = await until("the CLI controller holds the Lease", async () => {
        const h = await leaseHolder("segwatch-controller");
        return h.startsWith("cli-replica_") ? h : undefined;
      });
      expect(holder).toMatch(/^cli-replica_[0-9a-f]+$/);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(await leaseHolder("segwatch-controller")).toBe("");
    } catch (err) {
      child.kill("SIGKILL");
      throw new Error(`${String(err)}\n--- controller output ---\n${output}`);
    }
  });
});
