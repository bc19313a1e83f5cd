import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Ingress, IngressClass } from '../../src/kube/types.ts';
import { translate, type TranslateOptionsInput } from '../../src/translate/index.ts';
import { classlessIngress, clusterState, ingressClass, path, reasons, rule, webBackend } from './builders.ts';

const LEGACY = 'kubernetes.io/ingress.class';

function candidate(ingressClassName?: string, legacyAnnotation?: string): Ingress {
  const spec: NonNullable<Ingress['spec']> = { rules: [rule('app.example.com', path('/', 'Prefix'))] };
  if (ingressClassName !== undefined) spec.ingressClassName = ingressClassName;
  return classlessIngress('web', spec, legacyAnnotation === undefined ? {} : { annotations: { [LEGACY]: legacyAnnotation } });
}

interface Case {
  name: string;
  ingress: Ingress;
  classes: IngressClass[];
  options?: TranslateOptionsInput;
  served: boolean;
  diagnostics?: string[];
}

const ours = ingressClass('tideway');
const nginx = ingressClass('nginx', 'k8s.io/ingress-nginx');

const cases: Case[] = [
  { name: 'ingressClassName names our IngressClass', ingress: candidate('tideway'), classes: [ours], served: true },
  { name: 'ingressClassName names another class of our controller', ingress: candidate('internal'), classes: [ours, ingressClass('internal')], served: true },
  { name: "ingressClassName names another controller's class", ingress: candidate('nginx'), classes: [ours, nginx], served: false, diagnostics: [] },
  { name: 'ingressClassName names our class name, but it does not exist', ingress: candidate('tideway'), classes: [nginx], served: false, diagnostics: ['IngressClassNotFound'] },
  { name: 'ingressClassName names a missing class that is not ours', ingress: candidate('traefik'), classes: [ours], served: false, diagnostics: [] },
  { name: 'class named "tideway" but run by another controller', ingress: candidate('tideway'), classes: [ingressClass('tideway', 'example.com/other')], served: false, diagnostics: [] },
  { name: 'legacy annotation with our class name', ingress: candidate(undefined, 'tideway'), classes: [], served: true },
  { name: 'legacy annotation with another class name', ingress: candidate(undefined, 'nginx'), classes: [ingressClass('tideway', undefined, true)], served: false },
  { name: 'field wins over annotation (field: other class)', ingress: candidate('nginx', 'tideway'), classes: [ours, nginx], served: false },
  { name: 'field wins over annotation (field: ours)', ingress: candidate('tideway', 'nginx'), classes: [ours, nginx], served: true },
  { name: 'no class, our class is the default', ingress: candidate(), classes: [ingressClass('tideway', undefined, true)], served: true },
  { name: 'no class, our class is not the default', ingress: candidate(), classes: [ours], served: false },
  { name: "no class, another controller's class is the default", ingress: candidate(), classes: [ours, ingressClass('nginx', 'k8s.io/ingress-nginx', true)], served: false },
  { name: 'empty ingressClassName counts as unset', ingress: candidate(''), classes: [ingressClass('tideway', undefined, true)], served: true },
  {
    name: 'custom class and controller names from options',
    ingress: candidate(undefined, 'edge'),
    classes: [],
    options: { ingressClass: 'edge', controllerName: 'example.com/edge' },
    served: true,
  },
  {
    name: 'custom controller name: our default constant no longer matches',
    ingress: candidate('tideway'),
    classes: [ours],
    options: { controllerName: 'example.com/edge' },
    served: false,
  },
];

describe('IngressClass selection', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { table, diagnostics } = translate(clusterState([c.ingress, ...webBackend(), ...c.classes], false), c.options);
      assert.equal(table.hosts.length, c.served ? 1 : 0);
      if (c.diagnostics) assert.deepEqual(reasons(diagnostics), c.diagnostics);
    });
  }

  it('names the field in the missing-class warning', () => {
    const { diagnostics } = translate(clusterState([candidate('tideway'), ...webBackend()], false));
    assert.deepEqual(diagnostics, [
      {
        severity: 'warning',
        kind: 'Ingress',
        object: 'default/web',
        field: 'spec.ingressClassName',
        reason: 'IngressClassNotFound',
        message: 'IngressClass "tideway" does not exist; create it with spec.controller "tideway.dev/ingress-controller" to have this Ingress served',
      },
    ]);
  });

  it('does not report problems of Ingresses that are not ours', () => {
    const broken = classlessIngress('broken', { ingressClassName: 'nginx', rules: [rule('bad..host', path('nope', 'Glob'))] });
    const { diagnostics } = translate(clusterState([broken, nginx]));
    assert.deepEqual(diagnostics, []);
  });
});
