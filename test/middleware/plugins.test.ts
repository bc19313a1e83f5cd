import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadPlugins, PluginLoadError, registerPlugin } from '../../src/middleware/plugins.ts';
import { MiddlewareRegistry } from '../../src/middleware/registry.ts';
import { run } from '../support/context.ts';
import { silentEnv } from './helpers.ts';

const EXAMPLE = 'examples/plugins/add-header.ts';

describe('plugins', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tideway-plugins-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function plugin(name: string, source: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, source);
    return file;
  }

  it('the add-header example loads from its TypeScript source and adds its header', async () => {
    const registry = new MiddlewareRegistry();
    assert.deepEqual(await loadPlugins([EXAMPLE], registry), ['add-header']);
    const { chain, errors } = registry.buildChain([{ type: 'add-header', source: 'shop/powered-by', config: { name: 'X-Powered-By', value: 'tideway' } }], silentEnv());
    assert.deepEqual(errors, []);
    const ctx = await run(chain!);
    assert.equal(ctx.header('x-powered-by'), 'tideway');
  });

  it('the example rejects bad configuration by field, and the route fails closed', async () => {
    const registry = new MiddlewareRegistry();
    await loadPlugins([EXAMPLE], registry);
    for (const [config, field] of [[{ value: 'x' }, 'name'], [{ name: 'X-A', value: 'a\nb' }, 'value'], [{ name: 'X-A', value: 'v', extra: 1 }, 'extra']] as const) {
      const { chain, errors } = registry.buildChain([{ type: 'add-header', source: 'shop/mw', config }], silentEnv());
      assert.equal(errors[0]?.field, field);
      const ctx = await run(chain!);
      assert.equal(ctx.response?.status, 500);
    }
  });

  it('loads plain JavaScript modules and async entry points', async () => {
    const file = await plugin('async.mjs', `export default async function (api) {
      await new Promise((r) => setImmediate(r));
      api.register({ type: 'tag-request', create: () => (ctx, next) => { ctx.request.headers.set('x-tag', 'yes'); return next(); } });
    }`);
    const registry = new MiddlewareRegistry();
    assert.deepEqual(await loadPlugins([file], registry), ['tag-request']);
  });

  it('reports a missing file, a module without default function, a throwing entry, and no registration', async () => {
    const registry = new MiddlewareRegistry();
    const cases: [string, RegExp][] = [
      [path.join(dir, 'missing.mjs'), /missing\.mjs: could not be imported/],
      [await plugin('no-default.mjs', 'export const x = 1;'), /no default export function/],
      [await plugin('throws.mjs', 'export default () => { throw new Error("bad plugin"); };'), /throws\.mjs: bad plugin/],
      [await plugin('nothing.mjs', 'export default () => {};'), /registered no middleware type/],
      [await plugin('syntax.mjs', 'export default (api) => {'), /could not be imported/],
    ];
    for (const [file, message] of cases) {
      await assert.rejects(loadPlugins([file], registry), (err: unknown) => err instanceof PluginLoadError && message.test(err.message) && err.plugin === file);
    }
  });

  it('refuses types that clash with built-ins or earlier plugins, and malformed factories', async () => {
    const registry = new MiddlewareRegistry();
    const register = (factory: unknown) => registerPlugin({ default: (api: { register(f: unknown): void }) => api.register(factory) }, 'inline', registry);
    await assert.rejects(register({ type: 'rate-limit', create: () => () => {} }), /built-in middleware has this type/);
    await assert.rejects(register({ type: 'Bad_Name', create: () => () => {} }), /lower-case words joined by dashes/);
    await assert.rejects(register({ type: 'no-create' }), /no create/);
    await register({ type: 'once', create: () => () => {} });
    await assert.rejects(register({ type: 'once', create: () => () => {} }), /already registered/);
  });
});
