// `segwatch cluster up | down | env`: a local Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager) built by tools/build.sh, with the segwatch.io CRDs installed.

import { type Command, InvalidArgumentError } from "commander";
import { clusterDown, clusterEnv, clusterUp } from "../cluster/command.ts";
import { DEFAULT_STATE_DIR } from "../cluster/defaults.ts";
import { ClusterError } from "../cluster/errors.ts";

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError("expected a number of seconds above 0");
  return n;
}

async function reportErrors(command: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof ClusterError)) throw err;
    process.stderr.write(`segwatch cluster ${command}: ${err.message}\n`);
    process.exitCode = 1;
  }
}

export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command("cluster")
    .description(
      "A local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) with the segwatch.io CRDs.",
    );
  const stateOption = [
    "--state <dir>",
    "where the control plane keeps its files",
    DEFAULT_STATE_DIR,
  ] as const;

  cluster
    .command("up")
    .description(
      "Start the control plane in the background; writes <state>/kubeconfig (`eval $(segwatch cluster env)`).",
    )
    .option(...stateOption)
    .option("--timeout <seconds>", "bound on each start-up step (default 120)", parseSeconds)
    .action(async (opts: { state: string; timeout?: number }) =>
      reportErrors("up", async () => {
        const cp = await clusterUp({
          stateDir: opts.state,
          ...(opts.timeout ? { startTimeoutMs: opts.timeout * 1000 } : {}),
          log: (line) => process.stderr.write(`segwatch cluster up: ${line}\n`),
        });
        process.stderr.write(
          `segwatch cluster up: ready at ${cp.server} in ${cp.timings.totalMs} ms; kubeconfig ${cp.kubeconfigPath}\n`,
        );
        process.stdout.write(`${await clusterEnv(opts.state)}\n`);
      }),
    );

  cluster
    .command("down")
    .description("Stop the control plane and remove its data (SIGTERM, then SIGKILL after 10 s).")
    .option(...stateOption)
    .action(async (opts: { state: string }) =>
      reportErrors("down", async () => {
        const stopped = await clusterDown(opts.state);
        process.stderr.write(
          `segwatch cluster down: ${stopped ? "stopped and removed" : "no control plane was running"}\n`,
        );
      }),
    );

  cluster
    .command("env")
    .description("Print `export KUBECONFIG=…` for the running control plane.")
    .option(...stateOption)
    .action(async (opts: { state: string }) =>
      reportErrors("env", async () => {
        process.stdout.write(`${await clusterEnv(opts.state)}\n`);
      }),
    );
}
