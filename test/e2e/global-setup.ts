// vitest globalSetup of the e2e tier: ONE control plane per run, started through the same launcher
// as `segwatch cluster up` (attached: it dies with the run), its kubeconfig provided to the tests as
// inject("kubeconfig"). With SEGWATCH_E2E_KUBECONFIG set, the tests use that cluster instead (the
// segwatch.io CRDs are applied to it; each test works in its own namespace, deleted afterwards).

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { startControlPlane } from "../../src/cluster/control-plane.ts";
import { installCrds, kubeConfigFrom } from "../../src/cluster/crd-install.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Path of the kubeconfig of the cluster under test (admin context current). */
    kubeconfig: string;
    /** Whether the run started the control plane itself (false with SEGWATCH_E2E_KUBECONFIG). */
    ownControlPlane: boolean;
    /**
     * kubectl's discovery cache for this run: kubectl caches per host:port, and a port reused from an
     * earlier run must not serve that run's stale resource list.
     */
    kubectlCacheDir: string;
  }
}

export const EXISTING_CLUSTER_ENV = "SEGWATCH_E2E_KUBECONFIG";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
  } catch (err) {
    throw new Error("the e2e tier needs kubectl on PATH", { cause: err });
  }
  const cacheDir = await mkdtemp(join(tmpdir(), "segwatch-e2e-kubectl-"));
  project.provide("kubectlCacheDir", cacheDir);
  const removeCache = () => rm(cacheDir, { recursive: true, force: true });
  const existing = process.env[EXISTING_CLUSTER_ENV];
  if (existing) {
    const path = resolve(existing);
    await installCrds(kubeConfigFrom(readFileSync(path, "utf8")));
    project.provide("kubeconfig", path);
    project.provide("ownControlPlane", false);
    return removeCache;
  }
  const cp = await startControlPlane({
    log: (line) => process.stderr.write(`e2e control plane: ${line}\n`),
  });
  process.stderr.write(`e2e control plane: started in ${cp.timings.totalMs} ms (${cp.server})\n`);
  project.provide("kubeconfig", cp.kubeconfigPath);
  project.provide("ownControlPlane", true);
  return async () => {
    await cp.stop();
    await removeCache();
  };
}
