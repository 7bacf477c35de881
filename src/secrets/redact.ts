/**
 * @module
 * Hides secret values in text a container printed, before anything stores or shows it. ACI returns a
 * container's log one line at a time (src/aci/logs.ts), so a multi-line value (a PEM key, a secret
 * volume file) can only appear a line at a time: each line of a value is hidden on its own, as well as
 * the whole value. A secret volume's file holds the raw value (ACI decodes the base64 it is sent), which
 * is what `cat` prints, so the raw value is what is searched for.
 */

/**
 * Values, and lines of values, shorter than this are not hidden. Masking every "a" or "no" would
 * mangle the log without protecting anything (Airflow's masker documents the same failure mode: a
 * password of "a" masks every letter a), and so short a value is guessable anyway. docs/architecture.md
 * says so where it explains redaction.
 */
export const MIN_REDACTED_LENGTH = 4;

export const REDACTED = "***";

export type Redactor = (text: string) => string;

/**
 * A function that replaces every occurrence of every value (and of each line of a multi-line value) with
 * `***`, and of the encodings in which a value commonly travels in error text and URLs: base64 (as in a
 * Basic authorization header or a docker `auth` field, also of `user:value` for each of `usernames`) and
 * URL encoding. A value merely embedded inside a longer base64 text is not found: base64 does not align.
 */
export function createRedactor(values: Iterable<string>, usernames: readonly string[] = []): Redactor {
  const needles = new Set<string>();
  const add = (needle: string) => {
    if (needle.length >= MIN_REDACTED_LENGTH) needles.add(needle);
  };
  for (const value of values) {
    for (const piece of [value, ...value.split(/\r?\n|\r/u)]) add(piece.trim());
    if (value.trim().length < MIN_REDACTED_LENGTH) continue;
    for (const plain of [value, ...usernames.map((user) => `${user}:${value}`)]) {
      const base64 = Buffer.from(plain, "utf8").toString("base64");
      add(base64);
      add(base64.replace(/=+$/u, ""));
      add(Buffer.from(plain, "utf8").toString("base64url"));
    }
    add(encodeURIComponent(value));
    add(encodeURIComponent(value).replace(/%20/gu, "+"));
  }
  if (needles.size === 0) return (text) => text;
  // Longest first, so a value that contains another is hidden whole rather than around the shorter one.
  const pattern = new RegExp([...needles].sort((a, b) => b.length - a.length).map(escapeRegExp).join("|"), "gu");
  return (text) => text.replace(pattern, REDACTED);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&");
}
