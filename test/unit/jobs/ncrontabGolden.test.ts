/**
 * Schedules against the real NCRONTAB library. dev/ncrontab-golden ran NCrontab.Signed over its cases.json
 * and recorded, per library version, whether each expression parses and its next occurrences after a few
 * instants: 3.3.0 (WebJobs extensions 3.0.6, the local host's), 3.3.2 (extensions 5.0) and 3.4.0, whose
 * evaluation code is 3.3.3's (extensions 5.1, the Azure Functions host's; 3.3.3 itself is not on our feed).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nextOccurrences, scheduleSlot, toNcrontab } from "../../../src/jobs/schedule";

interface Golden {
  count: number;
  after: string[];
  versions: string[];
  cases: { expression: string; why: string; results: Record<string, LibraryResult> }[];
}
type LibraryResult =
  | { parses: false; error: string }
  | { parses: true; reads: string; next: Record<string, { occurrences: string[]; stop?: string }> };

const golden = JSON.parse(readFileSync(join(__dirname, "fixtures", "ncrontab-golden.json"), "utf8")) as Golden;
const AZURE = "3.4.0";
const resultOf = (testCase: Golden["cases"][number], version: string) => {
  const result = testCase.results[version];
  if (!result) throw new Error(`the golden file has no NCrontab ${version} result for "${testCase.expression}"`);
  return result;
};

// Expressions NCrontab reads but toNcrontab refuses, and why (the golden file shows what NCrontab makes of them).
const REFUSED_THOUGH_NCRONTAB_READS: Readonly<Record<string, RegExp>> = {
  "0 0 0 * * Thurs": /write "Thurs" as THU: names take their first three letters/u,
  "0 0 0 1 J *": /write "J" as JAN/u,
  "0 0 22-2 * * *": /the range "22-2" runs backwards \(NCrontab would read 2-22\); for one that wraps write 22-23,0-2/u,
  "0 0 0 * * FRI-MON": /the range "FRI-MON" runs backwards \(NCrontab would read 1-5\); for one that wraps write 5-6,0-1/u,
  "0 0 0 * * 5-2": /runs backwards/u,
  "0 */0 * * * *": /step 0 in "\*\/0" \(NCrontab reads it as step 1\)/u,
  "0 5/0 * * * *": /step 0/u,
  "0 */-1 * * * *": /"\*\/-1" in the minute field is not \*, a value or a range/u,
  "0 0 0 30 2 *": /never fires/u,
  "0 0 0 31 4,6,9,11 *": /never fires/u,
  "0 0 1 * 1": /restricts both day of month and day of week.*write the 6-field "0 0 0 1 \* 1"/u,
  "0 0 */2 * 1": /restricts both day of month and day of week/u,
  "*/10 */5 * * * *": /several seconds within restricted minutes or hours/u,
  "* 0-1 10 * * *": /several seconds/u,
  "0,30 * 10 * * *": /several seconds/u,
  "0,30 15 * * * *": /several seconds/u,
};

const accepted = golden.cases.filter((testCase) => resultOf(testCase, AZURE).parses && !(testCase.expression in REFUSED_THOUGH_NCRONTAB_READS));
const sameInEveryVersion = (testCase: Golden["cases"][number]) =>
  golden.versions.every((version) => JSON.stringify(resultOf(testCase, version)) === JSON.stringify(resultOf(testCase, AZURE)));

describe("the NCrontab golden file", () => {
  it("covers the host's library versions and enough expressions", () => {
    expect(golden.versions).toEqual(["3.3.0", "3.3.2", "3.4.0"]);
    expect(golden.cases.length).toBeGreaterThanOrEqual(40);
    expect(accepted.length).toBeGreaterThanOrEqual(30);
  });

  it("holds every preset's NCRONTAB", () => {
    for (const preset of ["@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@quarterly", "@yearly", "@annually"]) {
      const parsed = toNcrontab(preset);
      expect(parsed.ok && accepted.some((testCase) => testCase.expression === parsed.ncrontab), preset).toBe(true);
    }
  });

  it("lists only expressions NCrontab reads among those refused for our own reasons", () => {
    for (const expression of Object.keys(REFUSED_THOUGH_NCRONTAB_READS)) {
      const testCase = golden.cases.find((candidate) => candidate.expression === expression);
      expect(testCase && resultOf(testCase, AZURE).parses, expression).toBe(true);
    }
  });
});

describe.each(golden.cases.filter((testCase) => !resultOf(testCase, AZURE).parses))("$expression, which NCrontab refuses ($why)", (testCase) => {
  it("is refused", () => {
    expect(toNcrontab(testCase.expression)).toMatchObject({ ok: false });
  });
});

describe.each(golden.cases.filter((testCase) => testCase.expression in REFUSED_THOUGH_NCRONTAB_READS))("$expression ($why)", (testCase) => {
  it("is refused with a reason", () => {
    expect(toNcrontab(testCase.expression)).toMatchObject({ ok: false, reason: expect.stringMatching(REFUSED_THOUGH_NCRONTAB_READS[testCase.expression] ?? /^$/u) });
  });
});

describe("refusals", () => {
  it("cover every expression on which the host's library versions disagree", () => {
    const disagreeing = golden.cases.filter((testCase) => !sameInEveryVersion(testCase)).map((testCase) => testCase.expression);
    expect(disagreeing.length).toBeGreaterThan(0);
    for (const expression of disagreeing) expect(toNcrontab(expression), expression).toMatchObject({ ok: false });
  });
});

describe.each(accepted)("$expression ($why)", (testCase) => {
  const parsed = toNcrontab(testCase.expression);
  const ncrontab = parsed.ok ? parsed.ncrontab : "";
  const result = resultOf(testCase, AZURE);
  const next = result.parses ? result.next : {};

  it("is accepted as NCRONTAB (a 5-field cron gets second 0, as the host's 5-field parse has)", () => {
    const fields = testCase.expression.split(" ");
    expect(parsed).toEqual({ ok: true, ncrontab: fields.length === 5 ? `0 ${testCase.expression}` : testCase.expression });
  });

  it("means the same to every library version the host may load", () => {
    expect(sameInEveryVersion(testCase)).toBe(true);
  });

  it.each(golden.after)("has NCrontab's next occurrences after %s", (after) => {
    const expected = next[after]?.occurrences ?? [];
    expect(expected).toHaveLength(golden.count);
    const occurrences = nextOccurrences(ncrontab, new Date(after), golden.count).map((date) => date.toISOString());
    expect(occurrences).toEqual(expected);
  });

  it.each(golden.after)("maps firings between NCrontab's occurrences after %s to their slots", (after) => {
    const occurrences = (next[after]?.occurrences ?? []).map((iso) => Date.parse(iso));
    for (const [index, slot] of occurrences.entries()) {
      const following = occurrences[index + 1];
      if (following === undefined) break;
      // The rule scheduleSlot documents: the earlier slot, unless the firing is a little early for the later one.
      const tolerance = Math.min(60_000, (following - slot) / 2);
      const expectedSlot = (firedAt: number) => (following - firedAt <= tolerance ? following : slot);
      const firings = [slot, slot + 1, (slot + following) / 2, following - tolerance - 1, following - tolerance, following - 1];
      for (const firedAt of firings.filter((time) => time >= slot && time < following)) {
        const label = `fired at ${new Date(firedAt).toISOString()}`;
        expect(scheduleSlot(ncrontab, new Date(firedAt)).getTime(), label).toBe(expectedSlot(firedAt));
      }
      expect(scheduleSlot(ncrontab, new Date(following)).getTime()).toBe(following);
    }
  });
});
