import { describe, expect, it } from "vitest";
import { editDistance, nearestNames } from "./nearest.ts";

describe("nearestNames", () => {
  const ids = ["handle-destroy/closing", "handle-destroy/once", "completion/once-per-nbl", "stream-inject/completion-per-nbl", "query/state"];

  it("measures edit distance", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });

  it("puts names containing the text (or its last segment) first, then the closest", () => {
    expect(nearestNames("once-per-nbl", ids)).toEqual(["completion/once-per-nbl"]);
    expect(nearestNames("handle-destroy/closng", ids)[0]).toBe("handle-destroy/closing");
    expect(nearestNames("completion/per-nbl", ids)).toEqual(["completion/once-per-nbl", "stream-inject/completion-per-nbl"]);
  });

  it("suggests nothing for a text far from every name", () => {
    expect(nearestNames("zzzzzzzzzzzzzzzzzzzzzzzzz", ids)).toEqual([]);
  });
});
