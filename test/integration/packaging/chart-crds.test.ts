// The chart renders the CRDs from its own copy (Helm cannot read outside the chart); the copy must
// equal the canonical crds/ — run scripts/sync-chart-crds.sh after changing them.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const crds = new URL("../../../crds/", import.meta.url);
const copies = new URL("../../../charts/segwatch/files/crds/", import.meta.url);
const yamlFiles = (dir: URL) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();

describe("charts/segwatch/files/crds", () => {
  it("holds the same files as crds/ (scripts/sync-chart-crds.sh)", () => {
    expect(yamlFiles(copies)).toEqual(yamlFiles(crds));
    for (const f of yamlFiles(crds)) {
      expect(
        readFileSync(new URL(f, copies), "utf8"),
        `charts/segwatch/files/crds/${f} differs from crds/${f}: run scripts/sync-chart-crds.sh`,
      ).toBe(readFileSync(new URL(f, crds), "utf8"));
    }
  });
});
