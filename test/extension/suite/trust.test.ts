/** The trust gate in a trusted window (the untrusted suite runs the same checks in Restricted Mode). */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api } from '../support/helpers';

suite('workspace trust gate (trusted window)', () => {
  test('this window is trusted, so user code would be allowed', async () => {
    const gl = await api();
    assert.equal(vscode.workspace.isTrusted, true);
    assert.deepEqual(
      { allowed: gl.executionGate('user-code').allowed, trust: gl.executionGate('user-code').trust },
      { allowed: true, trust: 'trusted' },
    );
  });

  test('the gate refuses user code when the workspace is not trusted, and allows specs either way', async () => {
    const gl = await api();
    const restricted = gl.executionGate('user-code', false);
    assert.equal(restricted.allowed, false);
    assert.equal(restricted.trust, 'restricted');
    assert.match(restricted.reason, /Restricted Mode/);
    assert.equal(gl.executionGate('spec', false).allowed, true);
    assert.equal(gl.executionGate('spec', true).allowed, true);
  });
});
