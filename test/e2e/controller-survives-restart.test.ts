// The controller survives its API server going away: kube-apiserver is stopped and started again
// (same port and etcd) under a running controller, whose watches break, fail while it is down, and
// must come back by themselves — a change made after the restart is reconciled. The file runs its
// own control plane, so that restarting it disturbs no other test.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../../src/cluster/control-plane.ts";
import { ownControlPlane } from "./cluster-access.ts";
import { kubectlAt, type Stack, startStack, until } from "./operator-support.ts";

const NS = "restart";
let cp: ControlPlane;
let stack: Stack;
const kubectl = (args: readonly string[], input?: string) =>
  kubectlAt(cp.kubeconfigPath, args, input);

// Skipped only when SEGWATCH_E2E_KUBECONFIG points this tier at an existing cluster: this test needs
// the control plane the run started itself. .ci/run never sets it, so CI always runs it.
describe.skipIf(!ownControlPlane())("an apiserver restart under a running controller", () => {
  beforeAll(async () => {
    cp = await startControlPlane({ controllerManager: false });
    await kubectl(["create", "namespace", NS]);
    stack = await startStack([NS], cp.kubeconfigPath);
    await stack.startController();
  });

  afterAll(async () => {
    await stack?.close();
    await cp?.stop();
  });

  const segment = (name: string, segmentql: string) => `apiVersion: segwatch.io/v1alpha1
kind: Segment
metadata: {name: ${name}}
spec:
  segmentql: ${JSON.stringify(segmentql)}
`;

  it("is survived: watches resume and later changes are reconciled", async () => {
    await kubectl(["apply", "-n", NS, "-f", "-"], segment("before", 'FILTER plan = "pro"'));
    await kubectl([
      "wait",
      "-n",
      NS,
      "--for=condition=Ready",
      "--timeout=60s",
      "segments.segwatch.io/before",
    ]);
    const restartsBefore = stack.errors.filter((e) => e.includes("(restarting)")).length;

    await cp.restartApiserver();

    // A new resource and an edit of an existing one, both only visible through a resumed watch
    // (or its relist).
    await kubectl(["apply", "-n", NS, "-f", "-"], segment("after", 'FILTER plan = "team"'));
    await kubectl(["apply", "-n", NS, "-f", "-"], segment("before", "FILTER AND ( plan = "));
    await kubectl([
      "wait",
      "-n",
      NS,
      "--for=condition=Ready",
      "--timeout=60s",
      "segments.segwatch.io/after",
    ]);
    await kubectl([
      "wait",
      "-n",
      NS,
      "--for=condition=Ready=False",
      "--timeout=60s",
      "segments.segwatch.io/before",
    ]);
    // The restart really broke the watches (each restarted by the source, not by luck).
    await until(
      "watch restarts reported",
      () => stack.errors.filter((e) => e.includes("(restarting)")).length > restartsBefore,
    );
    expect(stack.errors.some((e) => /watching segments/.test(e))).toBe(true);
  });
});
