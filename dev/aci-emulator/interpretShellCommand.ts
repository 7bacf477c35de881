/**
 * @module
 * A tiny `sh -c` for the built-in shell images (busybox, alpine, ubuntu): `echo`, `sleep`, `exit`, `true`,
 * `false`, `:`, joined by `;`, `&&`, `||` or newlines, with single and double quotes. Time only moves through
 * `sleep`, so each line is stamped with the script time at which it was written.
 */
import type { ContainerRunScript, TimedLogLine } from "./containerBehaviour";

type Connector = ";" | "&&" | "||";
interface SimpleCommand {
  readonly connector: Connector;
  readonly words: readonly string[];
}

const SHELLS = new Set(["sh", "/bin/sh", "bash", "/bin/bash", "ash", "/bin/ash"]);
const SLEEP_UNITS: Readonly<Record<string, number>> = { "": 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Runs the container `command` (exec form): `["sh", "-c", script]`, or a single program with arguments. */
export function interpretShellCommand(command: readonly string[]): ContainerRunScript {
  const [program, flag, script] = command;
  if (program === undefined) return { runMs: 0, exitCode: 0, lines: [] };
  if (SHELLS.has(program) && flag === "-c") return runScript(parseScript(script ?? ""));
  if (SHELLS.has(program) && command.length === 1) return { runMs: 0, exitCode: 0, lines: [] }; // sh with no stdin exits at once
  return runScript([{ connector: ";", words: command }]);
}

function runScript(commands: readonly SimpleCommand[]): ContainerRunScript {
  const lines: TimedLogLine[] = [];
  let elapsedMs = 0;
  let status = 0;
  for (const { connector, words } of commands) {
    if ((connector === "&&" && status !== 0) || (connector === "||" && status === 0)) continue;
    const [name = "", ...args] = words;
    switch (name) {
      case "echo":
        lines.push({ at: elapsedMs, line: args.join(" ") });
        status = 0;
        break;
      case "sleep": {
        const duration = parseSleepDuration(args[0]);
        if (duration === undefined) {
          lines.push({ at: elapsedMs, line: `sleep: invalid number '${args[0] ?? ""}'` });
          status = 1;
        } else {
          elapsedMs += duration;
          status = 0;
        }
        break;
      }
      case "exit":
        return { runMs: elapsedMs, exitCode: args[0] === undefined ? status : (Number.parseInt(args[0], 10) & 0xff) || 0, lines };
      case "true":
      case ":":
        status = 0;
        break;
      case "false":
        status = 1;
        break;
      default:
        // busybox's wording for an unknown command; the shell carries on with status 127.
        lines.push({ at: elapsedMs, line: `sh: ${name}: not found` });
        status = 127;
    }
  }
  return { runMs: elapsedMs, exitCode: status, lines };
}

function parseSleepDuration(argument: string | undefined): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([smhd]?)$/u.exec(argument ?? "");
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (SLEEP_UNITS[match[2] ?? ""] ?? 1000));
}

/** Splits a script into simple commands, honouring quotes and the `;`, `&&`, `||` and newline separators. */
function parseScript(script: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  let connector: Connector = ";";
  const endWord = (): void => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  const endCommand = (next: Connector): void => {
    endWord();
    if (words.length > 0) commands.push({ connector, words });
    words = [];
    connector = next;
  };

  for (let i = 0; i < script.length; i++) {
    const char = script[i] as string;
    if (char === "'") {
      const close = script.indexOf("'", i + 1);
      const end = close < 0 ? script.length : close;
      word += script.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (char === '"') {
      inWord = true;
      for (i++; i < script.length && script[i] !== '"'; i++) {
        const inner = script[i] as string;
        const escaped = script[i + 1];
        if (inner === "\\" && escaped !== undefined && '"\\$`'.includes(escaped)) {
          word += escaped;
          i++;
        } else {
          word += inner;
        }
      }
    } else if (char === "\\" && i + 1 < script.length) {
      word += script[++i];
      inWord = true;
    } else if (char === ";" || char === "\n") {
      endCommand(";");
    } else if ((char === "&" || char === "|") && script[i + 1] === char) {
      endCommand(char === "&" ? "&&" : "||");
      i++;
    } else if (char === " " || char === "\t") {
      endWord();
    } else if (char === "#" && !inWord) {
      const newline = script.indexOf("\n", i);
      i = newline < 0 ? script.length : newline - 1;
    } else {
      word += char;
      inWord = true;
    }
  }
  endCommand(";");
  return commands;
}
