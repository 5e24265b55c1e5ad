// `segwatch dev`: segwatch on one machine with embedded defaults. Until the trigger pipeline lands
// (collect → evaluate → deliver), it evaluates the sample segments against the sample profiles so
// that a fresh checkout shows the engine working.

import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { runSegmentTest, UsageError } from "./segment-test.ts";

export interface DevOptions {
  readonly samplesDir: string;
  readonly out: (line: string) => void;
}

export async function runDev(opts: DevOptions): Promise<number> {
  const files = (await readdir(opts.samplesDir))
    .filter((f) => f.startsWith("segment-") && f.endsWith(".yaml"))
    .sort();
  const profiles = join(opts.samplesDir, "profiles.jsonl");
  opts.out(
    `segwatch dev: evaluating ${files.length} sample segment(s) in ${opts.samplesDir} against ${profiles}`,
  );
  let status = 0;
  for (const f of files) {
    try {
      const r = await runSegmentTest({
        segmentFile: join(opts.samplesDir, f),
        profilesFile: profiles,
        out: opts.out,
      });
      if (r.failedExpectations > 0 || r.errors > 0) status = 1;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      opts.out(`${f}: ${err.message}`);
      status = 2;
    }
  }
  return status;
}
