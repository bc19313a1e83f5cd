// Preloaded with `--import` into a gateway under test: appends "<role> <package>" to the file named by
// TIDEWAY_TEST_MODULE_LOG for every npm package a process resolves, and when the process exits
// "<role> builtin:<name>" for every Node.js built-in module it loaded (internal ones included), so a
// test can see what each process of a multi-process gateway loaded.
import cluster from 'node:cluster';
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const log = process.env.TIDEWAY_TEST_MODULE_LOG;
const role = cluster.isWorker ? 'worker' : 'primary';
const PACKAGE = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//;
const seen = new Set<string>();

if (log) {
  process.on('exit', () => {
    const builtins = (process as unknown as { moduleLoadList: string[] }).moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => `${role} builtin:${m.slice('NativeModule '.length)}\n`);
    appendFileSync(log, builtins.join(''));
  });
  registerHooks({
    resolve(specifier, context, next) {
      const result = next(specifier, context);
      const name = PACKAGE.exec(result.url)?.[1];
      if (name !== undefined && !seen.has(name)) {
        seen.add(name);
        appendFileSync(log, `${role} ${name}\n`);
      }
      return result;
    },
  });
}
