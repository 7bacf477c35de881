/**
 * Entry point the Functions host loads (package.json "main"). Settings and job definitions are
 * validated here, once; a problem stops the app at startup with a report naming every setting or field.
 */
import { app } from "@azure/functions";
import { createServices, registerFunctions } from "./app";
import { loadConfig } from "./config";
import { loadJobs } from "./jobs";

app.setup({ enableHttpStream: false });

registerFunctions(createServices(loadConfig(), loadJobs()));
