/**
 * What may run in a Restricted Mode (untrusted) workspace. Spec files are data: parsing and
 * tracing them runs only our own engine, so they are fine everywhere; so are PyTorch files, which
 * Gradient Lens reads with its own interpreter and never runs. Model files whose code runs
 * (decorated TypeScript) would execute the user's code and must ask this gate first.
 */
import * as vscode from 'vscode';

export type ExecutionKind = 'spec' | 'source' | 'user-code';

export interface Gate {
  allowed: boolean;
  trust: 'trusted' | 'restricted';
  reason: string;
}

export function executionGate(kind: ExecutionKind, isTrusted: boolean = vscode.workspace.isTrusted): Gate {
  const trust = isTrusted ? 'trusted' : 'restricted';
  if (kind === 'spec') return { allowed: true, trust, reason: 'spec files are data; tracing them runs no code from the workspace' };
  if (kind === 'source') return { allowed: true, trust, reason: 'PyTorch files are read by Gradient Lens, never run; tracing them runs no code from the workspace' };
  return isTrusted
    ? { allowed: true, trust, reason: 'the workspace is trusted' }
    : { allowed: false, trust, reason: 'running model code from the workspace is disabled in Restricted Mode; trust the workspace to enable it' };
}
