/**
 * @module
 * What a scripted image does when the emulator "runs" it. Tests register behaviours per image with
 * `emulator.setBehaviour(image, behaviour)`; every field is optional.
 */
import { parseDuration } from "../../src/jobs/duration";

/** A log line written `at` milliseconds after the container started. */
export interface TimedLogLine {
  readonly at: number;
  readonly line: string;
}

export interface ContainerBehaviour {
  /** Time in provisioning state Pending (waiting for infrastructure). Default: the emulator's `provisioning.pendingMs` (2 s). */
  readonly pendingMs?: number;
  /** Time in provisioning state Creating (image pull, container create). Default: `provisioning.creatingMs` (3 s). */
  readonly creatingMs?: number;
  /** After a PUT, start or restart, mutations answer 409 ContainerGroupTransitioning for this long. Default: until provisioning settles (see `provisioning.conflictsWhileProvisioning`). */
  readonly transitioningMs?: number;
  /** How long the container runs before it exits; `Infinity` never exits. Default: the built-in script's, else 1 s. */
  readonly runMs?: number;
  /** Exit code of each run. Default 0 (or the built-in script's). */
  readonly exitCode?: number;
  /** Output: plain lines are written at start; timed lines when their time comes. */
  readonly logs?: readonly string[] | readonly TimedLogLine[];
  /** The image pull keeps failing: container Waiting with Failed/BackOff events, provisioning Failed. */
  readonly pullFailure?: { readonly message?: string; readonly code?: "InaccessibleImage" | "RegistryErrorResponse" };
  /** Provisioning fails after the Pending phase (capacity, quota...), with this error on the operation. */
  readonly provisioningFailure?: { readonly code: string; readonly message: string };
  /** The run ends killed for memory: exit code 137, detailStatus `OOMKilled`. */
  readonly oomKilled?: boolean;
  /** After a nonzero exit the platform restarts the container this many times even under restart policy Never (aci-rest-api.md §6). */
  readonly platformRestarts?: number;
  /** Provisioning ends `Unhealthy` instead of `Succeeded`; the containers still run. */
  readonly unhealthy?: boolean;
  /** Provisioning never finishes; it fails after ACI's 30-minute create timeout (aci-rest-api.md §6). */
  readonly createTimeout?: boolean;
  /**
   * Spot groups only: `afterMs` after the containers started, the group is evicted; its containers stop and
   * provisioning cycles Unhealthy ↔ Repairing without running again (Airflow issue #47023). Regular groups ignore it.
   */
  readonly spotEviction?: { readonly afterMs: number };
  /** Spot groups only: no Spot capacity, so provisioning fails after Pending with `SkuNotAvailable`. Regular groups ignore it. */
  readonly spotCapacityUnavailable?: boolean;
}

/** One run of a container, as resolved from its image, command and behaviour. */
export interface ContainerRunScript {
  readonly runMs: number;
  readonly exitCode: number;
  readonly terminationReason?: "OOMKilled";
  readonly lines: readonly TimedLogLine[];
}

/** A behaviour given on the command line, for the image it applies to. */
export interface ImageBehaviourOption {
  readonly image: string;
  readonly behaviour: ContainerBehaviour;
}

/** The syntax of `--image-behaviour`, for usage texts and error messages. */
export const IMAGE_BEHAVIOUR_SYNTAX = "<image>=exit:<code>,duration:<duration>,output:<text>";

const FIELD_EXAMPLES: Readonly<Record<string, string>> = { exit: "3", duration: "30s", output: "hello" };
/** A week: longer than any job may run (its timeout), so a longer duration is surely a typo. */
const MAX_OPTION_DURATION_MS = 7 * 24 * 3_600_000;

/**
 * Reads `--image-behaviour` of `npm run job` and `npm run emulator`: `<image>=<field>,<field>...`, each
 * field optional and at most once:
 * - `exit:<code>`: the exit code, 0-255 (default 0);
 * - `duration:<duration>`: how long the container runs, e.g. `500ms`, `30s`, `1m30s`, `2h` (default 1 s,
 *   or the image's built-in run time);
 * - `output:<text>`: what it prints when it starts; always the last field, as it runs to the end of the
 *   text (commas included), with `\n` between lines.
 * A bare `<image>` runs 1 s, prints nothing and exits 0. Returns a message naming the problem otherwise.
 */
export function parseImageBehaviourOption(text: string): ImageBehaviourOption | string {
  const separator = text.indexOf("=");
  const image = (separator < 0 ? text : text.slice(0, separator)).trim();
  const problem = (detail: string) => `--image-behaviour '${text}': ${detail}; expected ${IMAGE_BEHAVIOUR_SYNTAX}, e.g. 'myorg/job:1=exit:0,duration:30s,output:hello'`;
  if (image === "" || /[\s,]/u.test(image)) return problem("it must start with an image name");
  let rest = separator < 0 ? "" : text.slice(separator + 1);
  const behaviour: { exitCode?: number; runMs?: number; logs?: string[] } = {};
  const seen = new Set<string>();
  while (rest.trim() !== "") {
    const nameEnd = rest.search(/[:,]/u);
    const name = (nameEnd < 0 ? rest : rest.slice(0, nameEnd)).trim();
    if (!Object.hasOwn(FIELD_EXAMPLES, name)) return problem(`unknown field '${name}' (the fields are exit, duration and output)`);
    if (seen.has(name)) return problem(`'${name}' is given twice`);
    seen.add(name);
    const hasValue = nameEnd >= 0 && rest[nameEnd] === ":";
    if (name === "output" && hasValue) {
      behaviour.logs = rest.slice(nameEnd + 1).split("\\n");
      break;
    }
    const valueEnd = hasValue ? rest.indexOf(",", nameEnd) : nameEnd;
    const value = hasValue ? rest.slice(nameEnd + 1, valueEnd < 0 ? undefined : valueEnd).trim() : "";
    rest = valueEnd < 0 ? "" : rest.slice(valueEnd + 1);
    if (value === "") return problem(`'${name}' needs a value, e.g. ${name}:${FIELD_EXAMPLES[name]}`);
    if (name === "exit") {
      if (!/^\d{1,3}$/u.test(value) || Number(value) > 255) return problem(`exit code '${value}' is not a number from 0 to 255`);
      behaviour.exitCode = Number(value);
    } else {
      // The same syntax as a job definition's durations (src/jobs/duration.ts).
      const ms = parseDuration(value);
      if (ms === undefined) return problem(`duration '${value}' is not a duration such as 500ms, 30s, 1m30s or 2h`);
      if (ms > MAX_OPTION_DURATION_MS) return problem(`duration '${value}' is longer than a week`);
      behaviour.runMs = ms;
    }
  }
  return { image, behaviour };
}
