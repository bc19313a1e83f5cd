import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectStore } from '../../src/store/index.ts';
import type { ClusterState } from '../../src/store/index.ts';
import { ManifestPathError, startFileSource } from '../../src/sources/files/index.ts';
import type { FileSource } from '../../src/sources/files/index.ts';

const service = (name: string, port = 80, namespace = 'shop') =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  ports:\n    - port: ${port}\n`;

const serviceNames = (state: ClusterState) => state.services.map((s) => s.metadata.name);
const portOf = (state: ClusterState, name: string) => state.services.find((s) => s.metadata.name === name)?.spec?.ports?.[0]?.port;

/** Resolves with the first state (current or delivered) that satisfies the predicate; fails after deadlineMs. */
function waitForState(store: ObjectStore, predicate: (state: ClusterState) => boolean, what: string, deadlineMs = 3000): Promise<ClusterState> {
  if (predicate(store.state())) return Promise.resolve(store.state());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${deadlineMs} ms waiting for: ${what}\nlast state: ${JSON.stringify({ services: serviceNames(store.state()), diagnostics: store.state().sourceDiagnostics })}`));
    }, deadlineMs);
    const unsubscribe = store.subscribe((state) => {
      if (!predicate(state)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(state);
    });
  });
}

let base: string;
const sources: FileSource[] = [];
before(async () => { base = await mkdtemp(join(tmpdir(), 'tideway-files-')); });
afterEach(async () => { await Promise.all(sources.splice(0).map((s) => s.close())); });
after(async () => { await rm(base, { recursive: true, force: true }); });

let dirCount = 0;
async function freshDir(): Promise<string> {
  const dir = join(base, `case-${dirCount++}`);
  await mkdir(dir);
  return dir;
}

/** Polling off: these tests must pass on file-system events alone. */
async function start(paths: string[], store = new ObjectStore()) {
  const source = await startFileSource(paths, store, () => {}, { pollIntervalMs: 0 });
  sources.push(source);
  await source.ready;
  return { store, source };
}

describe('files source: first read', () => {
  it('reads nested directories, multi-document files, Lists, .yml and .json, and skips dotfiles and other files', async () => {
    const dir = await freshDir();
    await mkdir(join(dir, 'nested/deeper'), { recursive: true });
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, 'a.yaml'), `${service('a')}---\n${service('b')}`);
    await writeFile(join(dir, 'nested/c.yml'), service('c'));
    await writeFile(join(dir, 'nested/deeper/d.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'd', namespace: 'shop' } }] }));
    await writeFile(join(dir, '.hidden.yaml'), service('hidden'));
    await writeFile(join(dir, '.git/e.yaml'), service('in-dot-dir'));
    await writeFile(join(dir, 'notes.txt'), service('txt'));
    await writeFile(join(dir, 'a.yaml~'), service('backup'));
    await symlink(dir, join(dir, 'nested/loop')); // a symlink loop must end
    const { store } = await start([dir]);
    assert.deepEqual(serviceNames(store.state()), ['a', 'b', 'c', 'd']);
    assert.deepEqual(store.state().sourceDiagnostics, []);
  });

  it('reads a file named on the command line whatever its extension', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'routes.txt'), service('explicit'));
    const { store } = await start([join(dir, 'routes.txt')]);
    assert.deepEqual(serviceNames(store.state()), ['explicit']);
  });

  it('rejects a path that does not exist, naming it', async () => {
    const dir = await freshDir();
    const missing = join(dir, 'nope');
    await assert.rejects(startFileSource([dir, missing], new ObjectStore(), () => {}), (error: unknown) => {
      assert.ok(error instanceof ManifestPathError);
      assert.equal(error.path, missing);
      assert.equal(error.message, `cannot read manifests from ${missing}: no such file or directory`);
      return true;
    });
  });

  it('serves the other files when one has a YAML error, reported with its line', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'good.yaml'), service('good'));
    await writeFile(join(dir, 'broken.yaml'), `${service('never')}  bad: [1, 2\n`);
    const { store } = await start([dir]);
    const state = store.state();
    assert.deepEqual(serviceNames(state), ['good']);
    assert.equal(state.sourceDiagnostics.length, 1);
    const [diagnostic] = state.sourceDiagnostics;
    assert.equal(diagnostic!.severity, 'error');
    assert.equal(diagnostic!.kind, 'File');
    assert.equal(diagnostic!.object, join(dir, 'broken.yaml'));
    assert.equal(diagnostic!.field, 'line 10');
    assert.match(diagnostic!.message, /nothing from this file is served until it can be read$/);
  });
});

describe('files source: changes', () => {
  it('serves an edit within a second', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'svc.yaml'), service('web', 80));
    const { store } = await start([dir]);
    const written = performance.now();
    await writeFile(join(dir, 'svc.yaml'), service('web', 8080));
    await waitForState(store, (s) => portOf(s, 'web') === 8080, 'port 8080');
    const took = performance.now() - written;
    assert.ok(took < 1000, `edit served after ${took} ms`);
  });

  it('keeps the last good objects of a file that stops parsing, says so, and recovers', async () => {
    const dir = await freshDir();
    const file = join(dir, 'svc.yaml');
    await writeFile(join(dir, 'other.yaml'), service('other'));
    await writeFile(file, `${service('web', 80)}---\n${service('api', 81)}`);
    const { store } = await start([dir]);

    await writeFile(file, `${service('web', 90)}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  name: dup\n`);
    const broken = await waitForState(store, (s) => s.sourceDiagnostics.length > 0, 'YAML error diagnostic');
    assert.deepEqual(broken.sourceDiagnostics.map((d) => [d.object, d.field, d.message]), [
      [file, 'line 14', 'Map keys must be unique (column 3); still serving the 2 objects of the last version of this file that could be read'],
    ]);
    assert.deepEqual(serviceNames(broken), ['api', 'other', 'web']);
    assert.equal(portOf(broken, 'web'), 80, 'the old version is served, not half of the new one');

    await writeFile(file, service('web', 91));
    const fixed = await waitForState(store, (s) => portOf(s, 'web') === 91, 'fixed file served');
    assert.deepEqual(fixed.sourceDiagnostics, []);
    assert.deepEqual(serviceNames(fixed), ['other', 'web']);
  });

  it('removes the objects of a deleted file', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'keep.yaml'), service('keep'));
    await writeFile(join(dir, 'gone.yaml'), service('gone'));
    const { store } = await start([dir]);
    await rm(join(dir, 'gone.yaml'));
    const state = await waitForState(store, (s) => !serviceNames(s).includes('gone'), 'gone.yaml objects removed');
    assert.deepEqual(serviceNames(state), ['keep']);
  });

  it('follows an editor-style save: a new file renamed over the old one, again and again', async () => {
    const dir = await freshDir();
    const file = join(dir, 'svc.yaml');
    await writeFile(file, service('web', 1));
    const { store } = await start([dir]);
    for (const port of [2, 3]) {
      await writeFile(join(dir, '.svc.yaml.swp'), service('web', port));
      await rename(join(dir, '.svc.yaml.swp'), file);
      await waitForState(store, (s) => portOf(s, 'web') === port, `port ${port} after rename`);
    }
  });

  it('follows rename-over saves of a file named on the command line (the watch is on its directory)', async () => {
    const dir = await freshDir();
    const file = join(dir, 'svc.yaml');
    await writeFile(file, service('web', 1));
    const { store } = await start([file]);
    for (const port of [2, 3]) {
      await writeFile(`${file}.tmp`, service('web', port));
      await rename(`${file}.tmp`, file);
      await waitForState(store, (s) => portOf(s, 'web') === port, `port ${port} after rename`);
    }
    await writeFile(join(dir, 'sibling.yaml'), service('sibling'));
    await writeFile(file, service('web', 4));
    const state = await waitForState(store, (s) => portOf(s, 'web') === 4, 'port 4');
    assert.deepEqual(serviceNames(state), ['web'], 'files next to a named file are not read');
  });

  it('picks up new files, also in new subdirectories', async () => {
    const dir = await freshDir();
    const { store } = await start([dir]);
    assert.deepEqual(serviceNames(store.state()), []);
    await writeFile(join(dir, 'new.yaml'), service('new'));
    await waitForState(store, (s) => serviceNames(s).includes('new'), 'new.yaml');
    await mkdir(join(dir, 'sub/deeper'), { recursive: true });
    await writeFile(join(dir, 'sub/deeper/more.yaml'), service('more'));
    await waitForState(store, (s) => serviceNames(s).includes('more'), 'sub/deeper/more.yaml');
    // Only the subdirectory sees this write: it is noticed only if the watch covers the whole tree.
    await writeFile(join(dir, 'sub/deeper/more.yaml'), service('more', 81));
    await waitForState(store, (s) => portOf(s, 'more') === 81, 'edit in sub/deeper');
  });

  it('reports a watched directory that is deleted, and serves it again when it comes back', async () => {
    const dir = await freshDir();
    const root = join(dir, 'manifests');
    await mkdir(root);
    await writeFile(join(root, 'svc.yaml'), service('web'));
    const { store } = await start([root]);
    await rm(root, { recursive: true });
    const gone = await waitForState(store, (s) => s.services.length === 0 && s.sourceDiagnostics.length === 1, 'objects removed, path reported');
    assert.equal(gone.sourceDiagnostics[0]!.object, root);
    assert.match(gone.sourceDiagnostics[0]!.message, /^does not exist \(any more\)/);

    await mkdir(root);
    await writeFile(join(root, 'svc.yaml'), service('back'));
    const back = await waitForState(store, (s) => serviceNames(s).includes('back'), 'recreated directory read');
    assert.deepEqual(back.sourceDiagnostics, []);
    await writeFile(join(root, 'svc.yaml'), service('back', 81));
    await waitForState(store, (s) => portOf(s, 'back') === 81, 'recreated directory watched');
  });

  it('polls when told not to watch (file systems without events)', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'svc.yaml'), service('web', 1));
    const store = new ObjectStore();
    const source = await startFileSource([dir], store, () => {}, { watch: false, pollIntervalMs: 100 });
    sources.push(source);
    await source.ready;
    assert.equal(portOf(store.state(), 'web'), 1);
    await writeFile(join(dir, 'svc.yaml'), service('web', 2));
    await waitForState(store, (s) => portOf(s, 'web') === 2, 'edit seen by polling');
  });

  it('reports a file whose objects collide with another file\'s, naming the file that wins', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'a.yaml'), service('web', 1));
    const { store } = await start([dir]);
    await writeFile(join(dir, 'b.yaml'), service('web', 2));
    const state = await waitForState(store, (s) => s.sourceDiagnostics.length === 1, 'duplicate warning');
    assert.equal(portOf(state, 'web'), 1);
    assert.equal(state.sourceDiagnostics[0]!.message, `defined more than once, in ${join(dir, 'a.yaml')} and ${join(dir, 'b.yaml')}; the one from ${join(dir, 'a.yaml')} is used`);
  });
});
