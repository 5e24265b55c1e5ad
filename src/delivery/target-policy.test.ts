import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import { TargetRefusedError } from "./errors.ts";
import { guardedLookup, type LookupAll } from "./guarded-connect.ts";
import { type AddressClass, classifyAddress, refusedClass } from "./target-policy.ts";

describe("classifyAddress", () => {
  const cases: [string, AddressClass | undefined][] = [
    // IPv4
    ["8.8.8.8", "public"],
    ["1.1.1.1", "public"],
    ["172.15.255.255", "public"],
    ["172.32.0.0", "public"],
    ["100.63.255.255", "public"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["100.127.255.255", "private"],
    ["169.254.169.254", "linkLocal"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "reserved"],
    ["240.0.0.1", "reserved"],
    ["192.0.2.10", "reserved"],
    ["198.18.0.1", "reserved"],
    // IPv6
    ["2606:4700:4700::1111", "public"],
    ["2001:4860:4860::8888", "public"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["fc00::1", "private"],
    ["fd12:3456:789a::1", "private"],
    ["fec0::1", "private"],
    ["fe80::1", "linkLocal"],
    ["fe80::1%eth0", "linkLocal"],
    ["febf:ffff::1", "linkLocal"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "reserved"],
    ["100::1", "reserved"],
    ["::5.6.7.8", "reserved"],
    // IPv4 carried in IPv6
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.1.2.3", "private"],
    ["::ffff:169.254.169.254", "linkLocal"],
    ["::ffff:8.8.8.8", "public"],
    ["64:ff9b::10.0.0.1", "private"],
    ["64:ff9b::808:808", "public"],
    ["2002:a00:1::1", "private"],
    ["2002:808:808::1", "public"],
    // Not addresses
    ["example.com", undefined],
    ["", undefined],
    ["256.1.1.1", undefined],
  ];
  for (const [ip, cls] of cases) {
    it(`${ip || "(empty)"} is ${cls ?? "not an address"}`, () => {
      expect(classifyAddress(ip)).toBe(cls);
    });
  }
});

describe("refusedClass", () => {
  it("refuses everything not public by default", () => {
    expect(refusedClass("8.8.8.8", {})).toBeUndefined();
    expect(refusedClass("127.0.0.1", {})).toBe("loopback");
    expect(refusedClass("10.0.0.1", {})).toBe("private");
    expect(refusedClass("fe80::1", {})).toBe("linkLocal");
    expect(refusedClass("not-an-ip", {})).toBe("not an IP address");
  });

  it("allows the classes configuration names, and only those", () => {
    expect(refusedClass("127.0.0.1", { allowLoopback: true })).toBeUndefined();
    expect(refusedClass("::1", { allowLoopback: true })).toBeUndefined();
    expect(refusedClass("10.0.0.1", { allowLoopback: true })).toBe("private");
    expect(refusedClass("10.0.0.1", { allowPrivate: true })).toBeUndefined();
    expect(refusedClass("fd00::1", { allowPrivate: true })).toBeUndefined();
    expect(refusedClass("169.254.169.254", { allowPrivate: true })).toBe("linkLocal");
    expect(refusedClass("169.254.169.254", { allowLinkLocal: true })).toBeUndefined();
    const all = { allowLoopback: true, allowPrivate: true, allowLinkLocal: true };
    expect(refusedClass("0.0.0.0", all)).toBe("unspecified");
    expect(refusedClass("224.0.0.1", all)).toBe("multicast");
    expect(refusedClass("255.255.255.255", all)).toBe("reserved");
  });
});

describe("guardedLookup", () => {
  const fake =
    (answers: Record<string, LookupAddress[]>): LookupAll =>
    (hostname, _opts, cb) => {
      const a = answers[hostname];
      if (!a) {
        const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
          code: "ENOTFOUND",
        });
        cb(err, []);
      } else cb(null, a);
    };
  const dns = fake({
    "public.test": [{ address: "93.184.216.34", family: 4 }],
    "rebind.test": [{ address: "10.0.0.7", family: 4 }],
    "mixed.test": [
      { address: "127.0.0.1", family: 4 },
      { address: "2606:4700::1", family: 6 },
    ],
    "localhost.test": [
      { address: "127.0.0.1", family: 4 },
      { address: "::1", family: 6 },
    ],
  });

  const call = (policy: object, host: string, all: boolean) =>
    new Promise<{ err: Error | null; address: unknown; family: unknown }>((resolve) =>
      guardedLookup(policy, dns)(host, { all }, (err, address, family) =>
        resolve({ err, address, family }),
      ),
    );

  it("passes allowed addresses through, in both callback shapes", async () => {
    expect(await call({}, "public.test", false)).toEqual({
      err: null,
      address: "93.184.216.34",
      family: 4,
    });
    expect((await call({}, "public.test", true)).address).toEqual([
      { address: "93.184.216.34", family: 4 },
    ]);
  });

  it("refuses a name that resolves only to refused addresses", async () => {
    const { err } = await call({}, "rebind.test", true);
    expect(err).toBeInstanceOf(TargetRefusedError);
    expect(err?.message).toMatch(/rebind\.test \(10\.0\.0\.7\) refused: private address/);
  });

  it("keeps only the allowed addresses of a mixed answer", async () => {
    expect((await call({}, "mixed.test", true)).address).toEqual([
      { address: "2606:4700::1", family: 6 },
    ]);
    expect((await call({ allowLoopback: true }, "localhost.test", true)).address).toHaveLength(2);
  });

  it("passes resolution errors through unchanged", async () => {
    const { err } = await call({}, "missing.test", false);
    expect((err as NodeJS.ErrnoException).code).toBe("ENOTFOUND");
  });
});
