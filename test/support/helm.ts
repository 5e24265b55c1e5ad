// The pinned helm (tools/helm, built by tools/build.sh into .tools/bin) and the chart's renderings,
// for the packaging tests.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadAll } from "js-yaml";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const CHART = `${REPO}charts/segwatch`;
export const ALL_ON_VALUES = `${CHART}/ci/all-on-values.yaml`;
export const HELM = `${REPO}.tools/bin/helm`;
const HELM_TIMEOUT_MS = 60_000;

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function helm(args: readonly string[]): Promise<HelmResult> {
  if (!existsSync(HELM))
    throw new Error(`${HELM} is missing: run tools/build.sh helm (npm test does it first)`);
  return new Promise((resolve, reject) => {
    execFile(
      HELM,
      args,
      {
        cwd: REPO,
        timeout: HELM_TIMEOUT_MS,
        maxBuffer: 32 * 1024 * 1024,
        // No user configuration, repositories or plugins of the machine leak in.
        env: {
          PATH: process.env.PATH ?? "",
          HELM_CACHE_HOME: `${REPO}.tools/helm-home/cache`,
          HELM_CONFIG_HOME: `${REPO}.tools/helm-home/config`,
          HELM_DATA_HOME: `${REPO}.tools/helm-home/data`,
        },
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") {
          reject(new Error(`helm ${args.join(" ")}: ${err.message}`, { cause: err }));
          return;
        }
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

export async function helmOk(args: readonly string[]): Promise<string> {
  const r = await helm(args);
  if (r.code !== 0) throw new Error(`helm ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Record<
    string,
    unknown
  >;
  [key: string]: unknown;
}

/** `helm template` of the chart into release `release` in `namespace`, as objects. */
export async function renderChart(
  release: string,
  namespace: string,
  extraArgs: readonly string[] = [],
): Promise<{ text: string; objects: K8sObject[] }> {
  const text = await helmOk(["template", release, CHART, "--namespace", namespace, ...extraArgs]);
  const objects = (loadAll(text) as unknown[]).filter(
    (d): d is K8sObject => !!d && typeof d === "object",
  );
  return { text, objects };
}
