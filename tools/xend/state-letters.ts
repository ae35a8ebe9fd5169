// The manual's state column (§6.17): six positions r b p s c d, a letter where the state holds
// and "-" elsewhere, e.g. "r-----" running, "-b----" blocked, "--p---" paused.

import type { DomainState } from "../../kernel/public/protocol.js";

const ORDER: readonly DomainState[] = ["running", "blocked", "paused", "shutdown", "crashed", "dying"];

export function stateLetters(state: DomainState): string {
  return ORDER.map((s) => (s === state ? s[0] : "-")).join("");
}
