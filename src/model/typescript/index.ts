/**
 * The decorated TypeScript front end: finds the @model classes a file declares by scanning its
 * text (nothing runs here). Running them is the TypeScript runner's job (src/worker/typescript);
 * turning a built model into a graph with source ranges is graph.ts's.
 */
import type { SourceRange } from '../graph';
import { decoratorOptions } from './options';
import { blankLiterals, classAfter } from './text';

/** A `@model` class as the text shows it, before anything runs (for CodeLenses, and in Restricted Mode). */
export interface DeclaredModel {
  className: string;
  classRange: SourceRange;
  decoratorRange: SourceRange;
}

/** Every `@model(...)`-decorated class in the text, found by scanning: nothing is executed. */
export function modelClassesIn(text: string): DeclaredModel[] {
  const out: DeclaredModel[] = [];
  const re = /@model\s*\(/g;
  // Only in code: a decorator in a comment, a string or a template literal declares nothing.
  const code = blankLiterals(text);
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const { call } = decoratorOptions(text, m.index + 1);
    const cls = classAfter(text, call.end);
    if (!cls) continue;
    // Other decorators (and `export`) may sit between; a class further down belongs to another decorator.
    const between = text.slice(call.end, cls.whole.start);
    if (/[;{}]/.test(between.replace(/@\w+\s*\((?:[^()]|\([^()]*\))*\)/g, ''))) continue;
    out.push({ className: text.slice(cls.name.start, cls.name.end), classRange: cls.name, decoratorRange: call });
    re.lastIndex = call.end;
  }
  return out;
}
