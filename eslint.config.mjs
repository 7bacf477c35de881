// Lint rules that guard the architecture: orchestrations stay deterministic and free of I/O, and no
// promise is left floating (in orchestrations the equivalent is: every Task is yielded).
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".tools/**", ".aci-emulator/**", "coverage/**"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { project: "./tsconfig.dev.json", tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
    },
  },
  {
    // Plain CommonJS scripts run by bare node (dev/infra/loadStagedApp.cjs): require is their import.
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["src/orchestrations/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*", "fs", "http", "https", "crypto", "os", "child_process", "net"], message: "Orchestrations do no I/O." },
            { group: ["@azure/*"], message: "SDKs belong in activities (src/aci); orchestrations import types only." },
            { group: ["../aci/client", "../activities/containerGroup", "../activities/runSlots", "../runs/runSlots", "../runs/startRun"], message: "Orchestrations import contracts, not implementations." },
          ],
        },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "Not replay-safe; use context.df.newGuid." },
        { object: "Date", property: "now", message: "Use context.df.currentUtcDateTime." },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "FunctionDeclaration[async=true], ArrowFunctionExpression[async=true], AwaitExpression", message: "Orchestrations are generators: yield Tasks, never await." },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "new Date() reads the wall clock; use context.df.currentUtcDateTime." },
      ],
    },
  },
);
