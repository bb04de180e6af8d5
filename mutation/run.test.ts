/** `npm run mutation` refuses arguments it cannot honour before it starts a Stryker run (which takes an hour). */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(root, "mutation", "run.ts"), ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });

describe("npm run mutation arguments", () => {
  it.each([
    [["--parts", "0"], "--parts takes a positive integer"],
    [["--only", "1"], "--only takes part numbers from 1 to the --parts count"],
    [["--parts", "5", "--only", "6"], "--only takes part numbers from 1 to the --parts count"],
    [["--parts", "5", "--only", "1,x"], 'not "1,x"'],
  ])("%j is refused with exit code 2 and a message", (args, message) => {
    const result = run(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
