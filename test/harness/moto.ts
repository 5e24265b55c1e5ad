// moto's server (from PyPI, pinned in tools/python-peers/requirements.txt): a real Kinesis and STS
// (assume-role) peer on a free loopback port. Installed into .tools/python-peers/ by
// tools/python-peers.sh, which `.ci/run` calls and this harness calls when the venv is missing.
//
// `enableIam` turns on moto's request authentication: from then on every request must be signed by
// an access key moto issued, and is allowed only by that principal's IAM policies — which is what
// makes an assume-role test mean something (the base user cannot write to Kinesis, the role can).

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const motoServerBinary = join(ROOT, ".tools", "python-peers", "bin", "moto_server");
const INSTALL_SCRIPT = join(ROOT, "tools", "python-peers.sh");
/** Bounds, not expectations: a fresh install takes about two minutes. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = 60_000;
const LOG_TAIL_LINES = 50;

export interface AwsKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface MotoServer {
  /** http://127.0.0.1:<port>: the endpoint of every service (Kinesis, STS, IAM). */
  readonly endpoint: string;
  readonly port: number;
  /** The last lines the server printed (request log), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export interface MotoIam {
  /** Allowed everything: for the tests' own setup and reads. */
  readonly admin: AwsKey;
  /** Allowed only sts:AssumeRole: delivers only through `writerRoleArn`. */
  readonly base: AwsKey;
  /** A role allowed kinesis:PutRecord(s). */
  readonly writerRoleArn: string;
  /** A role allowed nothing. */
  readonly powerlessRoleArn: string;
}

/** Runs tools/python-peers.sh unless the venv is there (the script itself reuses a current one). */
export async function ensureMotoInstalled(): Promise<string> {
  if (!existsSync(motoServerBinary)) {
    try {
      await promisify(execFile)(INSTALL_SCRIPT, [], { timeout: INSTALL_TIMEOUT_MS, cwd: ROOT });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? "";
      throw new Error(`installing the moto server failed (tools/python-peers.sh): ${stderr}`, {
        cause: err,
      });
    }
  }
  return motoServerBinary;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function startMotoServer(): Promise<MotoServer> {
  const binary = await ensureMotoInstalled();
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  // PR_SET_PDEATHSIG (util-linux setpriv): the kernel kills the server if this worker dies.
  const setpriv = findOnPath("setpriv");
  const serverArgs = ["-H", "127.0.0.1", "-p", "0"];
  const [command, args] = setpriv
    ? [setpriv, ["--pdeathsig", "KILL", "--", binary, ...serverArgs]]
    : [binary, serverArgs];
  const child = spawn(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
  });
  live.add(child);
  const lines: string[] = [];
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      live.delete(child);
      resolve();
    });
    child.once("error", (err) => {
      lines.push(`spawn error: ${err.message}`);
      exited = true;
      live.delete(child);
      resolve();
    });
  });
  let onPort: ((port: number) => void) | undefined;
  const portSeen = new Promise<number>((resolve) => {
    onPort = resolve;
  });
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line) continue;
      lines.push(line);
      const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (m) onPort?.(Number(m[1]));
    }
    if (lines.length > LOG_TAIL_LINES) lines.splice(0, lines.length - LOG_TAIL_LINES);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const log = () => lines.join("\n");

  const stop = async () => {
    if (exited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exit;
    clearTimeout(timer);
  };

  let timer: NodeJS.Timeout | undefined;
  try {
    const port = await Promise.race([
      portSeen,
      exit.then(() => {
        throw new Error("exited during startup");
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no port after ${START_TIMEOUT_MS} ms`)),
          START_TIMEOUT_MS,
        );
      }),
    ]);
    const endpoint = `http://127.0.0.1:${port}`;
    const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`/moto-api/ answered HTTP ${res.status}`);
    return { endpoint, port, log, stop };
  } catch (err) {
    await stop();
    throw new Error(`moto server: ${(err as Error).message}. Output:\n${log() || "(none)"}`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
}

const ALLOW = (action: string | string[]) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: action, Resource: "*" }],
  });

/**
 * Creates the principals of the tests, then turns authentication on (for the whole server: call it
 * once, right after start).
 */
export async function enableIam(server: MotoServer, region = "us-east-1"): Promise<MotoIam> {
  // Until authentication is on, any key is accepted.
  const iam = new IAMClient({
    region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: "AKIASETUP", secretAccessKey: "setup" },
  });
  try {
    const user = async (name: string, policy: string): Promise<AwsKey> => {
      await iam.send(new CreateUserCommand({ UserName: name }));
      await iam.send(
        new PutUserPolicyCommand({ UserName: name, PolicyName: name, PolicyDocument: policy }),
      );
      const k = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
      return {
        accessKeyId: k.AccessKey!.AccessKeyId!,
        secretAccessKey: k.AccessKey!.SecretAccessKey!,
      };
    };
    const role = async (name: string, policy: string | undefined): Promise<string> => {
      const r = await iam.send(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }],
          }),
        }),
      );
      if (policy)
        await iam.send(
          new PutRolePolicyCommand({ RoleName: name, PolicyName: name, PolicyDocument: policy }),
        );
      return r.Role!.Arn!;
    };
    const admin = await user("segwatch-test-admin", ALLOW("*"));
    const base = await user("segwatch-test-base", ALLOW("sts:AssumeRole"));
    const writerRoleArn = await role(
      "segwatch-test-writer",
      ALLOW(["kinesis:PutRecords", "kinesis:PutRecord"]),
    );
    const powerlessRoleArn = await role("segwatch-test-powerless", undefined);
    const res = await fetch(`${server.endpoint}/moto-api/reset-auth`, {
      method: "POST",
      body: "0",
    });
    if (!res.ok) throw new Error(`moto reset-auth answered HTTP ${res.status}`);
    return { admin, base, writerRoleArn, powerlessRoleArn };
  } finally {
    iam.destroy();
  }
}

function findOnPath(name: string): string | undefined {
  if (process.platform !== "linux") return undefined;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}
