// Kubernetes label selectors (metav1.LabelSelector: matchLabels and matchExpressions), read once and
// matched as a list of requirements. Semantics are the API server's: every requirement must hold; an
// empty selector matches everything; NotIn and DoesNotExist hold for an object without the label.
import { arrayField, field, isRecord } from './shape.ts';

type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

interface Requirement {
  key: string;
  operator: Operator;
  values: ReadonlySet<string>;
}

export type Labels = Readonly<Record<string, string>>;

export class LabelSelector {
  private readonly requirements: readonly Requirement[];

  constructor(requirements: readonly Requirement[]) {
    this.requirements = requirements;
  }

  matches(labels: Labels): boolean {
    for (const { key, operator, values } of this.requirements) {
      const value = Object.hasOwn(labels, key) ? labels[key] : undefined;
      switch (operator) {
        case 'In': if (value === undefined || !values.has(value)) return false; break;
        case 'NotIn': if (value !== undefined && values.has(value)) return false; break;
        case 'Exists': if (value === undefined) return false; break;
        case 'DoesNotExist': if (value !== undefined) return false; break;
      }
    }
    return true;
  }
}

/** Why a selector cannot be read: the field (relative to the selector) and what is wrong there. */
export interface SelectorProblem {
  field: string;
  message: string;
}

const OPERATORS: ReadonlySet<string> = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Reads a metav1.LabelSelector; a malformed one is a problem rather than a selector that matches too much. */
export function readLabelSelector(raw: unknown): LabelSelector | SelectorProblem {
  if (!isRecord(raw)) return { field: '', message: 'a label selector (matchLabels, matchExpressions) is required' };
  const requirements: Requirement[] = [];
  const matchLabels = field(raw, 'matchLabels');
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isRecord(matchLabels)) return { field: '.matchLabels', message: 'must be a map of label names to values' };
    for (const [key, value] of Object.entries(matchLabels)) {
      if (typeof value !== 'string') return { field: `.matchLabels[${JSON.stringify(key)}]`, message: `must be a string, not ${JSON.stringify(value)}` };
      requirements.push({ key, operator: 'In', values: new Set([value]) });
    }
  }
  const expressions = field(raw, 'matchExpressions');
  if (expressions !== undefined && expressions !== null && !Array.isArray(expressions)) return { field: '.matchExpressions', message: 'must be a list' };
  for (const [i, expression] of arrayField(raw, 'matchExpressions').entries()) {
    const at = `.matchExpressions[${i}]`;
    const key = field(expression, 'key');
    const operator = field(expression, 'operator');
    const values = field(expression, 'values') ?? [];
    if (typeof key !== 'string' || key === '') return { field: `${at}.key`, message: 'a label name is required' };
    if (typeof operator !== 'string' || !OPERATORS.has(operator)) return { field: `${at}.operator`, message: `must be In, NotIn, Exists or DoesNotExist, not ${JSON.stringify(operator)}` };
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) return { field: `${at}.values`, message: 'must be a list of strings' };
    const listed = operator === 'In' || operator === 'NotIn';
    if (listed && values.length === 0) return { field: `${at}.values`, message: `operator ${operator} needs at least one value` };
    if (!listed && values.length > 0) return { field: `${at}.values`, message: `operator ${operator} takes no values` };
    requirements.push({ key, operator: operator as Operator, values: new Set(values as string[]) });
  }
  return new LabelSelector(requirements);
}
