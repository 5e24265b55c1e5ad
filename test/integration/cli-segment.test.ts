// The `segwatch segment` commands as a user runs them: a real process, stdin/stdout, exit codes.

import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const MAIN = join(ROOT, "src", "cli", "main.ts");

function run(
  args: string[],
  stdin = "",
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe("segwatch segment eval", () => {
  it("answers one line per request, in order, and survives bad lines", async () => {
    const lines = [
      { ql: 'FILTER paying_user = "t"', profile: { paying_user: "t" } },
      "not json",
      { ql: "FILTER AND ( x == ", profile: {} },
      { ql: 'FILTER paying_user = "t"', profile: { paying_user: "f" } },
      {
        ql: 'FILTER d > "now-1d"',
        profile: { d: "2026-01-15T00:00:00Z" },
        types: { d: "time" },
        now: "2026-01-15T12:00:00Z",
        boundary: true,
      },
      { ql: "FILTER x == 1", profile: [] },
      {
        ql: "FILTER INCLUDE other AND y == 2",
        profile: { x: 1, y: 2 },
        includes: { other: "FILTER x == 1" },
      },
      { ql: "FILTER x == 1", profile: {}, types: { x: "float128" } },
    ];
    const input = lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n");
    const { code, stdout } = await run(["segment", "eval"], `${input}\n`);
    expect(code).toBe(0);
    const answers = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(answers).toHaveLength(lines.length);
    expect(answers[0]).toEqual({ match: true });
    expect(answers[1].error).toMatch(/^invalid JSON/);
    expect(answers[2].error).toMatch(/^1:19: expected a value after "==", found end of input/);
    expect(answers[3]).toEqual({ match: false });
    expect(answers[4]).toEqual({ match: true, boundary: "2026-01-16T00:00:00.000Z" });
    expect(answers[5].error).toMatch(/^profile: required, a JSON object/);
    expect(answers[6]).toEqual({ match: true });
    expect(answers[7].error).toMatch(/^types.x: unknown type "float128"/);
  });
});

describe("segwatch segment test", () => {
  const dir = mkdtempSync(join(tmpdir(), "segwatch-cli-"));
  const segment = join(dir, "segment.yaml");
  writeFileSync(
    segment,
    [
      "apiVersion: segwatch.io/v1alpha1",
      "kind: ProfileSchema",
      "metadata: {name: default}",
      "spec: {fields: {last_visit: time}}",
      "---",
      "apiVersion: segwatch.io/v1alpha1",
      "kind: Segment",
      "metadata: {name: recent}",
      "spec:",
      "  segmentql: |",
      '    FILTER last_visit > "now-7d" ALIAS recent',
    ].join("\n"),
  );

  it("prints each result and a summary, exiting 0 when expectations hold", async () => {
    const profiles = join(dir, "ok.jsonl");
    writeFileSync(
      profiles,
      [
        '{"user_id": "a", "last_visit": "2026-01-14T00:00:00Z", "expect": true}',
        '{"user_id": "b", "last_visit": "2025-01-14T00:00:00Z", "expect": false}',
        '{"user_id": "c"}',
      ].join("\n"),
    );
    const { code, stdout } = await run([
      "segment",
      "test",
      segment,
      "--profiles",
      profiles,
      "--now",
      "2026-01-15T00:00:00Z",
    ]);
    expect(stdout).toContain("✓ a: match");
    expect(stdout).toContain("✓ b: no match");
    expect(stdout).toContain("  c: no match");
    expect(stdout).toContain("segment recent: 3 profiles: 1 match, 2 no match");
    expect(code).toBe(0);
  });

  it("exits 1 when a profile's expectation disagrees", async () => {
    const profiles = join(dir, "bad.jsonl");
    writeFileSync(
      profiles,
      '{"user_id": "b", "last_visit": "2025-01-14T00:00:00Z", "expect": true}\n',
    );
    const { code, stdout } = await run([
      "segment",
      "test",
      segment,
      "--profiles",
      profiles,
      "--now",
      "2026-01-15T00:00:00Z",
    ]);
    expect(stdout).toContain("✗ b: no match, expected match");
    expect(stdout).toContain("1 expectation failed");
    expect(code).toBe(1);
  });

  it("exits 2 with the position for a segment that does not compile", async () => {
    const sql = join(dir, "broken.sql");
    writeFileSync(sql, "FILTER AND (\n  x == 1,\n  y >\n)");
    const { code, stderr } = await run([
      "segment",
      "test",
      sql,
      "--profiles",
      join(dir, "ok.jsonl"),
    ]);
    expect(stderr).toMatch(/4:1: expected a value after ">"/);
    expect(code).toBe(2);
  });
});
