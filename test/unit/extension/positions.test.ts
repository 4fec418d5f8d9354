import * as assert from 'node:assert/strict';
import { lineIndex } from '../../../src/worker/positions';

/** Counted the slow way: what VS Code's TextDocument.positionAt gives. */
function naive(text: string, offset: number) {
  let line = 0;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (text[i] === '\r' && text[i + 1] === '\n') continue;
    if (text[i] === '\n' || text[i] === '\r') {
      line++;
      start = i + 1;
    }
  }
  return { line, character: offset - start };
}

describe('lineIndex', () => {
  it('agrees with a character-by-character count on LF, CRLF, CR and astral text', () => {
    for (const text of ['', 'a', 'ab\ncd\n', 'x\r\ny\r\n\r\nz', 'a\rb\r\nc\n', 'model:\n  - 𝑥 Sigmoid\n  - ReLU']) {
      const idx = lineIndex(text);
      for (let o = 0; o <= text.length; o++) {
        if (text[o - 1] === '\r' && text[o] === '\n') continue; // between \r and \n: no editor position
        assert.deepEqual(idx.position(o), naive(text, o), `${JSON.stringify(text)} @ ${o}`);
      }
    }
  });

  it('clamps offsets outside the text and orders ranges', () => {
    const idx = lineIndex('ab\ncd');
    assert.deepEqual(idx.position(-5), { line: 0, character: 0 });
    assert.deepEqual(idx.position(99), { line: 1, character: 2 });
    assert.deepEqual(idx.range({ start: 4, end: 1 }), { start: { line: 1, character: 1 }, end: { line: 1, character: 1 } });
  });
});
