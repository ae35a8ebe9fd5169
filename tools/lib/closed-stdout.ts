// A command whose reader goes away (`xm list -l | head -1`) stops quietly, as `ls | head` does:
// the rest of its output has nobody to go to, which is not an error of the command.

export function quitWhenStdoutCloses(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(0);
  });
}
