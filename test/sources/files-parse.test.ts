import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManifestSyntaxError, parseManifests } from '../../src/sources/files/index.ts';
import type { Secret } from '../../src/kube/types.ts';

const refs = (objects: { kind: string; metadata: { namespace?: string; name: string } }[]) =>
  objects.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);

function syntaxError(text: string): ManifestSyntaxError {
  try {
    parseManifests('f.yaml', text);
  } catch (error) {
    assert.ok(error instanceof ManifestSyntaxError, `expected ManifestSyntaxError, got ${error}`);
    return error;
  }
  assert.fail('expected a syntax error');
}

describe('parseManifests', () => {
  it('reads every document, skipping empty and comment-only ones and ignoring kinds it does not serve', () => {
    const text = [
      '# a comment before the first document',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: { name: web, namespace: shop }',
      '---',
      '---',
      '# only a comment',
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: { name: web }',
      '---',
      'apiVersion: networking.k8s.io/v1',
      'kind: IngressClass',
      'metadata: { name: tideway }',
      '',
    ].join('\n');
    const { objects, diagnostics } = parseManifests('f.yaml', text);
    assert.deepEqual(refs(objects), ['Service shop/web', 'IngressClass tideway']);
    assert.deepEqual(diagnostics, []);
  });

  it('expands kind: List and typed lists, pointing diagnostics at the item line', () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - apiVersion: v1',
      '    kind: Service',
      '    metadata: { name: a }',
      '  - apiVersion: v1',
      '    kind: Service',
      '    metadata: {}',
      '---',
      'apiVersion: v1',
      'kind: SecretList',
      'items:',
      '  - metadata: { name: tls, namespace: shop }',
      '    type: kubernetes.io/tls',
      '    stringData: { tls.crt: CERT, tls.key: KEY }',
    ].join('\n');
    const { objects, diagnostics } = parseManifests('f.yaml', text);
    assert.deepEqual(refs(objects), ['Service default/a', 'Secret shop/tls']);
    assert.equal(Buffer.from((objects[1] as Secret).data!['tls.crt']!, 'base64').toString(), 'CERT');
    assert.deepEqual(diagnostics.map((d) => `${d.object} ${d.field}: ${d.message}`), ['f.yaml line 7: Service: metadata.name is required']);
  });

  it('points object diagnostics at the line where their document starts', () => {
    const text = 'apiVersion: v1\nkind: Service\nmetadata: { name: a }\n---\n\n# the next one is old\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: { name: old }\n';
    const { diagnostics } = parseManifests('dir/f.yaml', text);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.message, 'extensions/v1beta1 is no longer served, use networking.k8s.io/v1 (dir/f.yaml line 7)');
  });

  it('reads JSON files, which are YAML too', () => {
    const { objects } = parseManifests('f.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'j' } }] }, null, 2));
    assert.deepEqual(refs(objects), ['Service default/j']);
  });

  it('reports a YAML error with its line and column, even in a later document', () => {
    const error = syntaxError('apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n  name: c\n');
    assert.equal(error.line, 10);
    assert.equal(error.column, 3);
    assert.equal(error.message, 'Map keys must be unique');
  });

  it('reports bad indentation and unclosed quotes at the right line', () => {
    assert.equal(syntaxError('a: 1\n\tb: 2\n').line, 2);
    const quote = syntaxError("apiVersion: v1\nkind: Service\nmetadata:\n  name: 'web\n");
    assert.equal(quote.line, 5);
    assert.match(quote.message, /Missing closing 'quote/);
  });

  it('reports an unresolved alias and an alias bomb as syntax errors instead of throwing anything else', () => {
    assert.match(syntaxError('a: 1\n---\nkind: Service\nmetadata: *nowhere\n').message, /Unresolved alias/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) bomb.push(`${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10).fill(`*${'abcdefgh'[i - 1]}`).join(', ')}]`);
    assert.match(syntaxError(bomb.join('\n')).message, /alias/i);
  });

  it('warns about documents that are not objects, and keeps reading', () => {
    const { objects, diagnostics } = parseManifests('f.yaml', 'just text\n---\napiVersion: v1\nkind: Service\nmetadata: { name: a }\n');
    assert.equal(objects.length, 1);
    assert.deepEqual(diagnostics.map((d) => [d.severity, d.field]), [['warning', 'line 1']]);
  });
});
