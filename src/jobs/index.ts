/**
 * @module
 * All jobs of this app. Add a job by writing a module next to this one and listing it here.
 */
import { type JobSpec, parseJobDefinition } from "./definition";
import azureContainerInstances from "./azure_container_instances";

export const JOB_DEFINITIONS: readonly unknown[] = [azureContainerInstances];

export class JobDefinitionError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid job definitions:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "JobDefinitionError";
  }
}

export interface JobRegistry {
  readonly all: readonly JobSpec[];
  get(id: string): JobSpec | undefined;
}

/** Validates every definition at once; throws {@link JobDefinitionError} naming each job, field and reason. */
export function loadJobs(definitions: readonly unknown[] = JOB_DEFINITIONS): JobRegistry {
  const problems: string[] = [];
  const jobs = new Map<string, JobSpec>();
  definitions.forEach((definition, index) => {
    const label = labelOf(definition, index);
    const parsed = parseJobDefinition(definition, label);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
    } else if (jobs.has(parsed.job.id.toLowerCase())) {
      problems.push(`job "${label}", field id: another job already has this id (ids are compared case-insensitively)`);
    } else {
      jobs.set(parsed.job.id.toLowerCase(), parsed.job);
    }
  });
  if (problems.length > 0) throw new JobDefinitionError(problems);
  const all = Object.freeze([...jobs.values()]);
  return Object.freeze({ all, get: (id: string) => jobs.get(id.toLowerCase()) });
}

function labelOf(definition: unknown, index: number): string {
  const id = (definition as { id?: unknown } | null)?.id;
  return typeof id === "string" && id.length > 0 ? id : `#${index + 1}`;
}
