// A console as a test drives it, the way a person at a terminal would: output collected as it
// arrives, waits for a pattern after the previous match, typing. Shared by the console of a
// `domus run` process (guest-console.ts) and of a machine in the test's own process
// (machine-console.ts), which say how text is typed and whether more output may come.

export abstract class ConsoleDriver {
  private output = "";
  private mark = 0;
  private waiters: (() => void)[] = [];

  abstract type(text: string): void;

  /** Whether more output may still come (a waiter gives up once it cannot). */
  protected abstract running(): boolean;

  protected append(s: string): void {
    this.output += s;
    this.wakeWaiters();
  }

  /** Output ended: waiters look again. */
  protected wakeWaiters(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Everything printed so far. */
  get text(): string {
    return this.output;
  }

  /**
   * Wait until `pattern` appears in the output after the previous match; returns the text from
   * the previous match up to and including this one.
   */
  async waitFor(pattern: string | RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.output.slice(this.mark);
      const m = typeof pattern === "string"
        ? (rest.includes(pattern) ? { index: rest.indexOf(pattern), length: pattern.length } : undefined)
        : (() => { const r = pattern.exec(rest); return r ? { index: r.index, length: r[0].length } : undefined; })();
      if (m !== undefined) {
        const end = this.mark + m.index + m.length;
        const seen = this.output.slice(this.mark, end);
        this.mark = end;
        return seen;
      }
      const left = deadline - Date.now();
      if (left <= 0 || !this.running()) {
        throw new Error(`timed out waiting for ${String(pattern)}; console so far:\n${this.output.slice(-3000)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Type a command line and return its output, up to the next prompt. */
  async run(command: string, prompt: string | RegExp, timeoutMs?: number): Promise<string> {
    this.type(`${command}\r`);
    return this.waitFor(prompt, timeoutMs);
  }
}
