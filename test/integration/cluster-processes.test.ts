// How the control plane's processes are stopped: SIGTERM first, SIGKILL for one that ignores it, and
// a pid that is gone is reported as such (src/cluster/processes.ts).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAlive, isOurs, launch, logTail, terminate } from "../../src/cluster/processes.ts";

const dir = mkdtempSync(join(tmpdir(), "segwatch-processes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("launch and terminate", () => {
  it("a process that honours SIGTERM exits on it, and its output is in the log", async () => {
    const logFile = join(dir, "polite.log");
    const pid = launch({
      binary: "/bin/sh",
      args: ["-c", "echo started; exec sleep 30"],
      logFile,
      detached: false,
    });
    await expect.poll(() => logTail(logFile), { timeout: 10_000 }).toContain("started");
    expect(isAlive(pid)).toBe(true);
    // Polled: until the shell has exec-ed, the command line is the shell's.
    await expect.poll(() => isOurs(pid, "sleep 30"), { timeout: 10_000 }).toBe(true);
    expect(isOurs(pid, "/no/such/marker")).toBe(false);
    expect(await terminate(pid)).toEqual({ pid, outcome: "exited" });
    expect(isAlive(pid)).toBe(false);
  });

  it("a process that ignores SIGTERM is killed after the grace period", async () => {
    const logFile = join(dir, "stubborn.log");
    const pid = launch({
      binary: "/bin/sh",
      args: ["-c", "trap '' TERM; echo trapped; while true; do sleep 1; done"],
      logFile,
      detached: false,
    });
    await expect.poll(() => logTail(logFile), { timeout: 10_000 }).toContain("trapped");
    expect(await terminate(pid, 300)).toEqual({ pid, outcome: "killed" });
    expect(isAlive(pid)).toBe(false);
  });

  it("a pid that is gone is reported, not signalled", async () => {
    const pid = launch({
      binary: "/bin/true",
      args: [],
      logFile: join(dir, "quick.log"),
      detached: false,
    });
    await expect.poll(() => isAlive(pid), { timeout: 10_000 }).toBe(false);
    expect(await terminate(pid)).toEqual({ pid, outcome: "gone" });
  });

  it("the log tail keeps the last lines", async () => {
    const logFile = join(dir, "tail.log");
    const pid = launch({ binary: "/bin/sh", args: ["-c", "seq 1 100"], logFile, detached: false });
    await expect.poll(() => isAlive(pid), { timeout: 10_000 }).toBe(false);
    expect(logTail(logFile, 3)).toBe("98\n99\n100");
  });
});
