/**
 * torch.autograd.grad (a WGAN-GP's and a WGAN-div's gradient penalty) and the deprecated Variable
 * wrapper, as torch 1.13 runs them: the input gradient, create_graph's gradient on the tape (the
 * penalty's backward reaching the critic's weights), PyTorch's errors for an unused input and an
 * implicit grad_outputs of a non-scalar. The gradients against float64 central differences:
 * test/unit/engine/grad-graph.test.ts; whole scripts against PyTorch: test/parity/python-noise.test.ts.
 */
import { printsAsTorch, ready } from './support';

describe('Python front end: torch.autograd.grad and Variable', () => {
  before(ready);

  it('autograd_grad.py prints what torch 1.13 prints', function () {
    printsAsTorch(this, 'autograd_grad.py');
  });

  it('create_graph_backward.py (loss.backward(create_graph=True), .grad on the graph) prints what torch 1.13 prints', function () {
    printsAsTorch(this, 'create_graph_backward.py');
  });
});
