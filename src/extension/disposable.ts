/**
 * A `vscode.Disposable` that owns its children: everything it creates and must release (event
 * subscriptions, emitters, providers, other owners) is handed to `own`, and `dispose` releases it
 * all once, last owned first. Every disposable then has exactly one owner (DESIGN.md, convention 12).
 */
import type * as vscode from 'vscode';

export abstract class Disposable implements vscode.Disposable {
  private readonly owned: vscode.Disposable[] = [];
  private released = false;

  /** Takes ownership of `d` (released with this object) and returns it. */
  protected own<T extends vscode.Disposable>(d: T): T {
    if (this.released) d.dispose();
    else this.owned.push(d);
    return d;
  }

  protected get disposed(): boolean {
    return this.released;
  }

  /** Releases what this object holds besides its owned children (timers, runs); called once, first. */
  protected onDispose(): void {}

  dispose(): void {
    if (this.released) return;
    this.released = true;
    this.onDispose();
    for (const d of this.owned.splice(0).reverse()) d.dispose();
  }
}
