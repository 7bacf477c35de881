import { BUILT_IN_IMAGES, builtInScript } from "./builtInImages";
import type { ContainerBehaviour, ContainerRunScript, TimedLogLine } from "./containerBehaviour";
import { parseImageReference } from "./parseImageReference";

/** Run time of a scripted image whose behaviour names neither `runMs` nor timed logs. */
const DEFAULT_RUN_MS = 1000;
/** Docker's exit code for a process killed by the kernel OOM killer (SIGKILL). */
const OOM_EXIT_CODE = 137;

export interface ResolvedBehaviour {
  readonly behaviour: ContainerBehaviour;
  readonly script: ContainerRunScript;
}

/**
 * Scripted behaviours keyed by image (`repo:tag`, `:latest` implied), over the built-in images. A behaviour
 * set for a built-in image refines it: fields it leaves out keep the built-in script (e.g. the shell command).
 */
export class BehaviourRegistry {
  readonly #scripted = new Map<string, ContainerBehaviour>();

  set(image: string, behaviour: ContainerBehaviour): void {
    this.#scripted.set(parseImageReference(image).key, behaviour);
  }

  clear(): void {
    this.#scripted.clear();
  }

  /** What a container of `image` does; `undefined` for an image the emulator cannot run (see {@link unknownImageMessage}). */
  resolve(image: string, command: readonly string[]): ResolvedBehaviour | undefined {
    const behaviour = this.#scripted.get(parseImageReference(image).key);
    const builtIn = builtInScript(image, command);
    if (behaviour !== undefined) return { behaviour, script: applyBehaviour(builtIn, behaviour) };
    return builtIn && { behaviour: {}, script: builtIn };
  }
}

/**
 * The PUT's InaccessibleImage message for an image the emulator has no script for. ACI's own sentence
 * starts it (code that reads ACI's message still recognises it); ACI's advice to "check the image and
 * registry credential" would mislead, since the image may well exist, so the rest names the built-in images
 * and the option that scripts another one. An image the group has no credential for gets ACI's message.
 */
export function unknownImageMessage(image: string, groupName: string): string {
  const example = `${image}=exit:0,duration:30s,output:hello`;
  return (
    `The image '${image}' in container group '${groupName}' is not accessible. ` +
    `The ACI emulator runs only its built-in images (${BUILT_IN_IMAGES.join(", ")}) and images given a behaviour; ` +
    `to try a job with this image anyway, say how it behaves: npm run job -- <job> --image-behaviour '${example}' ` +
    `(npm run emulator takes the same option). In Azure the image is pulled and run for real.`
  );
}

function applyBehaviour(builtIn: ContainerRunScript | undefined, behaviour: ContainerBehaviour): ContainerRunScript {
  const lines = behaviour.logs === undefined ? (builtIn?.lines ?? []) : toTimedLines(behaviour.logs);
  const lastLineAt = lines.reduce((latest, line) => Math.max(latest, line.at), 0);
  const runMs = behaviour.runMs ?? Math.max(builtIn?.runMs ?? DEFAULT_RUN_MS, lastLineAt);
  if (behaviour.oomKilled) return { runMs, exitCode: OOM_EXIT_CODE, terminationReason: "OOMKilled", lines };
  return { runMs, exitCode: behaviour.exitCode ?? builtIn?.exitCode ?? 0, lines };
}

function toTimedLines(logs: readonly string[] | readonly TimedLogLine[]): TimedLogLine[] {
  return logs.flatMap((entry): TimedLogLine[] => {
    const { at, line } = typeof entry === "string" ? { at: 0, line: entry } : entry;
    return line.split("\n").map((part) => ({ at, line: part }));
  }).sort((a, b) => a.at - b.at);
}
