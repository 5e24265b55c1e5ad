import { describe, expect, it } from "vitest";
import { NOT_OK, outcome, type Want } from "../../../test/support/segmentql-builtins.ts";

// Rows of expr/builtins/builtins_test.go (builtinTests), string section.
const ROWS: [string, Want][] = [
  ['contains("5tem",5)', true],
  ['contains("5item","item")', true],
  ['contains("the-hello",event)', true],
  ['contains("the-item",event)', false],
  ['contains(price,"$")', true],
  ['contains(url,"membership/all.html")', true],
  ['contains(not_a_field,"nope")', false],
  ["contains(tags, Address)", false],
  ['contains(tags, "")', NOT_OK],

  ['hasprefix("5tem",5)', true],
  ['hasprefix("hello world",event)', true],
  ['hasprefix(event,"he")', true],
  ['hasprefix(event,"ham")', false],
  ['hasprefix("5tem","5y")', false],
  ['hasprefix("","5y")', false],
  ['hasprefix(not_a_field,"5y")', false],
  ['hasprefix("hello","")', NOT_OK],

  ['hassuffix("tem","m")', true],
  ['hassuffix("hello",event)', true],
  ['hassuffix(event,"lo")', true],
  ['hassuffix(event,"ham")', false],
  ['hassuffix("5tem","5y")', false],
  ['hassuffix("","5y")', false],
  ['hassuffix(not_a_field,"5y")', false],
  ['hassuffix("hello","")', NOT_OK],

  ['tolower("Apple")', "apple"],
  ["tolower(Address)", NOT_OK],
  ['string.index("apple","p")', 1],
  ['string.index("apple","z")', NOT_OK],
  ['string.index(not_a_field,"z")', NOT_OK],
  ['string.lowercase("Apple")', "apple"],
  ["string.lowercase(Address)", NOT_OK],
  ['string.uppercase("Apple")', "APPLE"],
  ['string.uppercase("Apple Lemmings")', "APPLE LEMMINGS"],
  ["string.uppercase(Address)", NOT_OK],
  ['string.titlecase("android nexus")', "Android Nexus"],
  ['string.titlecase("android")', "Android"],
  ["string.titlecase(Address)", NOT_OK],
  ['string.substr("android",0,3)', "and"],
  ["string.substr(not_a_field,1,2)", NOT_OK],
  ['string.substr("android",not_a_field,2)', NOT_OK],
  ['string.substr("android", -1 , -2)', NOT_OK],
  ['string.substr("android", 0 , -2)', NOT_OK],
  ['string.substr("android", 0 , "hello")', NOT_OK],
  ['string.substr("android", 15 , 10)', NOT_OK],
  ['string.substr("android", 0 , 20)', NOT_OK],
  ['string.substr("android", 2)', "droid"],

  ['join("apple", event, "oranges", "--")', "apple--hello--oranges"],
  ['join(["apple","peach"], ",")', "apple,peach"],
  ['join("apple","","peach",",")', "apple,peach"],
  ['join(split("apple,peach",","),"--")', "apple--peach"],
  ['join("hello",Address)', NOT_OK],
  ['join(Address,"--")', NOT_OK],

  ['split("apples,oranges",",")', ["apples", "oranges"]],
  ['split(Address,",")', NOT_OK],
  ['split("",",")', NOT_OK],
  ['split("hello","")', NOT_OK],

  ['strip("apples ")', "apples"],
  ['strip(split("apples, oranges ",","))', ["apples", "oranges"]],
  ['strip(split(" apples, oranges ",","))', ["apples", "oranges"]],
  ['strip(split("apples\n\t, oranges ",","))', ["apples", "oranges"]],
  ["strip(Address)", NOT_OK],

  ['replace("M20:30","M")', "20:30"],
  ['replace("/search/for+stuff","/search/")', "for+stuff"],
  ['replace("M20:30","M","")', "20:30"],
  ['replace("M20:30","M","Hour ")', "Hour 20:30"],
];

describe("string builtins (builtins_test.go)", () => {
  it.each(ROWS)("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  it("false == contains(not_a_field, ...): a missing string is false, not a failure", () => {
    expect(outcome('contains(not_a_field,"nope")', false).got).toBe(false);
  });
});

describe("string builtins beyond the Go table", () => {
  it.each<[string, Want]>([
    // Go counts bytes.
    ['string.index("héllo","l")', 3],
    ['string.substr("héllo",3)', "llo"],
    ['len("héllo")', 6],
    // Go maps case rune by rune with simple mappings: "ß" has no single-rune upper case.
    ['string.uppercase("straße")', "STRAßE"],
    ['string.titlecase("hello_world foo-bar 3d")', "Hello_world Foo-Bar 3d"],
    ["string.lowercase(Created)", "2015-12-18 00:00:00 +0000 utc"],
    ["tolower(tags)", "a"],
    ['tolower(["X", "Y"])', "x"],
    // The first element of an empty list is not ok; of a list starting with nil it is "".
    ["tolower(EmptyStrings)", NOT_OK],
    ['replace(not_a_field, "x")', ""],
    ['replace("abc", "", "-")', "-a-b-c-"],
    ['split(5.5, ".")', ["5", "5"]],
    // strip() takes only strings and []string: a []value is not stripped.
    ['strip([" a", "b "])', NOT_OK],
    ['join(Authenticated, tags, ";")', "a;b;c;d"],
    ['join(Labels, "|")', "a|b|c|d|5|6|7"],
    ['join(not_a_field, ",")', NOT_OK],
    ["hasprefix(12345, 12)", true],
    ["hassuffix(Created, 0)", true],
    ['string.index("apple", not_a_field)', 0],
    ['string.substr("android", 4, 2)', NOT_OK],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });
});
