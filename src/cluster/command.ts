// `segwatch cluster up | down | env`: one detached control plane per state directory. `up` leaves
// <state>/cluster/state.json (pids, ports, paths) and <state>/kubeconfig behind, so `down` and `env`
// work from any shell.

import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { type ControlPlane, isRunning, startControlPlane, stopCluster } from "./control-plane.ts";
import { STATE_LAYOUT } from "./defaults.ts";
import { ClusterRunningError, ClusterStateError } from "./errors.ts";
import { dataLayout } from "./layout.ts";
import { type ClusterState, parseState } from "./state.ts";

export interface ClusterPaths {
  readonly dataDir: string;
  readonly kubeconfig: string;
  readonly stateFile: string;
}

export function clusterPaths(stateDir: string): ClusterPaths {
  const dataDir = resolve(stateDir, STATE_LAYOUT.dataDir);
  return {
    dataDir,
    kubeconfig: resolve(stateDir, STATE_LAYOUT.kubeconfig),
    stateFile: dataLayout(dataDir).stateFile,
  };
}

/** The state of the control plane of `stateDir`, or undefined when none was started. */
export async function readClusterState(stateDir: string): Promise<ClusterState | undefined> {
  const { stateFile } = clusterPaths(stateDir);
  let text: string;
  try {
    text = await readFile(stateFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ClusterStateError(`cannot read ${stateFile}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseState(text, stateFile);
}

export interface UpOptions {
  readonly stateDir: string;
  readonly startTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** Starts a detached control plane for `stateDir`; refuses while one runs, replaces a dead one. */
export async function clusterUp(opts: UpOptions): Promise<ControlPlane> {
  const paths = clusterPaths(opts.stateDir);
  const previous = await readClusterState(opts.stateDir);
  if (previous && isRunning(previous)) {
    throw new ClusterRunningError(
      `a control plane is already running for ${resolve(opts.stateDir)} (${previous.server}); stop it with \`segwatch cluster down\``,
    );
  }
  if (previous) await stopCluster(previous);
  // Leftovers of a start that failed or was interrupted before it wrote its state.
  await rm(paths.dataDir, { recursive: true, force: true });
  return startControlPlane({
    dataDir: paths.dataDir,
    kubeconfigPath: paths.kubeconfig,
    detached: true,
    ...(opts.startTimeoutMs ? { startTimeoutMs: opts.startTimeoutMs } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
}

/** Stops the control plane of `stateDir` and removes its files; false when none was there. */
export async function clusterDown(stateDir: string): Promise<boolean> {
  const state = await readClusterState(stateDir);
  const paths = clusterPaths(stateDir);
  if (!state) {
    // Nothing recorded; a partial directory of an interrupted `up` is still removed.
    const leftover = existsSync(paths.dataDir);
    await rm(paths.dataDir, { recursive: true, force: true });
    return leftover;
  }
  await stopCluster(state);
  return true;
}

/** `export KUBECONFIG=…` for the running control plane of `stateDir`. */
export async function clusterEnv(stateDir: string): Promise<string> {
  const state = await readClusterState(stateDir);
  if (!state) {
    throw new ClusterStateError(
      `no control plane for ${resolve(stateDir)}: start one with \`segwatch cluster up\``,
    );
  }
  if (!isRunning(state)) {
    throw new ClusterStateError(
      `the control plane of ${resolve(stateDir)} is not running any more: \`segwatch cluster down\`, then \`segwatch cluster up\``,
    );
  }
  return `export KUBECONFIG=${shellQuote(state.kubeconfig)}`;
}

/** Quotes a word for POSIX shells when it needs it. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
