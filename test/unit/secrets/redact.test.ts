import { describe, expect, it } from "vitest";
import { createRedactor, MIN_REDACTED_LENGTH, REDACTED } from "../../../src/secrets";

describe("createRedactor", () => {
  it("replaces every occurrence of every value with ***", () => {
    const redact = createRedactor(["hunter2-password", "acr-token-123"]);
    expect(redact("login with hunter2-password then hunter2-password")).toBe(`login with ${REDACTED} then ${REDACTED}`);
    expect(redact("token=acr-token-123;")).toBe(`token=${REDACTED};`);
    expect(redact("nothing secret here")).toBe("nothing secret here");
  });

  it("hides a value that contains another whole, not around the shorter one", () => {
    const redact = createRedactor(["abcd", "xxabcdxx"]);
    expect(redact("value xxabcdxx and abcd")).toBe(`value ${REDACTED} and ${REDACTED}`);
  });

  it("hides each line of a multi-line value, since ACI returns the log line by line", () => {
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\r\nAQEFAASCBKcwggSjAgEAAoIB\n-----END PRIVATE KEY-----\n";
    const redact = createRedactor([pem]);
    expect(pem.split(/\r?\n/u).map(redact)).toEqual([REDACTED, REDACTED, REDACTED, REDACTED, ""]);
  });

  it("hides the raw value a container prints from a secret volume file", () => {
    // ACI is sent the file base64-encoded and writes the decoded value; `cat` prints the raw value.
    const fileValue = "api-key: 0c1e5d2f-volume";
    const redact = createRedactor([fileValue]);
    expect(redact(`$ cat /mnt/secrets/config.yaml: ${fileValue}`)).toBe(`$ cat /mnt/secrets/config.yaml: ${REDACTED}`);
  });

  it(`ignores values and value lines shorter than ${MIN_REDACTED_LENGTH} characters, which would mangle every line`, () => {
    const redact = createRedactor(["a", "no", "abc", "\n\n", "long-enough\nok"]);
    expect(redact("a banana? no, abc")).toBe("a banana? no, abc");
    expect(redact("long-enough then ok")).toBe(`${REDACTED} then ok`);
  });

  it("treats regular-expression characters literally", () => {
    const redact = createRedactor(["p@ss.w*rd(1)|[x]$"]);
    expect(redact("pXssXwrd1 p@ss.w*rd(1)|[x]$")).toBe(`pXssXwrd1 ${REDACTED}`);
  });

  it("hides the encodings a value travels in through error text: base64, base64 of user:value, URL encoding", () => {
    const value = "s3cr3t/p@ss word+";
    const redact = createRedactor([value], ["puller"]);
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    const text = [
      `raw ${value}`,
      `basic ${b64(value)}`,
      `unpadded ${b64(value).replace(/=+$/u, "")}`,
      `url-safe ${Buffer.from(value).toString("base64url")}`,
      `auth ${b64(`puller:${value}`)}`,
      `query ?key=${encodeURIComponent(value)}`,
      `form key=${encodeURIComponent(value).replace(/%20/gu, "+")}`,
    ];
    expect(text.map(redact)).toEqual(["raw", "basic", "unpadded", "url-safe", "auth", "query ?key=", "form key="].map((head) => `${head} ${REDACTED}`.replace("= ", "=")));
  });

  it("is the identity without values", () => {
    expect(createRedactor([])("text")).toBe("text");
  });
});
