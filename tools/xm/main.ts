#!/usr/bin/env node
// `xm` as its own program (npx xm …); `domus xm …` runs the same code.

import { xmMain } from "./cli.js";

process.exitCode = await xmMain(process.argv.slice(2));
