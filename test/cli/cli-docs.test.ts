// docs/cli.md documents every flag of src/settings/settings.ts, with its default, and no flag that
// does not exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FLAGS } from '../../src/settings/settings.ts';

const doc = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
// The gateway's flag table is the one between "## Running the gateway" and the next section.
const section = doc.slice(doc.indexOf('## Running the gateway'), doc.indexOf('\n## ', doc.indexOf('## Running the gateway') + 1));
const rows = new Map<string, string>();
for (const [, flag, defaultCell] of section.matchAll(/^\| `--([a-z0-9-]+)[^`]*` \| ([^|]*) \|/gm)) rows.set(flag!, defaultCell!.trim());

function rowFor(name: string): string {
  const spec = FLAGS[name]!;
  return `| \`--${name}${spec.type === 'string' ? ' <value>' : ''}\` | ${spec.default === undefined ? '' : `\`${spec.default}\``} | ${spec.help} |`;
}

test('every flag is documented, with its default', () => {
  for (const [name, spec] of Object.entries(FLAGS)) {
    assert.ok(rows.has(name), `docs/cli.md misses --${name}; add a row like:\n${rowFor(name)}`);
    assert.equal(rows.get(name), spec.default === undefined ? '' : `\`${spec.default}\``, `docs/cli.md: default of --${name}`);
  }
});

test('the table is in FLAGS order and documents no flag that does not exist', () => {
  assert.deepEqual([...rows.keys()], Object.keys(FLAGS));
});
