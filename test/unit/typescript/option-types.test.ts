/**
 * The decorator options' types come from the catalogue: every loss and optimiser it holds, with its
 * arguments, required ones required. `npm run typecheck` holds these lines (each @ts-expect-error
 * must be an error); the test below only keeps the file in the suite.
 */
import assert from 'node:assert/strict';
import type { LossOption, OptimizerOption } from '../../../src/authoring';

const ok: OptimizerOption[] = [{ SGD: { lr: 0.1, momentum: 0.9, nesterov: true } }, { Adam: {} }, { Adam: { betas: [0.9, 0.99], amsgrad: true } }, { AdamW: { weight_decay: 0.1 } }, { RMSprop: { lr: 0.01, centered: true } }];
// @ts-expect-error SGD's lr has no default
const noLr: OptimizerOption = { SGD: { momentum: 0.9 } };
// @ts-expect-error a misspelt argument
const misspelt: OptimizerOption = { Adam: { lr: 0.1, momentun: 1 } };
// @ts-expect-error an optimiser the catalogue does not hold
const unknown: OptimizerOption = { LBFGS: { lr: 0.1 } };
// @ts-expect-error rho is Adadelta's
const rho: OptimizerOption = { Adagrad: { rho: 0.9 } };
const losses: LossOption[] = ['BCELoss', { HuberLoss: { delta: 2, reduction: 'sum' } }, { CrossEntropyLoss: {} }];
// @ts-expect-error reduction is mean or sum
const none: LossOption = { MSELoss: { reduction: 'none' } };
// @ts-expect-error delta is HuberLoss's
const delta: LossOption = { MSELoss: { delta: 1 } };

describe('decorated model option types', () => {
  it('are derived from the catalogue (checked by the type checker)', () => {
    assert.equal(ok.length + losses.length, 8);
    assert.ok([noLr, misspelt, unknown, rho, none, delta].every((x) => typeof x === 'object'));
  });
});
