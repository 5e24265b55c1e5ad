// Helpers of the e2e tier: kubectl against the cluster under test, an API client, and a fresh
// namespace per test (the `namespace` fixture of `test`).

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { test as base, inject } from "vitest";
import { kubeConfigFrom } from "../../src/cluster/crd-install.ts";

export const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const KUBECTL_TIMEOUT_MS = 60_000;

export function kubeconfigPath(): string {
  return inject("kubeconfig");
}

let kc: KubeConfig | undefined;
export function kubeConfig(): KubeConfig {
  kc ??= kubeConfigFrom(readFileSync(kubeconfigPath(), "utf8"));
  return kc;
}

export function customObjects(): CustomObjectsApi {
  return kubeConfig().makeApiClient(CustomObjectsApi);
}

export function core(): CoreV1Api {
  return kubeConfig().makeApiClient(CoreV1Api);
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl against the cluster under test (from the repository root); never throws on exit codes. */
export function kubectl(
  args: readonly string[],
  opts: { input?: string; kubeconfig?: string } = {},
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "kubectl",
      [
        "--kubeconfig",
        opts.kubeconfig ?? kubeconfigPath(),
        "--cache-dir",
        inject("kubectlCacheDir"),
        ...args,
      ],
      { cwd: REPO_ROOT, timeout: KUBECTL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") {
          reject(new Error(`kubectl ${args.join(" ")}: ${err.message}\n${stderr}`, { cause: err }));
          return;
        }
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr: dropSkewWarning(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** kubectl's client may be older than the server; its skew warning is noise for assertions. */
function dropSkewWarning(stderr: string): string {
  return stderr
    .split("\n")
    .filter((l) => !l.startsWith("WARNING: version difference between client"))
    .join("\n");
}

/** kubectl that must succeed; returns stdout. */
export async function kubectlOk(
  args: readonly string[],
  opts: { input?: string } = {},
): Promise<string> {
  const r = await kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

/** A DNS-1123 namespace name derived from a test's name, unique per call. */
export function namespaceName(testName: string): string {
  const slug = testName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return `e2e-${slug || "test"}-${randomBytes(3).toString("hex")}`;
}

/** Creates a namespace; the returned function deletes it (without waiting for its finalization). */
export async function createNamespace(
  testName: string,
): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = namespaceName(testName);
  await core().createNamespace({
    body: { metadata: { name, labels: { "segwatch.io/e2e": "true" } } },
  });
  return {
    name,
    remove: async () => {
      await core()
        .deleteNamespace({ name })
        .catch(() => {});
    },
  };
}

/** `test` with a `namespace` fixture: a namespace of its own for each test that asks for one. */
export const test = base.extend<{ namespace: string }>({
  namespace: async ({ task }, use) => {
    const ns = await createNamespace(task.name);
    await use(ns.name);
    await ns.remove();
  },
});
