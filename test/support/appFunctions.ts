/** Every function the app registers with the Functions host, by name (for the registration checks). */
export const APP_FUNCTIONS = [
  "collectContainerLogs",
  "createContainerGroup",
  "deleteContainerGroup",
  "getJobRun",
  "listJobs",
  "observeContainerGroup",
  "releaseRunSlot",
  "runJob",
  "schedule_azure_container_instances",
  "startJobRun",
  "sweepOrphanedGroups",
  "watchContainerGroup",
] as const;
