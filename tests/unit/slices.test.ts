/**
 * The render time slicer (src/app/slices.ts): free inside a slice, a wait for a later turn of the event loop once
 * the slice is used up, and waiters resumed one at a time rather than all in the same turn.
 */
import { afterEach, expect, it } from 'vitest';
import { yieldToReaders } from '../../src/app/slices.ts';

function busy(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** Counts turns of the event loop (one setImmediate per turn) until stopped. */
function turnCounter() {
  let turns = 0;
  let on = true;
  const tick = () => {
    turns++;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get turns() {
      return turns;
    },
    stop: () => (on = false),
  };
}

const drain = () => new Promise((resolve) => setTimeout(resolve, 20));
afterEach(drain);

it('costs nothing inside a slice: no promise, so the caller goes on synchronously', async () => {
  await drain();
  await yieldToReaders(); // starts a fresh slice if the last one was used up
  expect(yieldToReaders()).toBeUndefined();
});

it('once the slice is used up, makes the caller wait for a later turn of the event loop', async () => {
  const counter = turnCounter();
  await yieldToReaders();
  busy(6);
  const wait = yieldToReaders();
  expect(wait).toBeInstanceOf(Promise);
  const turnBefore = counter.turns;
  await wait;
  expect(counter.turns).toBeGreaterThan(turnBefore);
  counter.stop();
});

it('resumes waiting renders one at a time: each gets its own turn when it uses up a slice', async () => {
  const counter = turnCounter();
  await yieldToReaders();
  busy(6);
  const resumedAt: number[] = [];
  const render = async () => {
    await yieldToReaders();
    resumedAt.push(counter.turns);
    busy(5);
  };
  await Promise.all([render(), render(), render()]);
  counter.stop();
  expect(resumedAt).toHaveLength(3);
  // All three waited together; resumed together they would have run 15 ms in one turn.
  expect(new Set(resumedAt).size).toBe(3);
});
