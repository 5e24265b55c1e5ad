// crds/*.yaml are generated from crd-schema.ts; this fails when they are edited by hand or the
// schema changed without `npm run gen:crds`.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { renderCrdFiles } from "./crd-manifests.ts";
import { CRD_DEFINITIONS, customResourceDefinition } from "./crd-schema.ts";

const CRDS_DIR = fileURLToPath(new URL("../../crds/", import.meta.url));

describe("crds/", () => {
  const expected = renderCrdFiles();

  it.each([...expected.keys()])("%s is what `npm run gen:crds` writes", (name) => {
    const onDisk = readFileSync(join(CRDS_DIR, name), "utf8");
    expect(onDisk, `crds/${name} is out of date: run \`npm run gen:crds\``).toBe(
      expected.get(name),
    );
  });

  it("holds no other CRD files", () => {
    const yamlFiles = readdirSync(CRDS_DIR).filter(
      (f) => f.endsWith(".yaml") || f.endsWith(".yml"),
    );
    expect(yamlFiles.sort()).toEqual([...expected.keys()].sort());
  });

  it("parses back to the CRD objects", () => {
    for (const def of CRD_DEFINITIONS) {
      const file = [...expected.entries()].find(([n]) => n.includes(def.plural))![1];
      expect(load(file)).toEqual(customResourceDefinition(def));
    }
  });
});
