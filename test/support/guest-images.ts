// The project's own guest images the tests run (built and committed: guests/*/README.md).

import { fileURLToPath } from "node:url";

export const MINIOS = fileURLToPath(new URL("../../guests/minios/minios.elf", import.meta.url));
