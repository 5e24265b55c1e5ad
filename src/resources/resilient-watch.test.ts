// The list/watch loop's control flow, driven by scripted list and watch functions (the API server
// itself is exercised by the e2e tier; 410 Gone and a silent connection cannot be provoked there on
// demand).

import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { KUBE_SOURCE_DEFAULTS } from "./defaults.ts";
import { type Listing, ResilientWatch, type WatchEventHandler } from "./resilient-watch.ts";

const settings = {
  ...KUBE_SOURCE_DEFAULTS,
  restartBaseMs: 5,
  restartMaxMs: 20,
  relistMs: 60_000,
  watchdogMs: 60_000,
};

const obj = (name: string, rv: string) => ({
  metadata: { namespace: "ns", name, resourceVersion: rv },
});

async function eventually(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

interface WatchCall {
  readonly resourceVersion: string;
  readonly onEvent: WatchEventHandler;
  readonly done: (err: unknown) => void;
  readonly controller: AbortController;
}

function scripted(listings: Listing[]) {
  const watches: WatchCall[] = [];
  let lists = 0;
  return {
    watches,
    get lists() {
      return lists;
    },
    list: async () => {
      const l = listings[Math.min(lists, listings.length - 1)]!;
      lists++;
      return l;
    },
    watch: async (
      resourceVersion: string,
      _timeout: number,
      onEvent: WatchEventHandler,
      done: (err: unknown) => void,
    ) => {
      const controller = new AbortController();
      watches.push({ resourceVersion, onEvent, done, controller });
      return controller;
    },
  };
}

const running: ResilientWatch[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.stop();
});

function start(s: ReturnType<typeof scripted>, extra: Partial<typeof settings> = {}) {
  const keys: string[] = [];
  const errors: Error[] = [];
  const w = new ResilientWatch({
    name: "segments",
    list: s.list,
    watch: s.watch,
    onKey: (k) => keys.push(k),
    onError: (e) => errors.push(e),
    settings: { ...settings, ...extra },
  });
  running.push(w);
  w.start();
  return { w, keys, errors };
}

describe("ResilientWatch", () => {
  it("reports listed keys, then watch events, resuming from the last resourceVersion", async () => {
    const s = scripted([{ items: [obj("a", "1")], resourceVersion: "10" }]);
    const { w, keys } = start(s);
    await w.synced();
    expect(keys).toEqual(["ns/a"]);
    await eventually("a watch", () => s.watches.length === 1);
    expect(s.watches[0]!.resourceVersion).toBe("10");
    s.watches[0]!.onEvent("ADDED", obj("b", "11"));
    s.watches[0]!.onEvent("BOOKMARK", { metadata: { resourceVersion: "15" } });
    expect(keys).toEqual(["ns/a", "ns/b"]);
    // The server ends the watch: resumed from the bookmark, without listing again.
    s.watches[0]!.done(null);
    await eventually("a second watch", () => s.watches.length === 2);
    expect(s.watches[1]!.resourceVersion).toBe("15");
    expect(s.lists).toBe(1);
  });

  it("lists again after 410 Gone and reports what vanished meanwhile", async () => {
    const s = scripted([
      { items: [obj("a", "1"), obj("b", "2")], resourceVersion: "10" },
      { items: [obj("b", "2"), obj("c", "3")], resourceVersion: "20" },
    ]);
    const { w, keys } = start(s);
    await w.synced();
    await eventually("a watch", () => s.watches.length === 1);
    s.watches[0]!.onEvent("ERROR", { code: 410 });
    await eventually("a watch after the relist", () => s.watches.length === 2);
    expect(s.lists).toBe(2);
    expect(s.watches[1]!.resourceVersion).toBe("20");
    expect(keys.slice(2).sort()).toEqual(["ns/a", "ns/c"]);
  });

  it("restarts after failures with backoff, reporting each, and never gives up", async () => {
    let failing = 3;
    const s = scripted([{ items: [], resourceVersion: "1" }]);
    const list = s.list;
    const { w, errors } = start({
      ...s,
      watches: s.watches,
      get lists() {
        return s.lists;
      },
      list: async () => {
        if (failing-- > 0) throw new Error("connect ECONNREFUSED 127.0.0.1:6443");
        return list();
      },
    });
    await w.synced();
    expect(errors).toHaveLength(3);
    expect(errors[0]!.message).toMatch(/watching segments: connect ECONNREFUSED.*\(restarting\)/);
    expect(w.failures).toBe(3);
  });

  it("restarts a watch that delivers nothing for the watchdog period, with a fresh list", async () => {
    const s = scripted([{ items: [], resourceVersion: "1" }]);
    const { w } = start(s, { watchdogMs: 40 });
    await w.synced();
    // Nothing is ever sent: the watchdog ends each watch and the loop lists again.
    await eventually("the watchdog restarts", () => s.watches.length >= 3 && s.lists >= 3);
    expect(s.watches[0]!.controller.signal.aborted).toBe(true);
  });
});
