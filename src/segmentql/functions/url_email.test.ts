import { describe, expect, it } from "vitest";
import {
  evalCall,
  NOT_OK,
  outcome,
  validationError,
  type Want,
} from "../../../test/support/segmentql-builtins.ts";
import { lookupFunction } from "./index.ts";
import { effectiveTLDPlusOne } from "./url_email.ts";
import { parseUserAgent } from "./useragent.ts";

// Rows of expr/builtins/builtins_test.go (builtinTests): email, url and user-agent sections.
// The test's emptyslice() is an empty []value: EmptyLabels here.
const ROWS: [string, Want][] = [
  ['email("Bob@Bob.com")', "bob@bob.com"],
  ['email("Bob <bob>")', NOT_OK],
  ['email([""])', NOT_OK],
  ['email("Bob <bob@bob.com>")', "bob@bob.com"],
  ["email(emails)", "email1@email.com"],
  ["email([email])", "email@email.com"],

  ['emailname("Bob<bob@bob.com>")', "Bob"],
  ["emailname(Address)", NOT_OK],
  ['emailname("Bob <bob@good")', NOT_OK],

  ['emaildomain("Bob<bob@gmail.com>")', "gmail.com"],
  ["emaildomain(Address)", NOT_OK],
  ['emaildomain("Bob <bob@good")', NOT_OK],

  ['host("https://www.Google.com/search?q=golang")', "www.google.com"],
  ['host("www.Google.com/?q=golang")', "www.google.com"],
  ["host(EmptyStrings)", NOT_OK],
  ["host(EmptyLabels)", NOT_OK],
  ['host("")', NOT_OK],
  ['host("a b c  more")', NOT_OK],

  ['hosts("www.Google.com/?q=golang", "www.golang.org/")', ["www.google.com", "www.golang.org"]],
  ['hosts(["www.Google.com/?q=golang", "www.golang.org/"])', ["www.google.com", "www.golang.org"]],
  ['hosts("")', NOT_OK],

  ['urldecode("hello+world")', "hello world"],
  ['urldecode("hello world")', "hello world"],
  ['urldecode("2Live_Reg")', "2Live_Reg"],
  [
    'urldecode("https%3A%2F%2Fwww.google.com%2Fsearch%3Fq%3Dgolang")',
    "https://www.google.com/search?q=golang",
  ],
  ['urldecode(["hello","world"])', "hello"],
  ["urldecode(EmptyStrings)", NOT_OK],
  ["urldecode(Address)", NOT_OK],

  ['domain("https://www.Google.com/search?q=golang")', "google.com"],
  ['domain(split("Google.com/search?q=golang,www.ign.com",","))', "google.com"],
  ['domain("http://")', NOT_OK],
  ['domain("web.theecoexperts.co.uk")', "theecoexperts.co.uk"],
  ['domain("google.com")', "google.com"],
  ['domain("books.amazon.co.uk")', "amazon.co.uk"],
  ['domain("www.books.amazon.co.uk")', "amazon.co.uk"],

  [
    'domains(split("https://www.Google.com/,http://www.lytics.io",","))',
    ["google.com", "lytics.io"],
  ],
  ['domains("https://www.Google.com/search?q=golang")', ["google.com"]],
  [
    'domains("https://www.Google.com/search?q=golang","http://www.ign.com")',
    ["google.com", "ign.com"],
  ],
  ['domains("Google.com/search?q=golang","www.ign.com")', ["google.com", "ign.com"]],
  ["domains(Address)", NOT_OK],
  ['domains(split("abc,def",","))', NOT_OK],

  ['path("https://www.Google.com/search?q=golang")', "/search"],
  ['path(split("https://www.Google.com/search?q=golang",","))', "/search"],
  ['path("https://www.Google.com/blog/hello.html")', "/blog/hello.html"],
  ['path("www.Google.com/?q=golang")', "/"],
  ['path("file://Windows/really")', "//windows/really"],
  ['path("/home/aaron/vm")', "/home/aaron/vm"],
  ["path(EmptyLabels)", NOT_OK],
  ["path(Address)", NOT_OK],
  ['path("http://192.168.0.%31:8080/")', NOT_OK],

  ['qs("http://go.gl/?q=golang","q")', "golang"],
  ['qs("http://go.gl/?Q=golang","q")', "golang"],
  ['qs("http://go.gl/?q=GOLANG","q")', "golang"],
  ['qs("www.Google.com/?q=golang","q")', "golang"],
  ['qs(split("www.Google.com/?q=golang",","),"q")', "golang"],
  ['qs(EmptyLabels,"q")', NOT_OK],
  ['qs(Address,"q")', NOT_OK],
  ['qs("http://go.gl/?q=golang","")', NOT_OK],
  ['qs("http://go.gl/?q=golang","qnot")', NOT_OK],
  ['qs("http://192.168.0.%31:8080/","qnot")', NOT_OK],

  ['qs2("http://go.gl/?q=golang","q")', "golang"],
  ['qs2("http://go.gl/?Q=golang","q")', NOT_OK],
  ['qs2("http://go.gl/?q=GOLANG","q")', "GOLANG"],
  ['qs2("www.Google.com/?q=golang","q")', "golang"],
  ['qs2(split("www.Google.com/?q=golang",","),"q")', "golang"],
  ['qs2(EmptyLabels,"q")', NOT_OK],
  ['qs2(Address,"q")', NOT_OK],
  ['qs2("http://go.gl/?q=golang","")', NOT_OK],
  ['qs2("http://go.gl/?q=golang","qnot")', NOT_OK],
  ['qs2("http://192.168.0.%31:8080/","qnot")', NOT_OK],

  ['urlmain("http://www.Google.com/search?q1=golang&q2=github")', "www.Google.com/search"],
  ['urlmain(split("www.Google.com/?q=golang",","))', "www.Google.com/"],
  ['urlmain("http://192.168.0.%31:8080/")', NOT_OK],
  ['urlmain("")', NOT_OK],
  ["urlmain(EmptyLabels)", NOT_OK],

  [
    'urlminusqs("http://www.Google.com/search?q1=golang&q2=github","q1")',
    "http://www.Google.com/search?q2=github",
  ],
  [
    'urlminusqs("http://www.Google.com/search?q1=golang&q2=github","q3")',
    "http://www.Google.com/search?q1=golang&q2=github",
  ],
  ['urlminusqs("http://www.Google.com/search?q1=golang","q1")', "http://www.Google.com/search"],
  ['urlminusqs(split("http://go.gl?q=abc",","),"q")', "http://go.gl"],
  ['urlminusqs("go.gl?q=abc","q")', "http://go.gl"],
  ['urlminusqs("go.gl?q=abc","")', NOT_OK],
  ['urlminusqs("","q")', NOT_OK],
  ['urlminusqs(Address,"q")', NOT_OK],
  ['urlminusqs(EmptyLabels,"q")', NOT_OK],
  ['urlminusqs("http://192.168.0.%31:8080/","g")', NOT_OK],

  [
    'url.matchqs("http://www.google.com/blog?mc_eid=123&mc_id=1&pid=123&utm_campaign=free")',
    "www.google.com/blog",
  ],
  [
    'url.matchqs("http://www.google.com/blog?mc_eid=123&mc_id=1&pid=123&utm_campaign=free", "pid", "mc_eid")',
    "www.google.com/blog?mc_eid=123&pid=123",
  ],
  [
    'url.matchqs("http://www.google.com/blog?mc_eid=123&mc_id=1&pid=123&utm_campaign=free", "mc_*")',
    "www.google.com/blog?mc_eid=123&mc_id=1",
  ],
  ['url.matchqs(split("http://go.gl?qx=abc&lb=true",","),"q[a-z]")', "go.gl?qx=abc"],
  ['url.matchqs("http://www.google.com/blog")', "www.google.com/blog"],
  ['url.matchqs(split("http://go.gl?lb=true",","),"q[a-z]")', "go.gl"],
  ['url.matchqs(EmptyLabels,"q*")', NOT_OK],
  ['url.matchqs("http://not a url")', NOT_OK],
  ['url.matchqs("")', NOT_OK],

  ['useragent(ua, "os")', "Linux x86_64"],
  ['useragent(ua, "bot")', "false"],
  ['useragent(ua, "mobile")', "false"],
  ['useragent(ua, "mozilla")', "5.0"],
  ['useragent(ua, "platform")', "X11"],
  ['useragent(ua, "engine")', "AppleWebKit"],
  ['useragent(ua, "engine_version")', "537.11"],
  ['useragent(ua, "browser")', "Chrome"],
  ['useragent(ua, "browser_version")', "23.0.1271.97"],
  ['useragent(split(ua,","), "os")', "Linux x86_64"],
  ['useragent(EmptyLabels, "os")', NOT_OK],
  ['useragent("", "os")', NOT_OK],
  ['useragent(ua, "")', NOT_OK],
  ['useragent(ua, "not_valid")', NOT_OK],

  ["len(useragent.map(ua))", 9],
  ['len(useragent.map(split(ua,",")))', 9],
  ["len(useragent.map(EmptyLabels))", NOT_OK],
  ['useragent.map("")', NOT_OK],
];

describe("email, url and user-agent builtins (builtins_test.go)", () => {
  it.each(ROWS)("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  it.each([
    "email()",
    "email(a,b)",
    "domains()",
    "domain(a,b)",
    "hosts()",
    "qs(abc)",
    "qs2(a,b,c)",
    "urlminusqs(abc)",
    "url.matchqs()",
    'url.matchqs("http://go.gl/?a=b","[*")',
    'url.matchqs("http://go.gl", not_an_identity)',
    'url.matchqs("http://go.gl", "n[")',
    'url.matchqs("http://go.gl", "")',
    "useragent(abc)",
    "useragent.map(a,b)",
  ])("rejects %s at parse time (testValidation)", (src) => {
    expect(validationError(src)).toBeDefined();
  });
});

describe("email, url and user-agent builtins beyond the Go table", () => {
  it.each<[string, Want]>([
    ['email("bob@[127.0.0.1]")', "bob@[127.0.0.1]"],
    ['email("bob@[not.an.ip]")', NOT_OK],
    ['email("bob@example.com (Bob)")', "bob@example.com"],
    ['emailname("bob@example.com (Bob Smith)")', "Bob Smith"],
    ['emailname("=?utf-8?q?J=C3=B6rg?= <j@x.de>")', "Jörg"],
    ['emailname("=?koi8-r?q?x?= <j@x.de>")', NOT_OK],
    ['email("a@b, c@d")', NOT_OK],
    ['email("group: a@b;")', "a@b"],
    ["email(Created)", NOT_OK],
    // The port stays in the host, and so in domain()'s eTLD+1.
    ['host("HTTP://Example.COM:8080/x")', "example.com:8080"],
    // "uk:8080" is no known suffix, so Go's default rule makes it the public suffix.
    ['domain("http://www.example.co.uk:8080/")', "co.uk:8080"],
    ['domain("http://localhost/")', NOT_OK],
    // domains() appends "" twice for a host without an eTLD+1 (qlbridge's missing continue).
    ['domains("http://localhost/", "www.ign.com")', ["", "", "ign.com"]],
    ['domains(["www.ign.com"])', NOT_OK],
    ['path("http://x.com/a%20b")', "/a b"],
    ['path("http://x.com/a%zzb")', NOT_OK],
    ['qs("http://x.com/?a=1&a=2","a")', "1"],
    ['qs("http://x.com/?a=1;b=2","a")', NOT_OK],
    ['qs("http://x.com/?a=x%20y","a")', "x y"],
    ['urlminusqs("http://x.com/p","q")', "http://x.com/p?"],
    ['urlminusqs("http://x.com/p?b=2&a=1&c=%20","b")', "http://x.com/p?a=1&c=+"],
    ['url.matchqs("http://x.com/p?B=1&a=2", "(?i)b")', "x.com/p?B=1"],
    ['urldecode("100%")', NOT_OK],
    ['host("http://[::1]:80/")', "[::1]:80"],
    ['host("http://[zz]/")', NOT_OK],
  ])("%s", (src, want) => {
    const r = outcome(src, want);
    expect(r.got).toEqual(r.want);
  });

  it("parses quoted display names and lower-cases the address", () => {
    const email = lookupFunction("email")!;
    const name = lookupFunction("emailname")!;
    const text = '"Smith, Bob" <Bob.Smith@Example.com>';
    expect(email.eval([text], ["string"], { now: 0 })).toBe("bob.smith@example.com");
    expect(name.eval([text], ["string"], { now: 0 })).toBe("Smith, Bob");
    expect(email.eval(['"" <a@b>'], ["string"], { now: 0 })).toBe("a@b");
    expect(email.eval(['"unclosed <a@b>'], ["string"], { now: 0 })).toBeUndefined();
  });

  it("useragent.map has the nine parts qlbridge exposes", () => {
    expect(evalCall("useragent.map(ua)")).toEqual({
      bot: "false",
      mobile: "false",
      mozilla: "5.0",
      platform: "X11",
      os: "Linux x86_64",
      engine: "AppleWebKit",
      engine_version: "537.11",
      browser: "Chrome",
      browser_version: "23.0.1271.97",
    });
  });

  it.each<[string, string | undefined]>([
    ["www.books.amazon.co.uk", "amazon.co.uk"],
    ["co.uk", undefined],
    ["foo.blogspot.com", "foo.blogspot.com"],
    ["example.unknowntld", "example.unknowntld"],
    ["www.ck", "www.ck"],
    [".example.com", undefined],
    ["example..com", undefined],
  ])("effectiveTLDPlusOne(%s)", (host, want) => {
    expect(effectiveTLDPlusOne(host)).toBe(want);
  });
});

// mssola/user_agent's own table (all_test.go at v0.6.0), the fields qlbridge reads.
describe("user-agent parsing (mssola/user_agent)", () => {
  const CASES: [string, string][] = [
    [
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "Mozilla:5.0 Browser:Googlebot-2.1 Bot:true Mobile:false",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 6_0 like Mac OS X) AppleWebKit/536.26 (KHTML, like Gecko) Version/6.0 Mobile/10A5376e Safari/8536.25 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "Mozilla:5.0 Browser:Googlebot-2.1 Bot:true Mobile:true",
    ],
    [
      "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Safari/537.36",
      "Mozilla:5.0 Browser:Googlebot-2.1 Bot:true Mobile:false",
    ],
    [
      "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
      "Mozilla:5.0 Browser:bingbot-2.0 Bot:true Mobile:false",
    ],
    ["Twitterbot", "Browser:Twitterbot Bot:true Mobile:false"],
    [
      "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
      "Mozilla:5.0 Browser:Yahoo! Slurp Bot:true Mobile:false",
    ],
    [
      "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
      "Browser:facebookexternalhit-1.1 Bot:true Mobile:false",
    ],
    [
      "NutchCVS/0.8-dev (Nutch; http://lucene.apache.org/nutch/bot.html; nutch-agent@lucene.apache.org)",
      "Browser:NutchCVS Bot:true Mobile:false",
    ],
    [
      "AdsBot-Google (+http://www.google.com/adsbot.html)",
      "Browser:AdsBot-Google Bot:true Mobile:false",
    ],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
      "Mozilla:5.0 Platform:Macintosh Browser:iMessage-Preview-9.0.1 Bot:true Mobile:false",
    ],
    [
      "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)",
      "Mozilla:5.0 Platform:Windows OS:Windows 8 Browser:Internet Explorer-10.0 Engine:Trident Bot:false Mobile:false",
    ],
    [
      "Mozilla/4.0 (compatible; MSIE 7.0; Windows Phone OS 7.0; Trident/3.1; IEMobile/7.0; SAMSUNG; SGH-i917)",
      "Mozilla:4.0 Platform:Windows OS:Windows Phone OS 7.0 Browser:Internet Explorer-7.0 Engine:Trident Bot:false Mobile:true",
    ],
    [
      "Mozilla/4.0 (compatible; MSIE6.0; Windows NT 5.0; .NET CLR 1.1.4322)",
      "Mozilla:4.0 Platform:Windows OS:Windows 2000 Browser:Internet Explorer-6.0 Engine:Trident Bot:false Mobile:false",
    ],
    [
      "Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko",
      "Mozilla:5.0 Platform:Windows OS:Windows 8.1 Browser:Internet Explorer-11.0 Engine:Trident Bot:false Mobile:false",
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.10240",
      "Mozilla:5.0 Platform:Windows OS:Windows 10 Browser:Edge-12.10240 Engine:EdgeHTML Bot:false Mobile:false",
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/83.0.4103.61 Safari/537.36 Edg/83.0.478.37",
      "Mozilla:5.0 Platform:Windows OS:Windows 10 Browser:Edge-83.0.478.37 Engine:AppleWebKit-537.36 Bot:false Mobile:false",
    ],
    [
      "Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; en-US; rv:1.9.2.13) Gecko/20101203 Firefox/3.6.13",
      "Mozilla:5.0 Platform:Macintosh OS:Intel Mac OS X 10.6 Browser:Firefox-3.6.13 Engine:Gecko-20101203 Bot:false Mobile:false",
    ],
    [
      "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:50.0) Gecko/20100101 Firefox/50.0",
      "Mozilla:5.0 Platform:X11 OS:Ubuntu Browser:Firefox-50.0 Engine:Gecko-20100101 Bot:false Mobile:false",
    ],
    [
      "Mozilla/5.0 (Android 7.0; Mobile; rv:60.0) Gecko/60.0 Firefox/60.0",
      "Mozilla:5.0 Platform:Mobile OS:Android 7.0 Browser:Firefox-60.0 Engine:Gecko-60.0 Bot:false Mobile:true",
    ],
    [
      "Mozilla/5.0 (Mobile; rv:26.0) Gecko/26.0 Firefox/26.0",
      "Mozilla:5.0 Platform:Mobile OS:FirefoxOS Browser:Firefox-26.0 Engine:Gecko-26.0 Bot:false Mobile:true",
    ],
    [
      "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:24.0) Gecko/20130405 MRA 5.5 (build 02842) Firefox/24.0 (.NET CLR 3.5.30729)",
      "Mozilla:5.0 Platform:Windows OS:Windows XP Browser:Firefox-24.0 Engine:Gecko-20130405 Bot:false Mobile:false",
    ],
    [
      "Opera/9.27 (Macintosh; Intel Mac OS X; U; en)",
      "Platform:Macintosh OS:Intel Mac OS X Browser:Opera-9.27 Engine:Presto Bot:false Mobile:false",
    ],
    ["Opera/9.80", "Browser:Opera-9.80 Engine:Presto Bot:false Mobile:false"],
    [
      "Opera/9.80 (Android 4.2.1; Linux; Opera Mobi/ADR-1212030829) Presto/2.11.355 Version/12.10",
      "Platform:Android 4.2.1 OS:Linux Browser:Opera-9.80 Engine:Presto-2.11.355 Bot:false Mobile:true",
    ],
    [
      "Opera/9.80 (Windows NT 5.1; MRA 6.0 (build 5831)) Presto/2.12.388 Version/12.10",
      "Platform:Windows OS:Windows XP Browser:Opera-9.80 Engine:Presto-2.12.388 Bot:false Mobile:false",
    ],
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/71.0.3578.99 YaBrowser/19.1.0.2494 (beta) Yowser/2.5 Safari/537.36",
      "Mozilla:5.0 Platform:X11 OS:Linux x86_64 Browser:YaBrowser-19.1.0.2494 Engine:AppleWebKit-537.36 Bot:false Mobile:false",
    ],
    ["", "Bot:false Mobile:false"],
    ["nil", "Browser:nil Bot:false Mobile:false"],
    ["Mozilla/4.0 (compatible)", "Browser:Mozilla-4.0 Bot:false Mobile:false"],
    ["amaya/9.51 libwww/5.4.0", "Browser:amaya-9.51 Engine:libwww-5.4.0 Bot:false Mobile:false"],
    ["okhttp/4.2.2", "Browser:OkHttp-4.2.2 Bot:false Mobile:true"],
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/92.0.4515.107 Safari/537.36",
      "Mozilla:5.0 Platform:X11 OS:Linux x86_64 Browser:Headless Chrome-92.0.4515.107 Engine:AppleWebKit-537.36 Bot:false Mobile:false",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 7_0_3 like Mac OS X) AppleWebKit/537.51.1 (KHTML, like Gecko) Version/7.0 Mobile/11B511 Safari/9537.53",
      "Mozilla:5.0 Platform:iPhone OS:CPU iPhone OS 7_0_3 like Mac OS X Browser:Safari-7.0 Engine:AppleWebKit-537.51.1 Bot:false Mobile:true",
    ],
    [
      "Mozilla/5.0 (webOS/1.4.0; U; en-US) AppleWebKit/532.2 (KHTML, like Gecko) Version/1.0 Safari/532.2 Pre/1.1",
      "Mozilla:5.0 Platform:webOS OS:Palm Browser:webOS-1.0 Engine:AppleWebKit-532.2 Bot:false Mobile:true",
    ],
    [
      "Mozilla/5.0 (Linux; U; Android 1.5; de-; HTC Magic Build/PLAT-RC33) AppleWebKit/528.5+ (KHTML, like Gecko) Version/3.1.2 Mobile Safari/525.20.1",
      "Mozilla:5.0 Platform:Linux OS:Android 1.5 Browser:Android-3.1.2 Engine:AppleWebKit-528.5+ Bot:false Mobile:true",
    ],
    [
      "Mozilla/5.0 (BB10; Touch) AppleWebKit/537.3+ (KHTML, like Gecko) Version/10.0.9.388 Mobile Safari/537.3+",
      "Mozilla:5.0 Platform:BlackBerry OS:BlackBerry Browser:BlackBerry-10.0.9.388 Engine:AppleWebKit-537.3+ Bot:false Mobile:true",
    ],
    [
      "Mozilla/5.0 (SymbianOS/9.1; U; [en-us]) AppleWebKit/413 (KHTML, like Gecko) Safari/413",
      "Mozilla:5.0 Platform:Symbian OS:SymbianOS/9.1 Browser:Symbian-413 Engine:AppleWebKit-413 Bot:false Mobile:true",
    ],
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Ubuntu Chromium/49.0.2623.108 Chrome/49.0.2623.108 Safari/537.36",
      "Mozilla:5.0 Platform:X11 OS:Linux x86_64 Browser:Chromium-49.0.2623.108 Engine:AppleWebKit-537.36 Bot:false Mobile:false",
    ],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/24.1 Safari/605.1.15",
      "Mozilla:5.0 Platform:iPad OS:Intel Mac OS X 10.15 Browser:Firefox-24.1 Engine:AppleWebKit-605.1.15 Bot:false Mobile:true",
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) CozyDrive/3.17.0  Chrome/73.0.3683.119 Electron/5.0.0 Safari/537.36",
      "Mozilla:5.0 Platform:Windows OS:Windows 10 Browser:Electron-5.0.0 Engine:AppleWebKit-537.36 Bot:false Mobile:false",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 14_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]",
      "Mozilla:5.0 Platform:iPhone OS:CPU iPhone OS 14_6 like Mac OS X Browser:Mobile App Engine:AppleWebKit-605.1.15 Bot:false Mobile:true",
    ],
    [
      "Dalvik/1.6.0 (Linux; U; Android 4.4.2; ASUS_T00Q Build/KVT49L)/CLDC-1.1",
      "Mozilla:5.0 Platform:Linux OS:Android 4.4.2 Bot:false Mobile:true",
    ],
    [
      "[FBAN/FB4A;FBAV/16.0.0.20.15;FBBV/4061184;FBDM/{density=1.5,width=540,height=960};FBLC/en_US;FB_FW/2;FBCR/MY CELCOM;FBPN/com.facebook.katana;FBDV/Lenovo A850+;FBSV/4.2.2;FBOP/1;FBCA/armeabi-v7a:armeabi;]",
      "Bot:false Mobile:false",
    ],
    [
      "Mozilla/5.0 (Linux; arm_64; Android 8.0.0; SM-G935F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 YaBrowser/19.12.3.101.00 Mobile Safari/537.36",
      "Mozilla:5.0 Platform:Linux OS:Android 8.0.0 Browser:YaBrowser-19.12.3.101.00 Engine:AppleWebKit-537.36 Bot:false Mobile:true",
    ],
  ];

  // all_test.go's beautify(), without Localization and Model (qlbridge does not read them).
  function beautify(ua: string): string {
    const p = parseUserAgent(ua);
    let s = "";
    if (p.mozilla) s += `Mozilla:${p.mozilla} `;
    if (p.platform) s += `Platform:${p.platform} `;
    if (p.os) s += `OS:${p.os} `;
    if (p.browser) s += `Browser:${p.browser}${p.browserVersion ? `-${p.browserVersion}` : ""} `;
    if (p.engine) s += `Engine:${p.engine}${p.engineVersion ? `-${p.engineVersion}` : ""} `;
    return `${s}Bot:${p.bot} Mobile:${p.mobile}`;
  }

  it.each(CASES)("%s", (ua, want) => {
    expect(beautify(ua)).toBe(want);
  });
});
