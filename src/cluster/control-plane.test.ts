import { describe, expect, it } from "vitest";
import { startControlPlane } from "./control-plane.ts";
import { BINARY_ENV } from "./defaults.ts";
import { BinaryMissingError } from "./errors.ts";

describe("startControlPlane", () => {
  it("names the missing binary, where it was looked for and how to provide it", async () => {
    const start = startControlPlane({ binaries: { etcd: "/nonexistent/etcd" } });
    await expect(start).rejects.toThrow(BinaryMissingError);
    await expect(start).rejects.toThrow(
      new RegExp(
        `etcd is not built: /nonexistent/etcd is missing.*tools/build.sh.*${BINARY_ENV.etcd}`,
      ),
    );
  });
});
