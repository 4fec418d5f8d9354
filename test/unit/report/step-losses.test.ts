/** The losses the panel's toolbar and the report's header show: one per backward of a GAN's step, else the step's one loss. */
import assert from 'node:assert/strict';
import type { StepRecord } from '../../../src/trace/types';
import { lossSeries, namedLosses } from '../../../webview/shared/step-losses';

const step = (loss: number, losses?: { name: string; value: number }[]): StepRecord => ({ step: 0, loss, params: [], activations: [], outputs: [], flow: [], ...(losses ? { losses } : {}) }) as unknown as StepRecord;

describe('step losses in the panel and the report', () => {
  it('a step with several backward() calls shows each loss under its variable\'s name, first to last', () => {
    const first = step(0.7, [{ name: 'g_loss', value: 0.69 }, { name: 'd_loss', value: 0.7 }]);
    const last = step(0.4, [{ name: 'g_loss', value: 0.9 }, { name: 'd_loss', value: 0.4 }]);
    assert.deepEqual(namedLosses(last).map((l) => l.name), ['g_loss', 'd_loss']);
    assert.deepEqual(lossSeries(first, last), [
      { name: 'g_loss', from: 0.69, to: 0.9 },
      { name: 'd_loss', from: 0.7, to: 0.4 },
    ]);
  });

  it('a step with one backward() shows its one loss as "loss", as before', () => {
    assert.deepEqual(lossSeries(step(2), step(1)), [{ name: 'loss', from: 2, to: 1 }]);
  });
});
