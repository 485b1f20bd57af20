/**
 * Progress that may cross into ComfyUI for a node that reads the private set. ComfyUI broadcasts every progress
 * call on /ws as `{value, max}`, so the numbers must not be a function of the private set: not n, not a count of
 * images done. This reporter sends the SAME sequence for every set, `0, 1, …, STEPS` over `max = STEPS`, each value
 * once and in order: the embedding stream moves the bar through steps 1 … EMBED_STEPS as a coarse fraction of the
 * expected total (steps it skips are sent at once, so a small set sends the same messages as a large one), then
 * one step when the stream has ended and one when the release is made. Only the timing of the messages varies,
 * which the node's own duration already shows (docs/privacy.md, "Timing").
 */

/** Total steps of the bar (the `max` every message carries). */
export const PUBLIC_PROGRESS_STEPS = 10;

/** Steps spent on the embedding stream. */
const EMBED_STEPS = PUBLIC_PROGRESS_STEPS - 2;

/** A progress reporter whose messages do not depend on the private set. */
export interface PublicProgress {
  /** Exact progress of the stream (PRIVATE numbers in; only coarse, set-independent steps out). */
  embedded(done: number, total: number | undefined): void;
  /** The stream has ended (every embedding step is sent if it was not yet). */
  streamEnded(): void;
  /** The release is made: the bar is full. */
  released(): void;
}

/** Makes a reporter that sends through `send(value, max)`; it sends step 0 at once. */
export function publicProgress(send: (value: number, max: number) => void): PublicProgress {
  let step = 0;
  const advanceTo = (target: number): void => {
    while (step < target) send(++step, PUBLIC_PROGRESS_STEPS);
  };
  send(0, PUBLIC_PROGRESS_STEPS);
  return {
    embedded(done, total) {
      if (total === undefined || !(total > 0)) return;
      advanceTo(Math.min(EMBED_STEPS, Math.floor((EMBED_STEPS * Math.min(done, total)) / total)));
    },
    streamEnded() {
      advanceTo(EMBED_STEPS + 1);
    },
    released() {
      advanceTo(PUBLIC_PROGRESS_STEPS);
    },
  };
}
