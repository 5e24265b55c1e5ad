// The state file `segwatch cluster up` leaves behind (pids, ports, paths), so that `down` and `env`
// work from another shell.

import { ClusterStateError } from "./errors.ts";
import type { ControlPlanePorts } from "./flags.ts";

export const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager"] as const;
export type Component = (typeof COMPONENTS)[number];

export interface ProcessRecord {
  readonly component: Component;
  readonly pid: number;
  readonly logFile: string;
}

export interface ClusterState {
  readonly version: 1;
  /** Absolute; removed by `down`. */
  readonly dataDir: string;
  /** Absolute path of the kubeconfig. */
  readonly kubeconfig: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly ports: ControlPlanePorts;
  /** In start order; stopped in reverse. */
  readonly processes: readonly ProcessRecord[];
  readonly startedAt: string;
}

export function renderState(state: ClusterState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** Parses a state file; the error names the file and the field that is wrong. */
export function parseState(text: string, file: string): ClusterState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ClusterStateError(`${file}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const bad = (field: string, reason: string): never => {
    throw new ClusterStateError(`${file}: ${field} ${reason}`);
  };
  if (typeof raw !== "object" || raw === null) return bad("(root)", "must be an object");
  const r = raw as Record<string, unknown>;
  if (r.version !== 1) bad("version", `must be 1, got ${JSON.stringify(r.version)}`);
  for (const f of ["dataDir", "kubeconfig", "server", "startedAt"] as const) {
    if (typeof r[f] !== "string" || r[f] === "") bad(f, "must be a non-empty string");
  }
  const ports = r.ports as Record<string, unknown> | undefined;
  if (typeof ports !== "object" || ports === null) return bad("ports", "must be an object");
  for (const p of ["etcdClient", "etcdPeer", "apiserver", "controllerManager"] as const) {
    const v = ports[p];
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535)
      bad(`ports.${p}`, "must be a port number");
  }
  if (!Array.isArray(r.processes)) return bad("processes", "must be a list");
  for (const [i, p] of (r.processes as unknown[]).entries()) {
    const rec = p as Record<string, unknown> | null;
    if (typeof rec !== "object" || rec === null) return bad(`processes[${i}]`, "must be an object");
    if (!COMPONENTS.includes(rec.component as Component))
      bad(`processes[${i}].component`, `must be one of ${COMPONENTS.join(", ")}`);
    if (!Number.isInteger(rec.pid) || (rec.pid as number) < 2)
      bad(`processes[${i}].pid`, "must be a process id");
    if (typeof rec.logFile !== "string") bad(`processes[${i}].logFile`, "must be a path");
  }
  return raw as ClusterState;
}
