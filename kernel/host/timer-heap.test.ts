import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { TimerHeap } from "./timer-heap.js";

describe("the timer heap", () => {
  it("pops items in time order, whatever order they were pushed and popped in", () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(Infinity), fc.constant("pop" as const))), (ops) => {
      const heap = new TimerHeap<number>();
      const model: number[] = [];
      for (const op of ops) {
        if (op === "pop") {
          model.sort((a, b) => a - b);
          const want = model.shift();
          expect(heap.peekTime()).toBe(want ?? Infinity);
          expect(heap.pop()).toBe(want);
        } else {
          heap.push(op, op);
          model.push(op);
        }
        expect(heap.size).toBe(model.length);
      }
    }));
  });
});
