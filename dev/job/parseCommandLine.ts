/**
 * `npm run job`'s command line: the usage text (jobs and exit codes included) and the parse, which says
 * why a command line is refused, including the commonest slip: options written before npm's `--`, which
 * npm keeps for itself.
 */
import { parseArgs } from "node:util";
import { BUILT_IN_IMAGES } from "../aci-emulator/builtInImages";
import { IMAGE_BEHAVIOUR_SYNTAX, parseImageBehaviourOption, type ImageBehaviourOption } from "../aci-emulator/containerBehaviour";

/** 130 is what a shell reports for a process ended by SIGINT (128 + 2): Ctrl-C canceled the run. */
export const EXIT = { succeeded: 0, failed: 1, usage: 2, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface JobCommand {
  /** The job as its definition spells it. */
  readonly jobId: string;
  readonly definition: unknown;
  readonly override?: string;
  readonly secrets: Readonly<Record<string, string>>;
  readonly imageBehaviours: readonly ImageBehaviourOption[];
}

export type ParsedCommandLine =
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "refused"; readonly message: string }
  | { readonly kind: "run"; readonly command: JobCommand };

/** The options of the script, by the `npm_config_*` variable npm sets when it takes one for itself. */
const OPTIONS = { override: "npm_config_override", secret: "npm_config_secret", "image-behaviour": "npm_config_image_behaviour" } as const;

export function usage(definitions: readonly unknown[]): string {
  const jobs = definitions.map((definition) => {
    const { id = "?", description = "" } = definition as { id?: string; description?: string };
    return { id, description };
  });
  const width = Math.max(...jobs.map((job) => job.id.length), 10);
  return `Usage: npm run job -- <job> [--override '<json>'] [--secret <name>=<value> ...] [--image-behaviour '<spec>' ...]

Runs one run of <job> in this process, like \`airflow dags test\`. Without AZURE_SUBSCRIPTION_ID it runs on
the embedded ACI and Key Vault emulators in virtual time; with it, against Azure with your \`az login\`
identity. The options go after npm's \`--\`: before it, npm takes them for itself.

Jobs:
${jobs.map((job) => `  ${job.id.padEnd(width)}  ${job.description}`).join("\n")}

Options:
  --override '<json>'        a partial job definition merged onto the job for this run, e.g.
                             '{"container": {"image": "busybox", "command": ["sh", "-c", "echo hi"]}}'
  --secret <name>=<value>    a secret in the emulated Key Vault, for jobs with Key Vault references
                             (repeatable; emulator only: in Azure the job reads the vault in KEY_VAULT_URI)
  --image-behaviour '${IMAGE_BEHAVIOUR_SYNTAX}'
                             what containers of an image do on the emulator (repeatable; emulator
                             only), which otherwise runs only its built-in images:
                             ${BUILT_IN_IMAGES.join(", ")}.
                             Every field is optional (exit 0, 1 s, no output); output comes last and
                             runs to the end, with \\n between lines. To try a job with your own image:
                             --override '{"container": {"image": "myorg/job:1"}}'
                             --image-behaviour 'myorg/job:1=exit:0,duration:30s,output:hello'
  -h, --help                 this text

Exit codes:
  0  the run succeeded (or --help)
  1  the run failed
  2  bad usage or configuration: an unknown job or option, an invalid --override, --secret or
     --image-behaviour, invalid settings or job definitions, or Azure credentials that cannot get a
     token or lack a role (a hint says what to do)
  130  Ctrl-C: the run was canceled (its container group deleted, as POST …/cancel does); a second
     Ctrl-C quits at once without waiting for that`;
}

/**
 * Reads `argv` (the arguments after `--`) against the job definitions. `env` is read for the variables
 * npm sets when it took one of the options for itself (`npm run job x --override=...`).
 */
export function parseCommandLine(argv: readonly string[], definitions: readonly unknown[], env: NodeJS.ProcessEnv): ParsedCommandLine {
  const refuse = (message: string): ParsedCommandLine => ({ kind: "refused", message: `${message}\n\n${usage(definitions)}` });
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        override: { type: "string" },
        secret: { type: "string", multiple: true },
        "image-behaviour": { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    return refuse((error as Error).message);
  }
  if (args.values.help) return { kind: "help", text: usage(definitions) };

  const positionals = args.positionals;
  const swallowed = Object.entries(OPTIONS).flatMap(([option, variable]) => (env[variable] !== undefined ? [`--${option}`] : []));
  const optionValues = positionals.filter(looksLikeOptionValue);
  if (swallowed.length > 0 || optionValues.length > 0) {
    const jobId = positionals.find((p) => !looksLikeOptionValue(p)) ?? "<job>";
    const options = swallowed.length > 0 ? swallowed : [...new Set(optionValues.map(guessOption))];
    const what =
      swallowed.length > 0
        ? `npm took ${options.join(" and ")} for itself, so the job would run without ${options.length > 1 ? "them" : "it"}`
        : `unexpected argument '${bounded(optionValues[0]!)}': it looks like the value of ${options.join(" or ")}, which npm took for itself`;
    return refuse(`${what}. Put the options after \`--\`: npm run job -- ${jobId} ${options.map((o) => `${o} ...`).join(" ")}`);
  }
  const [jobId, ...extra] = positionals;
  if (jobId === undefined) return refuse("Name the job to run (the jobs are listed below).");
  if (extra.length > 0) return refuse(`unexpected argument '${bounded(extra[0]!)}': one job per run (${jobId} is the job).`);

  const definition = definitions.find((d) => (d as { id?: string }).id?.toLowerCase() === jobId.toLowerCase());
  if (definition === undefined) {
    const known = definitions.map((d) => (d as { id?: string }).id).join(", ");
    return refuse(`There is no job "${jobId}". Jobs: ${known}.`);
  }
  const secrets = parseSecrets(args.values.secret ?? []);
  if (typeof secrets === "string") return refuse(secrets);
  const imageBehaviours: ImageBehaviourOption[] = [];
  for (const text of args.values["image-behaviour"] ?? []) {
    const parsed = parseImageBehaviourOption(text);
    if (typeof parsed === "string") return refuse(parsed);
    imageBehaviours.push(parsed);
  }
  return {
    kind: "run",
    command: {
      jobId: (definition as { id: string }).id,
      definition,
      ...(args.values.override === undefined ? {} : { override: args.values.override }),
      secrets,
      imageBehaviours,
    },
  };
}

/** JSON (an --override) or `name=value` (a --secret or --image-behaviour): never a job id. */
function looksLikeOptionValue(argument: string): boolean {
  return /^\s*[{[]/u.test(argument) || argument.includes("=");
}

function guessOption(value: string): string {
  if (/^\s*[{[]/u.test(value)) return "--override";
  return /=(?:exit|duration|output):/u.test(value) || value.slice(0, value.indexOf("=")).includes("/") ? "--image-behaviour" : "--secret";
}

function bounded(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `name=value` pairs of --secret, or a message saying which one is malformed. */
function parseSecrets(pairs: readonly string[]): Record<string, string> | string {
  const secrets: Record<string, string> = {};
  for (const pair of pairs) {
    const separator = pair.indexOf("=");
    const name = separator > 0 ? pair.slice(0, separator) : "";
    if (!/^[A-Za-z0-9-]{1,127}$/u.test(name)) return `--secret ${JSON.stringify(pair.slice(0, Math.max(separator, 0)) || pair.slice(0, 20))}: expected <name>=<value>, the name 1-127 letters, digits and hyphens`;
    secrets[name] = pair.slice(separator + 1);
  }
  return secrets;
}
