/** The library entry point used the way a user would: the suite against the built-in simulator. */
import { createPort } from "../impl/port-adapter.ts";
import { conformanceSuite } from "../vitest-suite.ts";

conformanceSuite(createPort, { name: "builtin (through wfp-conformance/vitest)", runs: 20, policies: ["fifo", "random"] });
