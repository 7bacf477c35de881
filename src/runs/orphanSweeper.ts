/**
 * @module
 * The safety net under every clean-up path: container groups this deployment made whose run is no longer
 * active. A run terminated from outside (the portal, Durable Functions Monitor, the management API) never
 * gets to delete its group; a delete that kept failing leaves one behind; a path nobody thought of may too.
 * The sweep lists the groups in the jobs' resource group and deletes each one that
 * - carries this deployment's `aci-jobs-app` tag (untagged groups, and other deployments', are never touched),
 * - belongs to a run that is over (completed, failed, terminated) or unknown (purged), for longer than the
 *   grace period, or to an attempt its still-active run could not clean up (`failed` / `unknown`), and
 * - was not kept on purpose (removeOnSuccess / removeOnError false: the run's attempt says `kept`, in its
 *   result or, for a run that never finished, its status; when the run is gone, the group is tagged as one
 *   its job may keep).
 * Just before deleting, the group is read again: a job with a fixed group name may have replaced it.
 */
import type { ContainerGroup } from "@azure/arm-containerinstance";
import { OWNERSHIP_TAGS } from "../aci/containerGroup";
import type { AciClient } from "../aci/client";
import type { Cleanup, RunProgress, RunResult } from "./contracts";
import { findRun, isActiveStatus, isRunIdOf, type RunClient } from "./startRun";

/** How long a run must have been over before its group counts as orphaned: its own delete may still be under way. */
export const SWEEP_GRACE_MS = 15 * 60_000;

export interface SweepDeps {
  readonly aci: Pick<AciClient, "list" | "get" | "delete">;
  readonly runs: Pick<RunClient, "getStatus">;
  /** This deployment's `aci-jobs-app` tag value. */
  readonly app: string;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export interface SweepOutcome {
  readonly group: string;
  readonly runId: string;
  readonly action: "deleted" | "failed";
  readonly why: string;
  /** What Azure answered, when the delete failed. */
  readonly error?: string;
}

export async function sweepOrphanedGroups(deps: SweepDeps): Promise<SweepOutcome[]> {
  const outcomes: SweepOutcome[] = [];
  for (const group of await deps.aci.list()) {
    const verdict = await judge(group, deps).catch((error: unknown) => {
      // The run's status could not be read: decide nothing about this group until the next sweep.
      deps.log(`orphan sweep: skipped ${group.name}: could not read its run's status: ${messageOf(error)}`);
      return undefined;
    });
    if (!verdict || !group.name) continue;
    const { runId, why } = verdict;
    try {
      // A job with a fixed group name may have put a new run's group under this name since the list.
      const current = await deps.aci.get(group.name);
      if (!current || !sameOwner(current, group)) continue;
      await deps.aci.delete(group.name);
      deps.log(`orphan sweep: deleted container group ${group.name} of run ${runId}: ${why}`);
      outcomes.push({ group: group.name, runId, action: "deleted", why });
    } catch (error) {
      deps.log(`orphan sweep: could not delete container group ${group.name} of run ${runId} (${why}): ${messageOf(error)}; the next sweep tries again`);
      outcomes.push({ group: group.name, runId, action: "failed", why, error: messageOf(error) });
    }
  }
  return outcomes;
}

/** Why `group` is an orphan to delete, or undefined to leave it. */
async function judge(group: ContainerGroup, deps: SweepDeps): Promise<{ runId: string; why: string } | undefined> {
  const tags = group.tags ?? {};
  const runId = tags[OWNERSHIP_TAGS.runId];
  const jobId = tags[OWNERSHIP_TAGS.job];
  const attempt = Number(tags[OWNERSHIP_TAGS.attempt]);
  if (tags[OWNERSHIP_TAGS.app] !== deps.app || !Number.isInteger(attempt)) return undefined;
  // Tags are anyone's to write: only a run id of the shape this app makes may reach the Durable client,
  // or a crafted one could address another instance, be "not found" and get a group deleted.
  if (!jobId || !runId || !isRunIdOf(jobId, runId)) return undefined;
  const status = await findRun(deps.runs as RunClient, runId);
  if (!status) {
    if (tags[OWNERSHIP_TAGS.mayKeep] === "true") return undefined;
    return { runId, why: "its run no longer exists (purged)" };
  }
  const runtimeStatus = String(status.runtimeStatus);
  // What the run decided about this attempt's group: in its result once it finished, in its status before.
  const cleanup: Cleanup | undefined =
    (status.output as RunResult | null | undefined)?.attempts?.find((a) => a.attempt === attempt)?.cleanup ??
    (status.customStatus as RunProgress | null | undefined)?.attempts?.find((a) => a.attempt === attempt)?.cleanup;
  if (cleanup === "kept") return undefined;
  if (isActiveStatus(runtimeStatus)) {
    // The run goes on, but this attempt is over and gave up on its group: no need to wait for the run.
    return cleanup === "failed" || cleanup === "unknown" ? { runId, why: `attempt ${attempt} could not delete it; its run goes on` } : undefined;
  }
  const endedAt = Date.parse(String(status.lastUpdatedTime));
  if (Number.isNaN(endedAt) || deps.now() - endedAt < SWEEP_GRACE_MS) return undefined;
  const since = new Date(endedAt).toISOString();
  if (runtimeStatus === "Completed") {
    const how = cleanup === "failed" ? "its run could not delete it" : "its run completed without deleting it";
    return { runId, why: `${how} (run completed ${since})` };
  }
  return { runId, why: `its run is ${runtimeStatus.toLowerCase()} (since ${since}) and never deleted it` };
}

function sameOwner(a: ContainerGroup, b: ContainerGroup): boolean {
  const tag = (group: ContainerGroup, name: string) => group.tags?.[name];
  return [OWNERSHIP_TAGS.app, OWNERSHIP_TAGS.runId, OWNERSHIP_TAGS.attempt].every((name) => tag(a, name) === tag(b, name));
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 300);
}
