// The Dockerfile's shape (what the image promises) and the reader scripts/image-steps.ts relies on.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  commandForm,
  copyArguments,
  DockerfileError,
  keyValues,
  parseDockerfile,
} from "../../../scripts/dockerfile.ts";

const dockerfile = readFileSync(new URL("../../../Dockerfile", import.meta.url), "utf8");

describe("parseDockerfile", () => {
  it("reads stages, flags, continuations and comments inside continuations", () => {
    const stages = parseDockerfile(
      [
        "# syntax=docker/dockerfile:1",
        "ARG BASE=node:24-slim",
        "FROM node:24-slim AS build",
        "RUN echo a \\",
        "  # dropped",
        "  && echo b",
        "FROM scratch",
        "COPY --from=build /app/dist ./dist",
      ].join("\n"),
    );
    expect(stages.map((s) => [s.name, s.base])).toEqual([
      ["build", "node:24-slim"],
      ["1", "scratch"],
    ]);
    expect(stages[0]!.instructions[0]).toMatchObject({
      keyword: "RUN",
      text: "echo a    && echo b",
      line: 4,
    });
    expect(stages[1]!.instructions[0]).toMatchObject({
      keyword: "COPY",
      flags: { from: "build" },
      text: "/app/dist ./dist",
    });
  });

  it("rejects instructions before FROM, naming the line", () => {
    expect(() => parseDockerfile("RUN true\nFROM x")).toThrow(DockerfileError);
    expect(() => parseDockerfile("RUN true\nFROM x")).toThrow(/line 1: RUN before the first FROM/);
  });

  it("splits key=value lists, quoted values and the legacy ENV form", () => {
    expect(keyValues('a=b c="d e" f=')).toEqual({ a: "b", c: "d e", f: "" });
    expect(keyValues("NODE_ENV production")).toEqual({ NODE_ENV: "production" });
    expect(commandForm('["node", "x.js"]')).toEqual(["node", "x.js"]);
    expect(commandForm("npm ci")).toEqual(["sh", "-c", "npm ci"]);
    expect(copyArguments("a b ./")).toEqual({ sources: ["a", "b"], dest: "./" });
  });
});

describe("the segwatch Dockerfile", () => {
  const stages = parseDockerfile(dockerfile);
  const runtime = stages.at(-1)!;
  const steps = (keyword: string) =>
    runtime.instructions.filter((i) => i.keyword === keyword).map((i) => i.text);

  it("keeps the syntax directive on the first line (Docker ignores it anywhere else)", () => {
    expect(dockerfile.split("\n")[0]).toMatch(/^# syntax=docker\/dockerfile:1$/);
  });

  it("builds on node:24-slim in two stages and ships only dist and production modules", () => {
    expect(stages.map((s) => s.base)).toEqual(["node:24-slim", "node:24-slim"]);
    expect(steps("RUN").join("\n")).toMatch(/npm ci --omit=dev/);
    const fromBuild = runtime.instructions.filter((i) => i.keyword === "COPY" && i.flags.from);
    expect(fromBuild.map((i) => i.text)).toEqual(["/app/dist ./dist"]);
  });

  it("runs as a numeric non-root user, so Kubernetes can verify runAsNonRoot", () => {
    const [user] = steps("USER");
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it("has the OCI labels and one entrypoint for every subcommand", () => {
    const labels = keyValues(steps("LABEL").join(" "));
    for (const key of ["title", "description", "licenses", "source", "version", "revision"])
      expect(labels).toHaveProperty(`org.opencontainers.image.${key}`);
    expect(commandForm(steps("ENTRYPOINT")[0]!)).toEqual(["node", "/app/dist/cli/main.js"]);
  });
});
