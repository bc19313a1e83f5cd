// The migration report: for every Ingress Tideway would serve, one line per ingress-nginx annotation
// saying whether Tideway serves it as ingress-nginx does, approximates it (how) or ignores it (why).
// Pure, like the rest of translate/: `tideway check --ingress-nginx-compat` prints it.
import type { ClusterState } from '../../store/cluster-state.ts';
import { ClusterIndex } from '../cluster-index.ts';
import { DiagnosticSink } from '../diagnostics.ts';
import { isServedByUs } from '../ingress-class.ts';
import { resolveTranslateOptions, type TranslateOptionsInput } from '../options.ts';
import { compareByName, namespaceOf } from '../precedence.ts';
import { isRecord } from '../shape.ts';
import { assess, nginxAnnotation } from './table.ts';

export type ReportVerdict = 'supported' | 'approximated' | 'ignored';

export interface ReportLine {
  /** "namespace/name" */
  ingress: string;
  annotation: string;
  verdict: ReportVerdict;
  note: string;
  /** Clients would see a difference after the move. */
  changesBehaviour: boolean;
}

const VERDICTS = { supported: 'supported', partly: 'approximated', not: 'ignored' } as const;

export function migrationReport(state: ClusterState, options: TranslateOptionsInput = {}): ReportLine[] {
  const opts = resolveTranslateOptions(options);
  const sink = new DiagnosticSink();
  const index = new ClusterIndex(state, sink);
  const start = `${opts.nginxAnnotationPrefix}/`;
  const lines: ReportLine[] = [];
  const served = index.ingresses.filter((ingress) => isServedByUs(ingress, index, opts, sink.for('Ingress', `${namespaceOf(ingress)}/${ingress.metadata.name}`)));
  for (const ingress of [...served].sort(compareByName)) {
    const annotations: unknown = ingress.metadata.annotations;
    if (!isRecord(annotations)) continue;
    for (const key of Object.keys(annotations).filter((k) => k.startsWith(start)).sort()) {
      const name = key.slice(start.length);
      const entry = nginxAnnotation(name);
      const base = { ingress: `${namespaceOf(ingress)}/${ingress.metadata.name}`, annotation: key };
      if (entry === undefined) {
        lines.push({ ...base, verdict: 'ignored', note: 'not an ingress-nginx annotation Tideway knows', changesBehaviour: true });
        continue;
      }
      const value = annotations[key];
      const verdict = assess(entry, typeof value === 'string' ? value : '');
      lines.push({ ...base, verdict: VERDICTS[verdict.status], note: verdict.note, changesBehaviour: verdict.changesBehaviour });
    }
  }
  return lines;
}

export function formatMigrationReport(lines: readonly ReportLine[]): string {
  const out = ['ingress-nginx migration report:'];
  if (lines.length === 0) out.push('  (no ingress-nginx annotations on the Ingresses Tideway serves)');
  const width = Math.max(0, ...lines.map((l) => l.ingress.length));
  const keyWidth = Math.max(0, ...lines.map((l) => l.annotation.length));
  for (const l of lines) {
    const how = l.verdict === 'supported' ? '' : l.verdict === 'approximated' ? ` (how: ${l.note})` : ` (why: ${l.note})`;
    out.push(`  ${l.ingress.padEnd(width)}  ${l.annotation.padEnd(keyWidth)}  ${l.verdict}${how}`);
  }
  const count = (v: ReportVerdict): number => lines.filter((l) => l.verdict === v).length;
  const changing = lines.filter((l) => l.changesBehaviour).length;
  out.push('', `${count('supported')} supported, ${count('approximated')} approximated, ${count('ignored')} ignored; ${changing} would change behaviour.`);
  return `${out.join('\n')}\n`;
}
