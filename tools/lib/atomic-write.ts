// Replace a file so that a reader (or a crash) sees either the old or the new contents, never a
// mix: write a temporary file beside it, then rename over it.

import { renameSync, writeFileSync } from "node:fs";

export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
