// Starting and stopping the control plane's processes by pid. Attached processes die with this one
// (PR_SET_PDEATHSIG through util-linux setpriv, where present); detached ones outlive it, for
// `segwatch cluster up`. Either way the output goes to a log file, and a process is watched and
// stopped through its pid, so `down` in another shell stops it the same way.

import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CLUSTER_DEFAULTS } from "./defaults.ts";
import { ClusterError } from "./errors.ts";

export interface LaunchOptions {
  readonly binary: string;
  readonly args: readonly string[];
  readonly logFile: string;
  /** Outlive this process (own session, no death signal). */
  readonly detached: boolean;
}

let setprivPath: string | null | undefined;
function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform === "linux") {
    for (const dir of (process.env.PATH ?? "").split(delimiter)) {
      if (dir && existsSync(join(dir, "setpriv"))) {
        setprivPath = join(dir, "setpriv");
        break;
      }
    }
  }
  return setprivPath;
}

/** Starts a process with its output appended to `logFile`; returns its pid. */
export function launch(opts: LaunchOptions): number {
  const fd = openSync(opts.logFile, "a");
  try {
    const setpriv = opts.detached ? null : findSetpriv();
    // setpriv execs the binary, so the pid stays the binary's.
    const [command, args] = setpriv
      ? [setpriv, ["--pdeathsig", "KILL", "--", opts.binary, ...opts.args]]
      : [opts.binary, [...opts.args]];
    const child = spawn(command, args, {
      stdio: ["ignore", fd, fd],
      detached: opts.detached,
    });
    if (child.pid === undefined) {
      throw new ClusterError(`could not start ${opts.binary} (see ${opts.logFile})`);
    }
    // A spawn failure after the pid was assigned still emits "error"; the exit check reports it.
    child.on("error", () => {});
    if (opts.detached) child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Whether `pid` runs (a zombie counts as gone: its parent has only not reaped it yet). */
export function isAlive(pid: number): boolean {
  if (process.platform === "linux") {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return false;
    }
    // The state letter follows the parenthesized command name, which may itself hold ") ".
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether `pid` is still the process we started: its command line mentions `marker` (the data
 * directory, which every component's flags name). Guards `down` against a pid the system has reused.
 */
export function isOurs(pid: number, marker: string): boolean {
  if (process.platform !== "linux") return isAlive(pid);
  try {
    // Arguments are NUL-separated.
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").includes(marker);
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(CLUSTER_DEFAULTS.pollIntervalMs);
  }
  return !isAlive(pid);
}

export interface TerminateResult {
  readonly pid: number;
  /** "exited": after SIGTERM; "killed": SIGKILL was needed; "gone": not running to begin with. */
  readonly outcome: "exited" | "killed" | "gone";
}

/** SIGTERM, then SIGKILL when the process has not exited after `graceMs`. */
export async function terminate(
  pid: number,
  graceMs: number = CLUSTER_DEFAULTS.stopGraceMs,
): Promise<TerminateResult> {
  // A zombie still accepts signals; it has exited all the same.
  if (!isAlive(pid) || !signal(pid, "SIGTERM")) return { pid, outcome: "gone" };
  if (await waitGone(pid, graceMs)) return { pid, outcome: "exited" };
  signal(pid, "SIGKILL");
  if (await waitGone(pid, CLUSTER_DEFAULTS.killWaitMs)) return { pid, outcome: "killed" };
  throw new ClusterError(`process ${pid} did not exit after SIGKILL`);
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

/** The last `lines` lines of a log file ("" when it cannot be read). */
export function logTail(file: string, lines: number = CLUSTER_DEFAULTS.logTailLines): string {
  try {
    const text = readFileSync(file, "utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
