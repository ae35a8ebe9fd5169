// A request that fails: the handler throws, the core answers with an XS_ERROR reply naming it.

import type { XsErrorName } from "../../kernel/public/xs-wire.js";

export class XsError extends Error {
  constructor(readonly code: XsErrorName, detail?: string) {
    super(detail ? `${code}: ${detail}` : code);
  }
}
