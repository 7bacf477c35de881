// Loads the deployment package in the current directory the way the Functions worker would, and prints
// which functions registered and which modules came from outside the folder. Used by dev/infra/package.sh
// (with --block-outside, so a dependency missing from the folder fails here as it would in Azure) and by
// test/infra/package.test.ts (on a copy outside the repository).
//
// `@azure/functions` requires "@azure/functions-core", which only the Functions worker provides: that one
// name resolves to a stand-in recording registerFunction calls (as dev/durable-host/captureRegistrations.ts
// does). Plain CommonJS on purpose: it runs with the bare `node` of the package, no TypeScript loader.
const Module = require("node:module");
const path = require("node:path");
const fs = require("node:fs");

const blockOutside = process.argv.includes("--block-outside");
const app = fs.realpathSync(process.cwd());
const standIn = path.join(app, "__functions-core-stand-in__.js");
const registered = [];
const outside = new Set();
const core = {
  setProgrammingModel() {},
  registerFunction(metadata) {
    registered.push(metadata.name);
    return { dispose() {} };
  },
  registerHook() {
    return { dispose() {} };
  },
  log() {},
};

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "@azure/functions-core") return standIn;
  const file = resolve.call(this, request, ...rest);
  if (path.isAbsolute(file) && !file.startsWith(app + path.sep)) {
    outside.add(request);
    if (blockOutside) {
      const error = new Error(`Cannot find module '${request}' in the staged folder`);
      error.code = "MODULE_NOT_FOUND";
      throw error;
    }
  }
  return file;
};
Module._cache[standIn] = { id: standIn, filename: standIn, loaded: true, exports: core, children: [], paths: [] };

require(path.join(app, require(path.join(app, "package.json")).main));

setImmediate(() => {
  const loadedOutside = Object.keys(Module._cache).filter((file) => file !== standIn && file !== __filename && !file.startsWith(app + path.sep));
  process.stdout.write(`\n@@staged-app ${JSON.stringify({ registered, outside: [...outside, ...loadedOutside] })}\n`);
});
