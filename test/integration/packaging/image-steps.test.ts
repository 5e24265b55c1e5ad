// Every Dockerfile step but the base image pull, outside Docker: npm ci, the TypeScript build,
// npm ci --omit=dev, then each subcommand's --help from the built dist with production modules only.

import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runImageSteps } from "../../../scripts/image-steps.ts";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

describe("image steps", () => {
  it("builds the image's filesystem and every subcommand answers --help", {
    timeout: 15 * 60_000,
  }, async () => {
    const result = await runImageSteps({ repoRoot });
    const commands = [...result.helps.keys()].filter(Boolean).sort();
    expect(commands).toEqual(
      expect.arrayContaining(["api", "controller", "deliver", "evaluator", "segment"]),
    );
    for (const command of commands)
      expect(result.helps.get(command)).toContain(`Usage: segwatch ${command}`);
    expect(result.helps.get("evaluator")).toContain("--replica");
    expect(result.user).toBe("1000:1000");
  });
});
