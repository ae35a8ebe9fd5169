// What every backend service's main does the same way: its command line (--home, --instance),
// a log on stderr prefixed with the service's name, a clean stop on SIGTERM or SIGINT, and exit
// status 1 with one line when it cannot start.

import { Command } from "commander";
import { resolveHome } from "../../tools/lib/home.js";
import { storeSocketOf } from "../../tools/xend/store-session.js";
import { backendRoot } from "../../kernel/public/xen/xenbus.js";
import type { KernelPort } from "./kernel-port.js";
import { StoreLink } from "./store-link.js";
import { XenbusBackend, type DeviceDriver, type OpenDevice } from "./xenbus-backend.js";

export interface ServiceContext {
  readonly home: string;
  /** The name devices' backend= refers to; the kernel knows the service's devices by it. */
  readonly instance: string;
  log(msg: string): void;
}

/** Start the service; `start` resolves with how to stop it once it serves. */
export function serviceMain(name: string, description: string, start: (ctx: ServiceContext) => Promise<() => Promise<void>>): void {
  const log = (msg: string): void => void process.stderr.write(`${new Date().toISOString()} ${name}: ${msg}\n`);
  const program = new Command()
    .name(`domus-${name}`)
    .description(description)
    .option("--home <dir>", "host state directory (default: $DOMUS_HOME, else ~/.domus)")
    .option("--instance <name>", "the name devices' backend= refers to", name)
    .showHelpAfterError();
  const opts = program.parse().opts<{ home?: string; instance: string }>();
  start({ home: resolveHome(opts.home), instance: opts.instance, log }).then((stop) => {
    log(`serving (pid ${process.pid})`);
    let stopping = false;
    const onSignal = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping`);
      void stop().finally(() => process.exit(0));
    };
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    process.on("SIGINT", () => onSignal("SIGINT"));
  }, (e: unknown) => {
    log(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}

/** A device class a service serves: its driver, and how messages name one of its devices. */
export interface ServedClass {
  readonly driver: DeviceDriver<OpenDevice>;
  readonly noun: string;
}

/**
 * Serve device classes through the store and the kernel: one store link watching every class's
 * backend directory, one xenbus backend per class. The service ends when the kernel goes (a
 * backend has nothing to serve without it; the supervisor starts it again). Returns the stop.
 */
export async function serveClasses(ctx: ServiceContext, kernel: KernelPort, classes: readonly ServedClass[]): Promise<() => Promise<void>> {
  const backends: XenbusBackend<OpenDevice>[] = [];
  const store = new StoreLink(storeSocketOf(ctx.home), classes.map((c) => [backendRoot(c.driver.cls), c.driver.cls] as const), () => {
    for (const b of backends) b.changed();
  }, ctx.log);
  for (const c of classes) backends.push(new XenbusBackend(c.driver, c.noun, kernel, store, ctx.log));
  kernel.onClose((why) => {
    ctx.log(`${why.message}: stopping`);
    process.exit(1);
  });
  await store.start();
  for (const b of backends) b.changed();
  return async () => {
    store.stop();
    for (const b of backends) await b.close();
  };
}
