// A binary min-heap of (time, item): the scheduler's sleeping domains by wake-up time, so finding
// the ones due and the next wake-up costs log(n), not a walk over every domain.

export class TimerHeap<T> {
  private readonly times: number[] = [];
  private readonly items: T[] = [];

  get size(): number {
    return this.times.length;
  }

  push(time: number, item: T): void {
    let i = this.times.length;
    this.times.push(time);
    this.items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent] <= time) break;
      this.move(parent, i);
      i = parent;
    }
    this.times[i] = time;
    this.items[i] = item;
  }

  /** The earliest time, or Infinity when empty. */
  peekTime(): number {
    return this.times.length > 0 ? this.times[0] : Infinity;
  }

  peekItem(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const n = this.times.length;
    if (n === 0) return undefined;
    const top = this.items[0];
    const time = this.times.pop()!;
    const item = this.items.pop()!;
    if (n > 1) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n - 1) break;
        if (child + 1 < n - 1 && this.times[child + 1] < this.times[child]) child++;
        if (this.times[child] >= time) break;
        this.move(child, i);
        i = child;
      }
      this.times[i] = time;
      this.items[i] = item;
    }
    return top;
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from];
    this.items[to] = this.items[from];
  }
}
