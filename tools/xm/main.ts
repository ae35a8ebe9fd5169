#!/usr/bin/env node
// `xm` as its own program (npx xm …); `domus xm …` runs the same code.

import { xmMain } from "./cli.js";
import { quitWhenStdoutCloses } from "../lib/closed-stdout.js";

quitWhenStdoutCloses();
process.exitCode = await xmMain(process.argv.slice(2));
