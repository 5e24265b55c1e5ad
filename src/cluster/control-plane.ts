// A real Kubernetes control plane on loopback: etcd, kube-apiserver and kube-controller-manager
// (garbage collection and namespace deletion), built from pinned Go modules by tools/build.sh. Used
// by `segwatch cluster up` (detached: it outlives the command) and by the e2e tests (attached: it dies
// with the test run). Start: free ports, tokens and a ServiceAccount key, etcd healthy, /readyz,
// kubeconfig, the CRDs Established. Stop: SIGTERM, SIGKILL after a bound, data directory removed.

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { installCrds, kubeConfigFrom, waitForNamespace } from "./crd-install.ts";
import {
  newServiceAccountKey,
  newToken,
  renderTokenFile,
  type StaticToken,
} from "./credentials.ts";
import {
  ADMIN_IDENTITY,
  BINARY_ENV,
  BINARY_FILES,
  type BinaryName,
  CLUSTER_DEFAULTS,
  defaultBinaryPath,
  OPERATOR_IDENTITY,
} from "./defaults.ts";
import { BinaryMissingError, ClusterError, ComponentStartError } from "./errors.ts";
import {
  apiserverArgs,
  apiserverUrl,
  type ControlPlanePorts,
  controllerManagerArgs,
  controllerManagerUrl,
  etcdArgs,
  etcdUrl,
} from "./flags.ts";
import { renderKubeconfig } from "./kubeconfig.ts";
import { dataLayout, logFile } from "./layout.ts";
import { httpOk, WaitFailedError, waitFor } from "./probes.ts";
import { isAlive, isOurs, launch, logTail, terminate } from "./processes.ts";
import { type ClusterState, type Component, type ProcessRecord, renderState } from "./state.ts";

export interface ControlPlaneOptions {
  /** Where etcd's data, certificates, keys, logs and state.json go. Default: a new temporary directory. */
  readonly dataDir?: string;
  /** Where the kubeconfig is written. Default: <dataDir>/kubeconfig. */
  readonly kubeconfigPath?: string;
  /** Let the processes outlive this one (`segwatch cluster up`). Default false. */
  readonly detached?: boolean;
  /** Run kube-controller-manager (garbage collection, namespace deletion). Default true. */
  readonly controllerManager?: boolean;
  /** Install the segwatch.io CRDs and wait until they are Established. Default true. */
  readonly installCrds?: boolean;
  /** Bound on each start-up step. */
  readonly startTimeoutMs?: number;
  /** Binary paths; default .tools/bin/<name> or the SEGWATCH_* variables of defaults.ts. */
  readonly binaries?: Partial<Record<BinaryName, string>>;
  /** Progress lines ("etcd ready in 812 ms"). */
  readonly log?: (line: string) => void;
}

export interface StartTimings {
  readonly etcdMs: number;
  readonly apiserverMs: number;
  /** Controller manager healthy, namespace default present and CRDs Established (in parallel). */
  readonly settleMs: number;
  readonly totalMs: number;
}

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly kubeconfigPath: string;
  /** The kubeconfig's text (admin context current, operator context beside it). */
  readonly kubeconfig: string;
  readonly adminToken: string;
  /** Authenticates as system:serviceaccount:segwatch-system:segwatch (RBAC applies). */
  readonly operatorToken: string;
  /** PEM of the CA of the API server's serving certificate. */
  readonly caPem: string;
  /** Pids, ports and paths; also in <dataDir>/state.json. Current after restartApiserver(). */
  readonly state: ClusterState;
  readonly timings: StartTimings;
  /**
   * Stops kube-apiserver and starts it again on the same port with the same certificate, tokens and
   * etcd data (clients keep their kubeconfig); resolves when /readyz answers again.
   */
  restartApiserver(): Promise<void>;
  /** Stops every process (SIGTERM, SIGKILL after a bound) and removes the data directory. */
  stop(): Promise<void>;
}

// Attached processes of this process, killed at exit even when stop() never ran (a crashed test
// worker); setpriv's death signal covers the case where this process itself is killed.
const attached = new Set<number>();
let exitHookInstalled = false;
function trackAttached(pid: number): void {
  attached.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const p of attached) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  });
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const timeoutMs = options.startTimeoutMs ?? CLUSTER_DEFAULTS.startTimeoutMs;
  const detached = options.detached ?? false;
  const binaries = resolveBinaries(options.binaries ?? {}, options.controllerManager ?? true);

  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir
    ? resolve(options.dataDir)
    : await mkdtemp(join(tmpdir(), "segwatch-cluster-"));
  const layout = dataLayout(dataDir);
  const kubeconfigPath = resolve(options.kubeconfigPath ?? join(dataDir, "kubeconfig"));
  const processes: ProcessRecord[] = [];

  const cleanUp = async () => {
    await stopProcesses(processes, dataDir);
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
  };

  try {
    for (const dir of [layout.logDir, layout.apiserverCertDir, layout.controllerManagerCertDir]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
    const admin: StaticToken = { ...ADMIN_IDENTITY, token: newToken() };
    const operator: StaticToken = { ...OPERATOR_IDENTITY, token: newToken() };
    await writeFile(layout.tokenFile, renderTokenFile([admin, operator]), { mode: 0o600 });
    await writeFile(layout.serviceAccountKey, newServiceAccountKey(), { mode: 0o600 });

    const stateOf = (ports: ControlPlanePorts): ClusterState => ({
      version: 1,
      dataDir,
      kubeconfig: kubeconfigPath,
      server: apiserverUrl(ports),
      ports,
      processes: [...processes],
      startedAt: new Date(started).toISOString(),
    });
    // Written after every launch, so that `segwatch cluster down` can stop even a start that was
    // interrupted halfway.
    const start = async (
      component: Component,
      binary: string,
      args: string[],
      ports: ControlPlanePorts,
    ): Promise<ProcessRecord> => {
      const file = logFile(layout, component);
      const pid = launch({ binary, args, logFile: file, detached });
      if (!detached) trackAttached(pid);
      const record: ProcessRecord = { component, pid, logFile: file };
      processes.push(record);
      await writeFile(layout.stateFile, renderState(stateOf(ports)));
      return record;
    };
    const apiserverReady = (record: ProcessRecord, ports: ControlPlanePorts) =>
      waitReady(
        record,
        `${apiserverUrl(ports)}/readyz`,
        async () => {
          // The serving certificate appears before the port opens; until then there is nothing to trust.
          if (!existsSync(layout.apiserverCert))
            return { ok: false, last: "no serving certificate yet" };
          const ca = await readFile(layout.apiserverCert, "utf8");
          return httpOk(`${apiserverUrl(ports)}/readyz`, { ca, bearerToken: admin.token })();
        },
        timeoutMs,
      );

    // Ports are picked free, then bound by the servers; another process may take one in between,
    // so a start that fails on a taken port is retried with fresh ports.
    let ports: ControlPlanePorts | undefined;
    let etcdMs = 0;
    let apiserverMs = 0;
    for (let attempt = 1; ports === undefined; attempt++) {
      const candidate = await freePorts();
      try {
        const t0 = Date.now();
        const etcd = await start("etcd", binaries.etcd, etcdArgs(layout, candidate), candidate);
        await waitReady(
          etcd,
          `${etcdUrl(candidate)}/health`,
          httpOk(`${etcdUrl(candidate)}/health`),
          timeoutMs,
        );
        etcdMs = Date.now() - t0;
        log(`etcd ready on ${etcdUrl(candidate)} in ${etcdMs} ms`);

        const t1 = Date.now();
        const apiserver = await start(
          "kube-apiserver",
          binaries.kubeApiserver,
          apiserverArgs(layout, candidate),
          candidate,
        );
        await apiserverReady(apiserver, candidate);
        apiserverMs = Date.now() - t1;
        log(`kube-apiserver ready on ${apiserverUrl(candidate)} in ${apiserverMs} ms`);
        ports = candidate;
      } catch (err) {
        if (
          err instanceof ComponentStartError &&
          /address already in use/.test(err.logTail) &&
          attempt < CLUSTER_DEFAULTS.portAttempts
        ) {
          log(`${err.component}: a port was taken; retrying with other ports`);
          await stopProcesses(processes, dataDir);
          processes.length = 0;
          await rm(layout.etcdDir, { recursive: true, force: true });
          continue;
        }
        throw err;
      }
    }

    const caPem = await readFile(layout.apiserverCert, "utf8");
    const server = apiserverUrl(ports);
    const kubeconfig = renderKubeconfig({
      server,
      caPem,
      adminToken: admin.token,
      operatorToken: operator.token,
    });
    await mkdir(dirname(kubeconfigPath), { recursive: true });
    await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
    await writeFile(
      layout.controllerManagerKubeconfig,
      renderKubeconfig({ server, caPem, adminToken: admin.token }),
      { mode: 0o600 },
    );

    const t2 = Date.now();
    const kc = kubeConfigFrom(kubeconfig);
    const settling: Promise<void>[] = [waitForNamespace(kc, "default", timeoutMs)];
    if (binaries.kubeControllerManager) {
      const kcm = await start(
        "kube-controller-manager",
        binaries.kubeControllerManager,
        controllerManagerArgs(layout, ports),
        ports,
      );
      const healthz = `${controllerManagerUrl(ports)}/healthz`;
      // Its serving certificate is self-signed on the fly; this is a loopback health check only.
      settling.push(waitReady(kcm, healthz, httpOk(healthz, { insecure: true }), timeoutMs));
    }
    if (options.installCrds ?? true) settling.push(installCrds(kc, timeoutMs));
    await Promise.all(settling);
    const settleMs = Date.now() - t2;
    log(`controller manager, namespace default and CRDs ready in ${settleMs} ms`);

    const finalPorts = ports;
    await writeFile(layout.stateFile, renderState(stateOf(finalPorts)));

    let stopped: Promise<void> | undefined;
    let restarting: Promise<void> = Promise.resolve();
    const restartApiserver = async (): Promise<void> => {
      if (stopped) throw new ClusterError("restartApiserver() after stop()");
      const i = processes.findIndex((p) => p.component === "kube-apiserver");
      const old = processes[i]!;
      attached.delete(old.pid);
      await terminate(old.pid);
      const pid = launch({
        binary: binaries.kubeApiserver,
        args: apiserverArgs(layout, finalPorts),
        logFile: old.logFile,
        detached,
      });
      if (!detached) trackAttached(pid);
      processes[i] = { ...old, pid };
      await writeFile(layout.stateFile, renderState(stateOf(finalPorts)));
      await apiserverReady(processes[i]!, finalPorts);
      log(`kube-apiserver restarted (pid ${pid})`);
    };
    return {
      server,
      kubeconfigPath,
      kubeconfig,
      adminToken: admin.token,
      operatorToken: operator.token,
      caPem,
      get state() {
        return stateOf(finalPorts);
      },
      timings: { etcdMs, apiserverMs, settleMs, totalMs: Date.now() - started },
      restartApiserver: () => {
        restarting = restarting.catch(() => {}).then(restartApiserver);
        return restarting;
      },
      stop: () => {
        stopped ??= restarting.catch(() => {}).then(() => stopCluster(stateOf(finalPorts)));
        return stopped;
      },
    };
  } catch (err) {
    await cleanUp().catch(() => {});
    throw err;
  }
}

/** Stops a control plane from its state (also from another process) and removes its files. */
export async function stopCluster(state: ClusterState): Promise<void> {
  await stopProcesses(state.processes, state.dataDir);
  await rm(state.dataDir, { recursive: true, force: true });
  if (!state.kubeconfig.startsWith(`${state.dataDir}/`)) {
    await rm(state.kubeconfig, { force: true });
  }
}

/** Whether any process of the state still runs. */
export function isRunning(state: ClusterState): boolean {
  return state.processes.some((p) => isAlive(p.pid) && isOurs(p.pid, state.dataDir));
}

async function stopProcesses(processes: readonly ProcessRecord[], dataDir: string): Promise<void> {
  // Reverse start order: clients of the API server first, etcd last.
  const errors: unknown[] = [];
  for (const p of [...processes].reverse()) {
    attached.delete(p.pid);
    if (!isAlive(p.pid) || !isOurs(p.pid, dataDir)) continue;
    try {
      await terminate(p.pid);
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) {
    throw new ClusterError(`could not stop the control plane: ${errors.map(String).join("; ")}`, {
      cause: errors[0],
    });
  }
}

async function waitReady(
  record: ProcessRecord,
  what: string,
  check: Parameters<typeof waitFor>[1],
  timeoutMs: number,
): Promise<void> {
  try {
    await waitFor(what, check, {
      timeoutMs,
      abortReason: () => (isAlive(record.pid) ? undefined : `${record.component} exited`),
    });
  } catch (err) {
    if (err instanceof WaitFailedError) {
      throw new ComponentStartError(record.component, err.message, logTail(record.logFile), {
        cause: err,
      });
    }
    throw err;
  }
}

function resolveBinaries(
  given: Partial<Record<BinaryName, string>>,
  withControllerManager: boolean,
): { etcd: string; kubeApiserver: string; kubeControllerManager: string | undefined } {
  const path = (name: BinaryName): string => {
    const p = given[name] ?? defaultBinaryPath(name);
    if (!existsSync(p)) throw new BinaryMissingError(BINARY_FILES[name], p, BINARY_ENV[name]);
    return p;
  };
  return {
    etcd: path("etcd"),
    kubeApiserver: path("kubeApiserver"),
    kubeControllerManager: withControllerManager ? path("kubeControllerManager") : undefined,
  };
}

/** Distinct free loopback ports, held open together so that none is handed out twice. */
async function freePorts(): Promise<ControlPlanePorts> {
  const servers = await Promise.all(
    [0, 1, 2, 3].map(
      () =>
        new Promise<ReturnType<typeof createServer>>((ok, fail) => {
          const s = createServer();
          s.once("error", fail);
          s.listen(0, "127.0.0.1", () => ok(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === "string") throw new ClusterError("no port assigned");
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  return {
    etcdClient: ports[0]!,
    etcdPeer: ports[1]!,
    apiserver: ports[2]!,
    controllerManager: ports[3]!,
  };
}
