import { describe, expect, it } from "vitest";
import { NOT_OK, outcome, type Want } from "../../../test/support/segmentql-builtins.ts";
import { parseCIDR, parseIP } from "./network.ts";

// Rows of expr/builtins/builtins_test.go (builtinTests): ipfilter.
const ROWS: [string, Want][] = [
  ['ipfilter("192.168.1.100", "192.168.1.0/24")', true],
  ['ipfilter("192.168.1.1", "192.168.1.0/24")', true],
  ['ipfilter("192.168.1.254", "192.168.1.0/24")', true],
  ['ipfilter("192.168.2.1", "192.168.1.0/24")', false],
  ['ipfilter("10.0.0.1", "192.168.1.0/24")', false],
  ['ipfilter("127.0.0.1", "127.0.0.0/8")', true],
  ['ipfilter("128.0.0.1", "127.0.0.0/8")', false],
  ['ipfilter("10.10.10.10", "10.0.0.0/8")', true],
  ['ipfilter("11.10.10.10", "10.0.0.0/8")', false],
  ['ipfilter("2001:db8::1", "2001:db8::/32")', true],
  ['ipfilter("2001:db9::1", "2001:db8::/32")', false],
  ['ipfilter("::1", "::1/128")', true],
  ['ipfilter("invalid.ip", "192.168.1.0/24")', NOT_OK],
  ['ipfilter("192.168.1.1", "invalid/cidr")', NOT_OK],
  ['ipfilter("192.168.1.1", "192.168.1.0/35")', NOT_OK],
];

describe("ipfilter (builtins_test.go)", () => {
  it.each(ROWS)("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });
});

describe("ipfilter beyond the Go table", () => {
  it.each<[string, Want]>([
    // IPv4-mapped IPv6 addresses compare as IPv4, both ways.
    ['ipfilter("::ffff:192.168.1.5", "192.168.1.0/24")', true],
    ['ipfilter("192.168.1.5", "::ffff:192.168.1.0/120")', true],
    ['ipfilter("192.168.1.5", "::/0")', false],
    ['ipfilter("2001:db8::1", "0.0.0.0/0")', false],
    ['ipfilter("10.1.2.3", "0.0.0.0/0")', true],
    // netip's strict IPv4: no leading zeros.
    ['ipfilter("010.1.2.3", "10.0.0.0/8")', NOT_OK],
    ['ipfilter("fe80::1%eth0", "fe80::/10")', NOT_OK],
    ['ipfilter("192.168.1.1", "192.168.1.0")', NOT_OK],
    ['ipfilter(not_a_field, "10.0.0.0/8")', NOT_OK],
    ['ipfilter(["10.1.1.1"], "10.0.0.0/8")', true],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  it("parses IPv6 forms like netip", () => {
    expect(parseIP("::")).toBeDefined();
    expect(parseIP("1:2:3:4:5:6:7:8")).toBeDefined();
    expect(parseIP("1:2:3:4:5:6:7:8:9")).toBeUndefined();
    expect(parseIP("1::2::3")).toBeUndefined();
    expect(parseIP("1:2:3:4:5:6:7::")).toBeDefined();
    expect(parseIP("::1.2.3.4")).toBeDefined();
    expect(parseIP("1:2:3:4:5:6:1.2.3.4")).toBeDefined();
    expect(parseIP("1:2:3:4:5:6:7:1.2.3.4")).toBeUndefined();
    expect(parseIP("12345::")).toBeUndefined();
    expect(parseIP("1.2.3")).toBeUndefined();
    expect(parseCIDR("10.0.0.0/+8")).toBeUndefined();
    expect(Array.from(parseIP("::ffff:1.2.3.4")!.addr.subarray(10))).toEqual([
      255, 255, 1, 2, 3, 4,
    ]);
  });
});
