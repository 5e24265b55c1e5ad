// github.com/mssola/user_agent v0.6.0, the parts qlbridge's useragent() and useragent.map()
// read: Mozilla, Platform, OS, Engine, Browser, Bot, Mobile. (The device model it also
// detects is not exposed by qlbridge and is left out.)

interface Section {
  name: string;
  version: string;
  comment: string[];
}

export interface UserAgentInfo {
  readonly mozilla: string;
  readonly platform: string;
  readonly os: string;
  readonly engine: string;
  readonly engineVersion: string;
  readonly browser: string;
  readonly browserVersion: string;
  readonly bot: boolean;
  readonly mobile: boolean;
}

interface State {
  ua: string;
  mozilla: string;
  platform: string;
  os: string;
  localization: string;
  engine: string;
  engineVersion: string;
  browser: string;
  browserVersion: string;
  bot: boolean;
  mobile: boolean;
  undecided: boolean;
}

// readUntil: up to the delimiter (nested parentheses kept together when cat), past it.
function readUntil(ua: string, at: { i: number }, delimiter: string, cat: boolean): string {
  let depth = 0;
  let i = at.i;
  let out = "";
  for (; i < ua.length; i++) {
    const c = ua[i]!;
    if (c === delimiter) {
      if (depth === 0) {
        at.i = i + 1;
        return out;
      }
      depth--;
    } else if (cat && c === "(") {
      depth++;
    }
    out += c;
  }
  at.i = i + 1;
  return out;
}

function parseProduct(product: string): [string, string] {
  const slash = product.indexOf("/");
  if (slash >= 0) return [product.slice(0, slash), product.slice(slash + 1)];
  return [product, ""];
}

function parseSection(ua: string, at: { i: number }): Section {
  const s: Section = { name: "", version: "", comment: [] };
  if (at.i < ua.length && ua[at.i] !== "(" && ua[at.i] !== "[") {
    [s.name, s.version] = parseProduct(readUntil(ua, at, " ", false));
  }
  if (at.i < ua.length && ua[at.i] === "(") {
    at.i++;
    s.comment = readUntil(ua, at, ")", true).split("; ");
    at.i++;
  }
  // Trailing data within square brackets is discarded.
  if (at.i < ua.length && ua[at.i] === "[") {
    at.i++;
    readUntil(ua, at, "]", true);
    at.i++;
  }
  return s;
}

const IE11_RE = /^rv:(.+)$/;

function detectBrowser(p: State, sections: Section[]): void {
  const slen = sections.length;
  const first = sections[0]!;
  if (first.name === "Opera") {
    p.browser = "Opera";
    p.browserVersion = first.version;
    p.engine = "Presto";
    if (slen > 1) p.engineVersion = sections[1]!.version;
  } else if (first.name === "Dalvik") {
    // Dalvik carries no browser, but is still Mozilla/5.0 compatible.
    p.mozilla = "5.0";
  } else if (slen > 1) {
    const engine = sections[1]!;
    p.engine = engine.name;
    p.engineVersion = engine.version;
    if (slen > 2) {
      let idx = 2;
      // The version after the engine comment is empty on e.g. Ubuntu; use the next one.
      if (sections[2]!.version === "" && slen > 3) idx = 3;
      p.browserVersion = sections[idx]!.version;
      if (engine.name === "AppleWebKit") {
        const googleOrBing = () =>
          engine.comment.some(
            (c) => c.length > 5 && (c.startsWith("Googlebot") || c.startsWith("bingbot")),
          );
        if (googleOrBing()) p.undecided = true;
        const last = sections[slen - 1]!;
        switch (last.name) {
          case "Edge":
            p.browser = "Edge";
            p.browserVersion = last.version;
            p.engine = "EdgeHTML";
            p.engineVersion = "";
            break;
          case "Edg":
            if (!p.undecided) {
              p.browser = "Edge";
              p.browserVersion = last.version;
              p.engine = "AppleWebKit";
              p.engineVersion = sections[slen - 2]!.version;
            }
            break;
          case "OPR":
            p.browser = "Opera";
            p.browserVersion = last.version;
            break;
          case "Mobile":
            p.browser = "Mobile App";
            p.browserVersion = "";
            break;
          default: {
            const third = sections[slen - 3]!;
            const second = sections[slen - 2]!;
            if (third.name === "YaBrowser") {
              p.browser = "YaBrowser";
              p.browserVersion = third.version;
            } else if (third.name === "coc_coc_browser") {
              p.browser = "Coc Coc";
              p.browserVersion = third.version;
            } else if (second.name === "Electron") {
              p.browser = "Electron";
              p.browserVersion = second.version;
            } else if (second.name === "DuckDuckGo") {
              p.browser = "DuckDuckGo";
              p.browserVersion = second.version;
            } else {
              switch (sections[idx]!.name) {
                case "Chrome":
                case "CriOS":
                  p.browser = "Chrome";
                  break;
                case "HeadlessChrome":
                  p.browser = "Headless Chrome";
                  break;
                case "Chromium":
                  p.browser = "Chromium";
                  break;
                case "GSA":
                  p.browser = "Google App";
                  break;
                case "FxiOS":
                  p.browser = "Firefox";
                  break;
                default:
                  p.browser = "Safari";
              }
            }
            // Google's and Bing's bots may emulate these browsers.
            if (googleOrBing()) p.undecided = true;
          }
        }
      } else if (engine.name === "Gecko") {
        let name = sections[2]!.name;
        if (name === "MRA" && slen > 4) {
          name = sections[4]!.name;
          p.browserVersion = sections[4]!.version;
        }
        p.browser = name;
      } else if (engine.name === "like" && sections[2]!.name === "Gecko") {
        // Internet Explorer 11.
        p.engine = "Trident";
        p.browser = "Internet Explorer";
        for (const c of first.comment) {
          const m = IE11_RE.exec(c);
          if (m) {
            p.browserVersion = m[1]!;
            return;
          }
        }
        p.browserVersion = "";
      }
    }
  } else if (slen === 1 && first.comment.length > 1) {
    const comment = first.comment;
    if (comment[0] === "compatible" && comment[1]!.startsWith("MSIE")) {
      p.engine = "Trident";
      p.browser = "Internet Explorer";
      // For IE 8 through 10 the Trident token is more accurate than the MSIE one.
      for (const v of comment) {
        if (v.startsWith("Trident/")) {
          switch (v.slice(8)) {
            case "4.0":
              p.browserVersion = "8.0";
              break;
            case "5.0":
              p.browserVersion = "9.0";
              break;
            case "6.0":
              p.browserVersion = "10.0";
              break;
          }
          break;
        }
      }
      if (p.browserVersion === "") p.browserVersion = comment[1]!.slice(4).trim();
    }
  }
}

function normalizeOS(name: string): string {
  const sp = splitN(name, " ", 3);
  if (sp.length !== 3 || sp[1] !== "NT") return name;
  switch (sp[2]) {
    case "5.0":
      return "Windows 2000";
    case "5.01":
      return "Windows 2000, Service Pack 1 (SP1)";
    case "5.1":
      return "Windows XP";
    case "5.2":
      return "Windows XP x64 Edition";
    case "6.0":
      return "Windows Vista";
    case "6.1":
      return "Windows 7";
    case "6.2":
      return "Windows 8";
    case "6.3":
      return "Windows 8.1";
    case "10.0":
      return "Windows 10";
    default:
      return name;
  }
}

function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

function googleOrBingBot(p: State): boolean {
  if (p.ua.includes("Google") || p.ua.includes("bingbot")) {
    p.platform = "";
    p.undecided = true;
  }
  return p.undecided;
}

// iMessage-Preview impersonates both the Facebook and the Twitter bots.
function iMessagePreview(p: State): boolean {
  if (!p.ua.includes("facebookexternalhit") || !p.ua.includes("Twitterbot")) return false;
  p.bot = true;
  p.browser = "iMessage-Preview";
  p.engine = "";
  p.engineVersion = "";
  return true;
}

function webkit(p: State, comment: string[]): void {
  if (p.platform === "webOS") {
    p.browser = p.platform;
    p.os = "Palm";
    if (comment.length > 2) p.localization = comment[2]!;
    p.mobile = true;
  } else if (p.platform === "Symbian") {
    p.mobile = true;
    p.browser = p.platform;
    p.os = comment[0]!;
  } else if (p.platform === "Linux") {
    p.mobile = true;
    if (p.browser === "Safari") p.browser = "Android";
    if (comment.length > 1) {
      if (comment[1] === "U" || comment[1] === "arm_64") {
        if (comment.length > 2) p.os = comment[2]!;
        else {
          p.mobile = false;
          p.os = comment[0]!;
        }
      } else {
        p.os = comment[1]!;
      }
    }
    if (comment.length > 3) p.localization = comment[3]!;
    else if (comment.length === 3) googleOrBingBot(p);
  } else if (comment.length > 0) {
    if (comment.length > 3) p.localization = comment[3]!;
    if (comment[0]!.startsWith("Windows NT")) p.os = normalizeOS(comment[0]!);
    else if (comment.length < 2) p.localization = comment[0]!;
    else if (comment.length < 3) {
      if (!googleOrBingBot(p) && !iMessagePreview(p)) p.os = normalizeOS(comment[1]!);
    } else p.os = normalizeOS(comment[2]!);
    if (p.platform === "BlackBerry") {
      p.browser = p.platform;
      if (p.os === "Touch") p.os = p.platform;
    }
  }
  // Firefox on iPad advertises itself as a Macintosh.
  if (p.platform === "Macintosh" && p.engine === "AppleWebKit" && p.browser === "Firefox") {
    p.platform = "iPad";
    p.mobile = true;
  }
}

function gecko(p: State, comment: string[]): void {
  if (comment.length <= 1) return;
  if (comment[1] === "U" || comment[1] === "arm_64") {
    p.os = normalizeOS(comment.length > 2 ? comment[2]! : comment[1]!);
  } else if (p.platform.includes("Android")) {
    p.mobile = true;
    const platform = p.platform;
    p.platform = normalizeOS(comment[1]!);
    p.os = platform;
  } else if (comment[0] === "Mobile" || comment[0] === "Tablet") {
    p.mobile = true;
    p.os = "FirefoxOS";
  } else if (p.os === "") {
    p.os = normalizeOS(comment[1]!);
  }
  if (comment.length > 3 && !comment[3]!.startsWith("rv:")) p.localization = comment[3]!;
}

function trident(p: State, comment: string[]): void {
  p.platform = "Windows";
  if (p.os === "") p.os = comment.length > 2 ? normalizeOS(comment[2]!) : "Windows NT 4.0";
  if (comment.some((v) => v.startsWith("IEMobile"))) p.mobile = true;
}

function opera(p: State, comment: string[]): void {
  const slen = comment.length;
  if (comment[0]!.startsWith("Windows")) {
    p.platform = "Windows";
    p.os = normalizeOS(comment[0]!);
    if (slen > 2)
      p.localization = slen > 3 && comment[2]!.startsWith("MRA") ? comment[3]! : comment[2]!;
  } else {
    if (comment[0]!.startsWith("Android")) p.mobile = true;
    p.platform = comment[0]!;
    if (slen > 1) {
      p.os = comment[1]!;
      if (slen > 3) p.localization = comment[3]!;
    } else {
      p.os = comment[0]!;
    }
  }
}

function dalvik(p: State, comment: string[]): void {
  if (comment[0]!.startsWith("Linux")) {
    p.platform = comment[0]!;
    if (comment.length > 2) p.os = comment[2]!;
    p.mobile = true;
  }
}

function getPlatform(comment: string[]): string {
  if (comment.length > 0 && comment[0] !== "compatible") {
    const c = comment[0]!;
    if (c.startsWith("Windows")) return "Windows";
    if (c.startsWith("Symbian")) return "Symbian";
    if (c.startsWith("webOS")) return "webOS";
    if (c === "BB10") return "BlackBerry";
    return c;
  }
  return "";
}

function detectOS(p: State, s: Section): void {
  if (s.name === "Mozilla") {
    // IE11's format is not backwards compatible with older IEs.
    p.platform = getPlatform(s.comment);
    if (p.platform === "Windows" && s.comment.length > 0) p.os = normalizeOS(s.comment[0]!);
    switch (p.engine) {
      case "":
        p.undecided = true;
        break;
      case "Gecko":
        gecko(p, s.comment);
        break;
      case "AppleWebKit":
        webkit(p, s.comment);
        break;
      case "Trident":
        trident(p, s.comment);
        break;
    }
  } else if (s.name === "Opera") {
    if (s.comment.length > 0) opera(p, s.comment);
  } else if (s.name === "Dalvik") {
    if (s.comment.length > 0) dalvik(p, s.comment);
  } else if (s.name === "okhttp") {
    p.mobile = true;
    p.browser = "OkHttp";
    p.browserVersion = s.version;
  } else {
    // A bot, or just a weird browser.
    p.undecided = true;
  }
}

const BOT_FROM_SITE_RE = /https?:\/\/.+\.\w+/;

function getFromSite(comment: string[]): string {
  if (comment.length === 0) return "";
  let idx = 2;
  if (comment.length < 3) idx = 0;
  else if (comment.length === 4) idx = 3;
  const m = BOT_FROM_SITE_RE.exec(comment[idx]!);
  if (!m) return "";
  // In a short comment the site itself names the bot; otherwise the field before it does.
  return idx === 0 ? m[0] : comment[idx - 1]!.trim();
}

function setSimple(p: State, name: string, version: string, bot: boolean): void {
  p.bot = bot;
  if (!bot) p.mozilla = "";
  p.browser = name;
  p.browserVersion = version;
  p.engine = "";
  p.engineVersion = "";
  p.os = "";
  p.localization = "";
}

const BOT_RE = /bot|crawler|sp(i|y)der|search|worm|fetch|nutch/i;

function checkBot(p: State, sections: Section[]): void {
  const first = sections[0]!;
  if (sections.length === 1 && first.name !== "Mozilla") {
    p.mozilla = "";
    if (BOT_RE.test(first.name)) {
      setSimple(p, first.name, "", true);
      return;
    }
    if (getFromSite(first.comment) !== "") {
      setSimple(p, first.name, first.version, true);
      return;
    }
    setSimple(p, first.name, first.version, false);
    return;
  }
  for (const s of sections) {
    const name = getFromSite(s.comment);
    if (name !== "") {
      const slash = name.indexOf("/");
      setSimple(
        p,
        slash >= 0 ? name.slice(0, slash) : name,
        slash >= 0 ? name.slice(slash + 1) : "",
        true,
      );
      return;
    }
  }
  // Some other weird browser.
  p.browser = first.name;
  p.browserVersion = first.version;
  p.mozilla = "";
}

/** user_agent.New(ua). */
export function parseUserAgent(ua: string): UserAgentInfo {
  const p: State = {
    ua,
    mozilla: "",
    platform: "",
    os: "",
    localization: "",
    engine: "",
    engineVersion: "",
    browser: "",
    browserVersion: "",
    bot: false,
    mobile: false,
    undecided: false,
  };
  const sections: Section[] = [];
  const at = { i: 0 };
  while (at.i < ua.length) {
    const s = parseSection(ua, at);
    if (!p.mobile && s.name === "Mobile") p.mobile = true;
    sections.push(s);
  }
  if (sections.length > 0) {
    if (sections[0]!.name === "Mozilla") p.mozilla = sections[0]!.version;
    detectBrowser(p, sections);
    detectOS(p, sections[0]!);
    if (p.undecided) checkBot(p, sections);
  }
  return p;
}
