/**
 * Adding a job as docs/jobs.md says (a module listed in src/jobs/index.ts) gives the app one more timer
 * and nothing else, and the suite's expected function list follows the registry instead of a hard-coded
 * list. A file of its own: registrations are captured once per process.
 */
import { expect, it } from "vitest";
import { captureRegistrations } from "../../dev/durable-host";
import { createServices, registerFunctions } from "../../src/app";
import { loadConfig } from "../../src/config";
import { JOB_DEFINITIONS, loadJobs } from "../../src/jobs";
import { defineJob } from "../../src/jobs/definition";
import { appFunctionsFor } from "../support/appFunctions";

const nightlyReport = defineJob({
  id: "nightly_report",
  schedule: "30 2 * * *",
  container: { image: "busybox", command: ["sh", "-c", "echo report"], cpu: 1, memoryInGB: 1 },
});

const onDemand = defineJob({
  id: "on_demand_only",
  container: { image: "busybox", command: ["sh", "-c", "echo hi"], cpu: 1, memoryInGB: 1 },
});

it("registers a timer for each added scheduled job, and the expected list derives from the registry", async () => {
  const jobs = loadJobs([...JOB_DEFINITIONS, nightlyReport, onDemand]);
  const config = loadConfig({
    AZURE_SUBSCRIPTION_ID: "11111111-2222-3333-4444-555555555555",
    ACI_RESOURCE_GROUP: "rg-jobs",
    ACI_REGION: "westeurope",
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
  });
  const functions = await captureRegistrations(() => registerFunctions(createServices(config, jobs)));
  const names = functions.map((f) => f.name).sort();
  expect(names).toEqual(appFunctionsFor(jobs));
  expect(names).toContain("schedule_nightly_report");
  expect(names).not.toContain("schedule_on_demand_only");
});
