// For tests: the ConfigError a parser throws on `text` (failing the test if it throws nothing).

import { ConfigError } from "./config-error.js";

export function configErrorOf(parse: (text: string) => unknown, text: string): ConfigError {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`no error for ${JSON.stringify(text)}`);
}
