/**
 * The test suite StrykerJS runs against every mutant of impl/ (see mutation/stryker.config.json):
 * the conformance properties only, with fewer runs than the CI suite and pinned seeds. Its files end
 * in `.mutation.ts` so that the root vitest config (which includes `**\/*.test.ts`) never runs them;
 * the conformance scenarios of properties/ that the generated runs rarely reach are included too.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // The repository, not this folder (Stryker loads this file from its sandbox copy of the repository).
  root: fileURLToPath(new URL("..", import.meta.url)),
  test: {
    include: ["mutation/**/*.mutation.ts", "properties/deep-queues.test.ts", "properties/port-ids.test.ts", "properties/many-objects.test.ts", "properties/delivery-policy.test.ts", "properties/scenarios/**/*.test.ts"],
    exclude: ["node_modules/**", ".stryker-tmp/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
