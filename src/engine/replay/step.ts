/**
 * A model's training step, replayed when its graph is static (plan.ts): the one step function the
 * trace and the bench run. The first step runs eagerly and is recorded; every later step whose
 * leaves match the plan is replayed; any other runs eagerly, and is recorded as the new plan.
 */
import { backward } from '../autograd';
import { pauseTracking, stopTracking } from '../buffer-pool';
import { moduleAppliedHookSet, setOpRecorder } from '../context';
import * as nn from '../nn';
import type { Module } from '../nn/module';
import type { Tensor } from '../tensor';
import { NotReplayable, Plan, recordPlan, StepRecorder } from './plan';

/**
 * Module classes whose forward is a fixed sequence of replayed ops (exact classes: a user's
 * subclass may branch), given the training flag for those of MODAL_MODULES.
 */
const STATIC_MODULES: ReadonlySet<unknown> = new Set([nn.Sequential, nn.Linear, nn.Sigmoid, nn.Tanh, nn.ReLU, nn.LeakyReLU, nn.Dropout]);
/** Of those, the ones whose op depends on `training` (dropout's attributes hold the flag the step was recorded with). */
const MODAL_MODULES: ReadonlySet<unknown> = new Set([nn.Dropout]);
const STATIC_LOSSES: ReadonlySet<unknown> = new Set([nn.MSELoss, nn.L1Loss, nn.CrossEntropyLoss]);

let enabled = true;

/** Turns replaying off (or back on) for every step: the tests' and the bench's eager baseline. */
export function setReplayEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** Why `module` with `loss` is not a static graph, or null when its steps may be replayed. */
export function notStatic(module: Module, loss: nn.Loss): string | null {
  for (const [path, m] of module.namedModules()) {
    if (!STATIC_MODULES.has(m.constructor)) return `module ${path || '(root)'} is a ${m.constructor.name}`;
  }
  return STATIC_LOSSES.has(loss.constructor) ? null : `the loss is a ${loss.constructor.name}`;
}

export class StepReplay {
  private plan: Plan | null = null;
  /** Why this model's steps are never replayed, once known (an op or module the plan does not hold). */
  refused: string | null;
  /** Steps replayed so far (tests, bench). */
  replayed = 0;
  /** The modules of MODAL_MODULES and their training flags when the plan was recorded. */
  private modal: { module: Module; training: boolean }[] = [];

  constructor(
    readonly module: Module,
    readonly loss: nn.Loss,
  ) {
    this.refused = notStatic(module, loss);
  }

  /**
   * One forward, loss and backward of `module` on `input` against `target`; gradients are left on
   * `params` (set to null first, as the eager step does). `at` says which part is running.
   */
  step(params: readonly Tensor[], input: Tensor, target: Tensor, at?: { phase: string }): Tensor {
    for (const p of params) p.grad = null;
    if (enabled && this.plan) {
      if (this.sameModes() && this.plan.matches(params, input, target)) {
        this.replayed++;
        // what the ops' own forward and backward allocate is never given back: carved, not recorded
        const paused = pauseTracking();
        try {
          return this.plan.run(at);
        } finally {
          stopTracking(paused);
        }
      }
    }
    this.plan = null;
    const record = enabled && this.refused === null && !moduleAppliedHookSet() ? new StepRecorder() : null;
    if (record) setOpRecorder(record);
    let loss: Tensor;
    try {
      if (at) at.phase = 'forward';
      const out = this.module.call(input);
      if (at) at.phase = 'loss';
      loss = this.loss.call(out, target);
    } finally {
      if (record) setOpRecorder(null);
    }
    if (at) at.phase = 'backward';
    backward(loss);
    if (record) {
      try {
        this.plan = recordPlan(record, loss, [...params, input, target]);
        this.modal = this.module
          .namedModules()
          .filter(([, m]) => MODAL_MODULES.has(m.constructor))
          .map(([, m]) => ({ module: m, training: m.training }));
      } catch (e) {
        if (!(e instanceof NotReplayable)) throw e;
        this.refused = e.message;
      }
    }
    return loss;
  }

  private sameModes(): boolean {
    for (const m of this.modal) if (m.module.training !== m.training) return false;
    return true;
  }

  /** The arrays the plan keeps across steps: whoever gives a step's arrays back to the buffer pool must leave these. */
  held(): unknown[] {
    return this.plan ? this.plan.arrays() : [];
  }
}
