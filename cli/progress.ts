/**
 * Progress of a long command on standard error. On a terminal: one live line (done/total, rate,
 * ETA) rewritten in place a few times a second. Off a terminal (CI logs): a plain line every few
 * seconds (CI systems kill jobs that print nothing for long) and one at the end. `--quiet` turns
 * it off.
 */
import type { CommandIo } from "./io.ts";

/** One reading of the work done. */
export interface ProgressReading {
  readonly done: number;
  /** The amount of work in all, when known (it gives the percentage and the ETA). */
  readonly total: number | null;
  /** What is counted, plural ("runs", "nodes"). */
  readonly unit: string;
  /** Extra figures shown after the count. */
  readonly detail?: string;
}

export interface Progress {
  update(reading: ProgressReading): void;
  /** The last line: on a terminal it ends the live line, off one it prints the final figures. */
  finish(reading?: ProgressReading): void;
}

/** How often a line is printed off a terminal, and how often the live line is rewritten on one. */
export const PLAIN_INTERVAL_MS = 5000;
const LIVE_INTERVAL_MS = 150;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")} min`;
}

/** The text of one progress line. */
export function progressLine(label: string, reading: ProgressReading, elapsedSeconds: number): string {
  // Under a second in, a rate says nothing yet.
  const rate = elapsedSeconds >= 1 ? reading.done / elapsedSeconds : 0;
  const parts = [`${label}: ${reading.done}${reading.total === null ? "" : `/${reading.total}`} ${reading.unit}`];
  if (reading.total !== null && reading.total > 0) parts[0] += ` (${Math.floor((100 * Math.min(reading.done, reading.total)) / reading.total)}%)`;
  if (reading.detail !== undefined) parts.push(reading.detail);
  if (rate > 0) parts.push(`${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} ${reading.unit}/s`);
  if (reading.total !== null && reading.done < reading.total && rate > 0) parts.push(`ETA ${formatDuration((reading.total - reading.done) / rate)}`);
  parts.push(formatDuration(elapsedSeconds));
  return parts.join(", ");
}

/** Starts reporting progress under `label`; `now` gives milliseconds (a clock the tests can set). */
export function startProgress(io: CommandIo, label: string, now: () => number = () => performance.now()): Progress {
  if (io.quiet) return { update() {}, finish() {} };
  const started = now();
  const elapsed = () => (now() - started) / 1000;
  let lastPrinted = -Infinity;
  let last: ProgressReading | null = null;
  let finished = false;
  if (io.errIsTty) {
    return {
      update(reading) {
        last = reading;
        if (now() - lastPrinted < LIVE_INTERVAL_MS) return;
        lastPrinted = now();
        io.err(`\r\x1b[K${progressLine(label, reading, elapsed())}`);
      },
      finish(reading) {
        if (finished) return;
        finished = true;
        const final = reading ?? last;
        if (final !== null) io.err(`\r\x1b[K${progressLine(label, final, elapsed())}\n`);
      },
    };
  }
  lastPrinted = started;
  return {
    update(reading) {
      last = reading;
      if (now() - lastPrinted < PLAIN_INTERVAL_MS) return;
      lastPrinted = now();
      io.err(`${progressLine(label, reading, elapsed())}\n`);
    },
    finish(reading) {
      if (finished) return;
      finished = true;
      const final = reading ?? last;
      if (final !== null) io.err(`${progressLine(label, final, elapsed())}\n`);
    },
  };
}
