import { describe, expect, it } from "vitest";
import { likeMatch } from "./glob.ts";

// Cases from Go's path.Match table (mb0/glob is a fork of it) plus the GlobStar and `%` behaviour
// qlbridge's LIKE adds. `undefined` is a malformed pattern (qlbridge: not ok).
const CASES: [pattern: string, value: string, expected: boolean | undefined][] = [
  ["abc", "abc", true],
  ["*", "abc", true],
  ["*c", "abc", true],
  ["a*", "a", true],
  ["a*", "abc", true],
  ["a*", "ab/c", false],
  ["a*/b", "abc/b", true],
  ["a*/b", "a/c/b", false],
  ["a*b*c*d*e*/f", "axbxcxdxe/f", true],
  ["a*b*c*d*e*/f", "axbxcxdxexxx/f", true],
  ["a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false],
  ["a*b*c*d*e*/f", "axbxcxdxexxx/fff", false],
  ["a*b?c*x", "abxbbxdbxebxczzx", true],
  ["a*b?c*x", "abxbbxdbxebxczzy", false],
  ["ab[c]", "abc", true],
  ["ab[b-d]", "abc", true],
  ["ab[e-g]", "abc", false],
  ["ab[^c]", "abc", false],
  ["ab[^b-d]", "abc", false],
  ["ab[^e-g]", "abc", true],
  ["a\\*b", "a*b", true],
  ["a\\*b", "ab", false],
  ["a?b", "a☺b", true],
  ["a[^a]b", "a☺b", true],
  ["a???b", "a☺b", false],
  ["[a-ζ]*", "α", true],
  ["*[a-ζ]", "A", false],
  ["a?b", "a/b", false],
  ["a*b", "a/b", false],
  ["[\\]a]", "]", true],
  ["[\\-]", "-", true],
  ["[x\\-]", "-", true],
  ["[x\\-]", "z", false],
  ["[]a]", "]", undefined],
  ["[-]", "-", undefined],
  ["[x-]", "x", undefined],
  ["\\", "a", undefined],
  ["[a-b-c]", "a", undefined],
  ["[", "a", undefined],
  ["[^bc", "a", undefined],
  ["*x", "xxx", true],
  // qlbridge: `%` is `*`; two or more stars cross "/"; the whole string must match, case-sensitively.
  ["%blog%", "blog-post", true],
  ["*blog*", "http://x.com/blog/post", false],
  ["**blog**", "http://x.com/blog/post", true],
  ["bob", "bob", true],
  ["bob", "Bob", false],
  ["*@example.com", "ann@example.com", true],
  ["*@example.com", "ann@example.com.au", false],
];

describe("likeMatch", () => {
  it.each(CASES)("%s LIKE %s → %s", (pattern, value, expected) => {
    expect(likeMatch(value, pattern)).toBe(expected);
  });
});
