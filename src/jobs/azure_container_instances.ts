/**
 * The Airflow tutorial's DAG, ported value for value: a daily run of hello-world in Azure Container
 * Instances that streams its logs, removes the group and retries once after a minute.
 */
import { defineJob } from "./definition";

export default defineJob({
  id: "azure_container_instances",
  description: "Airflow's Azure Container Instances tutorial: run hello-world daily and clean up.",
  schedule: "@daily",
  catchup: false,
  maxActiveRuns: 1,
  retries: 1,
  retryDelay: "1m",
  container: {
    groupName: "azure-tutorial-container",
    region: "eastus",
    image: "hello-world:latest",
    cpu: 1,
    memoryInGB: 1.5,
    failIfExists: false,
  },
});
