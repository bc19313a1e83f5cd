// Turns the text of one manifest file into normalized objects, the way `kubectl apply -f` reads it:
// multi-document YAML (JSON is YAML too), empty and comment-only documents allowed, `kind: List` (what
// `kubectl get -o yaml` writes) and typed lists such as IngressList expanded. Every object remembers the
// line it starts on, so diagnostics can point at it. No I/O here.

import { LineCounter, isNode, isSeq, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import type { AnyKubeObject } from '../../kube/types.ts';
import type { Diagnostic } from '../../kube/diagnostic.ts';
import { normalizeObject } from '../../store/index.ts';

export interface ParsedManifests {
  objects: AnyKubeObject[];
  /** Problems with single objects; the rest of the file is fine. */
  diagnostics: Diagnostic[];
}

/** The file is not valid YAML: nothing in it can be trusted. */
export class ManifestSyntaxError extends Error {
  readonly line: number;
  readonly column: number;

  constructor(message: string, line: number, column: number) {
    super(message);
    this.name = 'ManifestSyntaxError';
    this.line = line;
    this.column = column;
  }
}

interface Located {
  value: unknown;
  line: number;
}

/** Throws ManifestSyntaxError when any document of the file is not valid YAML. */
export function parseManifests(file: string, text: string): ParsedManifests {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines });
  for (const document of documents) {
    const [error] = document.errors;
    if (error) {
      const position = error.linePos?.[0] ?? { line: 1, col: 1 };
      throw new ManifestSyntaxError(firstLineWithoutPosition(error.message), position.line, position.col);
    }
  }

  const result: ParsedManifests = { objects: [], diagnostics: [] };
  for (const document of documents) {
    for (const { value, line } of documentObjects(document, lines)) {
      const { object, diagnostics } = normalizeObject(value, { file, line });
      if (object) result.objects.push(object);
      result.diagnostics.push(...diagnostics);
    }
  }
  return result;
}

function documentObjects(document: Document.Parsed, lines: LineCounter): Located[] {
  const start = document.contents?.range[0] ?? document.range[0];
  const line = lines.linePos(start).line;
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 }); // bounds "billion laughs" alias bombs
  } catch (error) {
    // Unresolved or excessive aliases only show up when the document is turned into values.
    throw new ManifestSyntaxError((error as Error).message, line, 1);
  }
  if (value === null || value === undefined) return []; // empty or comment-only document
  if (!isList(value)) return [{ value, line }];

  const itemNodes = document.get('items', true);
  const items = value.items as unknown[];
  const itemKind = value.kind === 'List' ? undefined : value.kind.slice(0, -'List'.length);
  return items.map((item, index) => {
    const node = isSeq(itemNodes) ? itemNodes.items[index] : undefined;
    const itemLine = isNode(node) && node.range ? lines.linePos(node.range[0]).line : line;
    return { value: withListDefaults(item, itemKind, value.apiVersion), line: itemLine };
  });
}

interface ListValue {
  kind: string;
  apiVersion?: unknown;
  items: unknown[];
}

/** `kind: List`, or a typed list like IngressList as the API serves it (`items` then often lack kind). */
function isList(value: unknown): value is ListValue {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, items } = value as Record<string, unknown>;
  return typeof kind === 'string' && kind.endsWith('List') && Array.isArray(items);
}

function withListDefaults(item: unknown, kind: string | undefined, apiVersion: unknown): unknown {
  if (kind === undefined || typeof item !== 'object' || item === null || Array.isArray(item)) return item;
  return { kind, apiVersion, ...item };
}

/** yaml's messages end in " at line 3, column 1:" and a code frame; the diagnostic carries the line itself. */
function firstLineWithoutPosition(message: string): string {
  return message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
