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

/** A function that replaces every occurrence of every value (and of each line of a multi-line value) with `***`. */
export function createRedactor(values: Iterable<string>): Redactor {
  const needles = new Set<string>();
  for (const value of values) {
    for (const piece of [value, ...value.split(/\r?\n|\r/u)]) {
      const trimmed = piece.trim();
      if (trimmed.length >= MIN_REDACTED_LENGTH) needles.add(trimmed);
    }
  }
  if (needles.size === 0) return (text) => text;
  // Longest first, so a value that contains another is hidden whole rather than around the shorter one.
  const pattern = new RegExp([...needles].sort((a, b) => b.length - a.length).map(escapeRegExp).join("|"), "gu");
  return (text) => text.replace(pattern, REDACTED);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&");
}
